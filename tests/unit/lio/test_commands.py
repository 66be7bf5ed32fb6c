"""Command handlers with an in-memory log: publish then fold, retries publish nothing, refusals publish nothing."""

from __future__ import annotations

import pytest

from services.lio.application.commands import Conflict, LioCommands, Rejected
from services.lio.domain.deliberation import Actor, Deliberation
from tests.unit.lio.factories import CHAIR, DAY1, MEMBER, POLICE, RULES, days, park, proposed, register


class RecordingLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    async def meeting_scheduled(self, m) -> None:  # noqa: ANN001
        self.events.append(("meeting", m))

    async def attendance_recorded(self, a) -> None:  # noqa: ANN001
        self.events.append(("attendance", a))

    async def agenda_item_added(self, c) -> None:  # noqa: ANN001
        self.events.append(("added", c))

    async def agenda_item_deferred(self, c) -> None:  # noqa: ANN001
        self.events.append(("deferred", c))

    async def decision_recorded(self, d) -> None:  # noqa: ANN001
        self.events.append(("decision", d))


@pytest.fixture
def setup() -> tuple[LioCommands, RecordingLog, Deliberation]:
    state, log = Deliberation(), RecordingLog()
    register(state, 1, 2)
    return LioCommands(state, log, clock=lambda: DAY1, rules=RULES), log, state


async def test_a_meeting_from_schedule_to_decision(setup) -> None:  # noqa: ANN001
    commands, log, state = setup
    # 1. Default form is the GSO; a police chair is refused.
    m = await commands.schedule_meeting(DAY1, "", CHAIR)
    assert m.form == "gso"
    with pytest.raises(Rejected) as bad:
        await commands.schedule_meeting(DAY1, "lio", POLICE)
    assert [f for f, _ in bad.value.problems] == ["chair", "chair"]
    # 2. Attendance: the police are no member of the GSO; retries record nothing.
    with pytest.raises(Rejected):
        await commands.record_attendance(m.meeting_id, POLICE)
    for a in (CHAIR, MEMBER, Actor(person_id="mw-13", role="lio-member", organisation="gemeente-maassluis")):
        assert await commands.record_attendance(m.meeting_id, a)
    assert not await commands.record_attendance(m.meeting_id, MEMBER)
    with pytest.raises(Rejected):  # one person, one role
        await commands.record_attendance(m.meeting_id, MEMBER.model_copy(update={"role": "lio-secretary"}))
    # 3. Decide; the identical retry is recognised, a different one is a conflict.
    decision, recorded = await commands.record_decision(park(m.meeting_id, "s1", DAY1 + days(60)))
    assert recorded
    assert (await commands.record_decision(park(m.meeting_id, "s1", DAY1 + days(60)))) == (decision, False)
    with pytest.raises(Conflict):
        await commands.record_decision(proposed(m.meeting_id, "s1", "no_action", {}))
    # 4. Defer the other item, twice: one event.
    assert await commands.defer_agenda_item(m.meeting_id, "s2", "volgende keer", CHAIR)
    assert not await commands.defer_agenda_item(m.meeting_id, "s2", "volgende keer", CHAIR)
    assert [k for k, _ in log.events] == ["meeting", "attendance", "attendance", "attendance", "decision", "deferred"]


async def test_a_refused_command_publishes_nothing(setup) -> None:  # noqa: ANN001
    commands, log, _ = setup
    m = await commands.schedule_meeting(DAY1, "lio", CHAIR)
    with pytest.raises(Rejected) as no_quorum:
        await commands.record_decision(proposed(m.meeting_id, "s1", "no_action", {}))
    assert all(f == "meeting_id" and "no quorum" in p for f, p in no_quorum.value.problems)
    assert [k for k, _ in log.events] == ["meeting"]
