"""The subject-access report: only what concerns the subject, in Dutch, without the BSN."""

from __future__ import annotations

from datetime import UTC, datetime

from pseudonyms import elfproef, person_key_for_bsn, person_key_for_name
from services.privacy.domain.subject_access import Provision, SignalRecord, SubjectAccessReport, render_markdown

T = datetime(2026, 11, 29, 10, tzinfo=UTC)


def test_pseudonyms_match_intake_rules() -> None:
    assert elfproef("111222333") and not elfproef("111222334")
    assert person_key_for_bsn(b"k", "111222333") != person_key_for_bsn(b"other", "111222333")
    assert person_key_for_name(b"k", "J. de  Vries", "1978-04-02") == person_key_for_name(b"k", "j. de vries", "1978-04-02")


def test_report_holds_only_the_subjects_signals_and_provisions() -> None:
    key = person_key_for_bsn(b"k", "111222333")
    report = SubjectAccessReport({key})
    assert report.concerns([key, "kvk:1"]) and not report.concerns(["kvk:1"])
    report.add_signal(SignalRecord("s1", "2026-000001", T, "team-brp", ["vastgoed"], "contante betaling"))
    report.add_decision("s1", "2026-11-29 refer_to_riec: ernstig")
    report.add_decision("s-other", "not about the subject")
    report.add_provision(Provision(T, "doorgeleiding", "belastingdienst", "integrale aanpak", "WGS art. 2.3",
                                   ["signal.themes"], "2026-000001"))
    md = render_markdown(report, T)
    assert "2026-000001" in md and "refer_to_riec: ernstig" in md and "belastingdienst" in md
    assert "not about the subject" not in md and "111222333" not in md
    assert md.startswith("# Overzicht verwerkingen")


def test_empty_report_says_so() -> None:
    md = render_markdown(SubjectAccessReport({"person:x"}), T)
    assert "geen signalen" in md and "geen gegevens" in md
