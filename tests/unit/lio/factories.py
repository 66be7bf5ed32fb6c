"""Builders for LIO unit tests: the real reviewed rules file, a meeting with a quorum, registered signals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.lio.domain.deliberation import Actor, AgendaItem, Attendance, Deliberation, Meeting, ProposedDecision, Sharing
from services.lio.domain.forms import DeliberationRules
from services.lio.settings import MEETING_FORMS_FILE

RULES = DeliberationRules.from_toml(MEETING_FORMS_FILE.read_text(encoding="utf-8"))
DAY1 = datetime(2026, 12, 3, 13, tzinfo=UTC)  # 14:00 in Maassluis
CHAIR = Actor(person_id="mw-7", role="lio-chair", organisation="gemeente-maassluis")
MEMBER = Actor(person_id="mw-12", role="lio-member", organisation="gemeente-maassluis")
POLICE = Actor(person_id="pol-3", role="lio-member", organisation="politie")
REFERRAL_SHARING = Sharing(legal_basis="WGS art. 2.3", purpose="integrale aanpak ondermijning",
                           recipients=("riec-rotterdam", "politie"), data_categories=("signal.themes", "subject.address"),
                           retention_rule="referral-riec")
MULTI_SHARING = Sharing(legal_basis="AVG art. 6 lid 1 sub e", purpose="integrale controle", recipients=("team-brp",),
                        data_categories=("subject.address",))


def meeting(state: Deliberation, meeting_id: str, when: datetime = DAY1, form: str = "lio", quorum: bool = True) -> Meeting:
    m = Meeting(meeting_id=meeting_id, scheduled_for=when, form=form, chair=CHAIR)
    state.apply_meeting(m)
    if quorum:
        for a in (CHAIR, MEMBER, POLICE):
            state.apply_attendance(Attendance(meeting_id=meeting_id, attendee=a, recorded_at=when))
    return m


def register(state: Deliberation, *numbers: int) -> None:
    for n in numbers:
        state.apply_registered(AgendaItem(signal_id=f"s{n}", registration_number=f"2026-{n:06d}", themes=(1,),
                                          subjects=((1, "pc:3141AB:12"),)))


def park(meeting_id: str, signal_id: str, review_on: datetime, **kw) -> ProposedDecision:
    return proposed(meeting_id, signal_id, "park", {"review_on": review_on}, **kw)


def proposed(meeting_id: str, signal_id: str, outcome: str, details: dict, sharing: Sharing = Sharing(), **kw) -> ProposedDecision:
    return ProposedDecision(meeting_id=meeting_id, signal_id=signal_id, reason=kw.pop("reason", "onvoldoende aanwijzingen"),
                            decided_by=kw.pop("decided_by", CHAIR), outcome=outcome, details=details, sharing=sharing, **kw)


def local(multidisciplinary: bool = False, **kw) -> dict:
    return {"multidisciplinary": multidisciplinary, "lead_team": kw.get("lead_team", "team-toezicht-handhaving"),
            "interventions": kw.get("interventions", ("integrale-controle",)), "teams": kw.get("teams", ()),
            "follow_ups": kw.get("follow_ups", ())}


def days(n: int) -> timedelta:
    return timedelta(days=n)
