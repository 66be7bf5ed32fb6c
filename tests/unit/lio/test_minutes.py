"""Minutes (notulen): Dutch, from events only, every decision with reason, follow-ups and sharing; escaped; no subjects."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.lio.domain.agenda import defer_item
from services.lio.domain.decisions import decide
from services.lio.domain.deliberation import Deliberation, FollowUp
from services.lio.minutes.record import build
from services.lio.minutes.render import render, to_html, to_markdown
from tests.unit.lio.factories import CHAIR, DAY1, MULTI_SHARING, REFERRAL_SHARING, RULES, days, local, meeting, park, proposed, register


def record(state: Deliberation, p) -> str:  # noqa: ANN001
    d = decide(state, RULES, p, DAY1 + days(0))
    assert not isinstance(d, list), d
    state.apply_decision(d)
    return d.decision_id


@pytest.fixture
def state() -> Deliberation:
    s = Deliberation()
    register(s, 1, 2, 3, 4, 5)
    meeting(s, "m1")
    record(s, park("m1", "s1", datetime(2027, 3, 1, 12, tzinfo=UTC), reason="Te weinig concrete aanwijzingen"))
    record(s, proposed("m1", "s2", "no_action", {}, reason="Melding berust op een misverstand"))
    follow = (FollowUp(action="terugkoppeling controle", team="team-toezicht-handhaving", due_on=datetime(2027, 1, 15, 9, tzinfo=UTC)),)
    record(s, proposed("m1", "s3", "local_approach",
                       local(True, teams=("team-brp", "team-toezicht-handhaving"), interventions=("brp-adresonderzoek", "sluiting-13b-opiumwet"),
                             follow_ups=follow), MULTI_SHARING, reason="Samen optrekken <b>BRP</b> & toezicht"))
    first = record(s, proposed("m1", "s4", "refer_to_riec", {"grounds": "Meter overbrugd, verbruik x3"}, REFERRAL_SHARING,
                               reason="Overstijgt de lokale aanpak"))
    record(s, proposed("m1", "s4", "refer_to_riec", {"grounds": "Meter overbrugd, verbruik x3; cash"}, REFERRAL_SHARING,
                       reason="Gronden aangevuld", corrects_decision_id=first))
    s.apply_deferred(defer_item(s, "m1", "s5", "Wacht op informatie van de woningcorporatie", CHAIR, DAY1))
    return s


def test_markdown_minutes_tell_the_whole_meeting_in_dutch(state: Deliberation) -> None:
    md = to_markdown(build(state, RULES, "m1"))
    flat = " ".join(md.split())
    assert flat.startswith("# Notulen Lokaal Informatie Overleg (LIO)")
    assert "**Datum:** 3 december 2026, 14:00 uur" in flat and "**Quorum:** behaald" in flat
    assert "**Voorzitter:** mw-7 (lio-chair, gemeente-maassluis)" in flat
    assert "| gemeente-maassluis | lio-chair | mw-7 |" in md and "| politie | lio-member | pol-3 |" in md
    # Each decision, by registration number, with its reason.
    assert "### 2026-000001 (hennepteelt en drugs)" in md
    assert "**Besluit:** parkeren" in flat and "**Herbeoordeling:** 1 maart 2027" in flat
    assert "geen actie; het signaal is afgesloten" in flat and "Melding berust op een misverstand" in flat
    assert "lokale aanpak, multidisciplinair" in flat and "**Trekker:** team-toezicht-handhaving" in flat
    assert "Sluiting op grond van art. 13b Opiumwet" in flat and "BRP-adresonderzoek" in flat
    assert "15 januari 2027: terugkoppeling controle (team-toezicht-handhaving)" in flat
    # Shared data: recipients, categories, legal basis.
    assert "**Verstrekking aan:** riec-rotterdam, politie" in flat and "subject.address" in flat
    assert "**Grondslag:** WGS art. 2.3" in flat and "**Grondslag:** AVG art. 6 lid 1 sub e" in flat
    assert "doorgeleiding naar het RIEC" in flat and "Meter overbrugd, verbruik x3; cash" in flat
    # The correction and what it replaced both stay on the record.
    assert "**Correctie:** vervangt besluit" in flat and "**Gecorrigeerd:** vervangen door besluit" in flat
    # The deferred item.
    assert "2026-000005: Wacht op informatie van de woningcorporatie (komt terug op de agenda van de volgende vergadering)" in flat


def test_minutes_never_show_subjects_and_escape_markup(state: Deliberation) -> None:
    m = build(state, RULES, "m1")
    for text in (to_markdown(m), to_html(m)):
        assert "pc:3141AB" not in text and "3141" not in text
    assert "Samen optrekken &lt;b&gt;BRP&lt;/b&gt; &amp; toezicht" in to_markdown(m)
    html = to_html(m)
    assert "<b>" not in html and "&lt;b&gt;BRP&lt;/b&gt; &amp; toezicht" in html
    assert not re.search(r"<(script|link|img)|https?://", html)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="nl">' in html


def test_html_has_the_same_content(state: Deliberation) -> None:
    html = to_html(build(state, RULES, "m1"))
    for text in ("3 december 2026, 14:00 uur", "parkeren", "1 maart 2027", "geen actie; het signaal is afgesloten",
                 "lokale aanpak, multidisciplinair", "15 januari 2027: terugkoppeling controle", "riec-rotterdam, politie",
                 "WGS art. 2.3", "Aangehouden agendapunten", "2026-000005", "<td>politie</td><td>lio-member</td><td>pol-3</td>"):
        assert text in html, text


def test_markdown_injection_is_inert() -> None:
    s = Deliberation()
    register(s, 1)
    meeting(s, "m1")
    record(s, proposed("m1", "s1", "no_action", {}, reason="# kop\n| tabel | [link](http://x) ![img](y) *vet*"))
    md = to_markdown(build(s, RULES, "m1"))
    line = next(x for x in md.splitlines() if "Reden" in x)
    assert line == r"- **Reden:** \# kop \| tabel \| \[link\](http://x) \!\[img\](y) \*vet\*"


def test_an_empty_meeting_without_quorum() -> None:
    s = Deliberation()
    register(s, 1)
    meeting(s, "m1", quorum=False)
    content_type, md = render(build(s, RULES, "m1"), "md")
    assert content_type.startswith("text/markdown") and "Geen besluiten genomen." in md
    assert "niet behaald: the chair is not recorded as present" in " ".join(md.split())
