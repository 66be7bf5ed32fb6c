"""Linking signals into dossiers: by shared subject keys, transitively, with reasons and merges."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from services.registration.domain.digest import digest
from services.registration.domain.register import ReceivedSignal, Register, Subject, decide_registration

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ADDRESS, COMPANY, PERSON = 1, 2, 3


def received(signal_id: str, *keys: tuple[int, str]) -> ReceivedSignal:
    return ReceivedSignal(event_id=f"ev-{signal_id}", signal_id=signal_id, channel=3, source="s", received_at=T0,
                          themes=(4,), subjects=tuple(Subject(kind=k, key=v) for k, v in keys), description="d")


def register_all(*signals: ReceivedSignal) -> tuple[Register, list]:
    register, made = Register(), []
    for s in signals:
        reg = decide_registration(register, s, T0)
        register.apply_registration(reg)
        made.append(reg)
    return register, made


def test_a_signal_about_a_new_subject_opens_a_dossier() -> None:
    register, (reg,) = register_all(received("s1", (ADDRESS, "pc:3141AB:12")))
    assert reg.dossier.opened and reg.dossier.dossier_id == "D-2026-0-000001" and reg.dossier.reasons == ()


def test_a_shared_key_links_and_the_reason_names_key_and_earlier_signal() -> None:
    register, (_, second) = register_all(received("s1", (COMPANY, "kvk:69599084")),
                                         received("s2", (COMPANY, "kvk:69599084"), (ADDRESS, "pc:3142CD:7")))
    assert not second.dossier.opened and second.dossier.dossier_id == "D-2026-0-000001"
    (reason,) = second.dossier.reasons
    assert (reason.subject_key, reason.linked_signal_id, reason.linked_registration_number) == (
        "kvk:69599084", "s1", "2026-0-000001")


def test_a_company_and_the_addresses_it_owns_end_up_in_one_dossier_transitively() -> None:
    # s1 names the company and address A; s3 names only address B, which s2 tied to the company.
    register, regs = register_all(
        received("s1", (COMPANY, "kvk:1"), (ADDRESS, "bag:A")),
        received("s2", (ADDRESS, "bag:B"), (COMPANY, "kvk:1")),
        received("s3", (ADDRESS, "bag:B")),
    )
    assert {register.dossiers.dossier_of(s) for s in ("s1", "s2", "s3")} == {"D-2026-0-000001"}
    assert regs[2].dossier.reasons[0].linked_signal_id == "s2"


def test_a_signal_that_links_two_dossiers_merges_them_into_the_oldest_and_says_so() -> None:
    register, regs = register_all(
        received("s1", (PERSON, "person:aa")),
        received("s2", (ADDRESS, "pc:3141AB:12")),
        received("s3", (ADDRESS, "pc:3141AB:12"), (PERSON, "person:aa")),
    )
    merge = regs[2].dossier
    assert merge.dossier_id == "D-2026-0-000001" and merge.merged_dossier_ids == ("D-2026-0-000002",)
    assert {r.linked_signal_id for r in merge.reasons} == {"s1", "s2"}
    # The merged id still finds the dossier; every member now belongs to the survivor.
    assert register.dossiers.root("D-2026-0-000002") == "D-2026-0-000001"
    assert register.dossiers.merged_into("D-2026-0-000001") == ["D-2026-0-000002"]
    assert sorted(register.dossiers.members("D-2026-0-000001")) == ["s1", "s2", "s3"]


def test_signals_without_shared_keys_stay_apart() -> None:
    register, _ = register_all(received("s1", (ADDRESS, "bag:A")), received("s2", (ADDRESS, "bag:B")), received("s3"))
    assert len({register.dossiers.dossier_of(s) for s in ("s1", "s2", "s3")}) == 3


def test_folding_recorded_registrations_in_any_order_gives_the_same_register() -> None:
    # A rebuild reads six partitions in an order of its own: the result must not depend on it.
    rng = random.Random(7)
    keys = [(ADDRESS, f"bag:{i}") for i in range(8)] + [(COMPANY, f"kvk:{i}") for i in range(4)]
    signals = [received(f"s{i}", *rng.sample(keys, rng.randint(0, 3))) for i in range(60)]
    live, regs = register_all(*signals)
    for _ in range(5):
        shuffled = regs[:]
        rng.shuffle(shuffled)
        rebuilt = Register()
        for reg in shuffled + shuffled[:10]:  # and with redelivered duplicates
            rebuilt.apply_registration(reg)
        assert digest(rebuilt) == digest(live)
        assert rebuilt.order == live.order
