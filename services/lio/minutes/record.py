"""What the minutes say, as plain Dutch text fields, derived from the folded LIO events.

Both renderers (Markdown, HTML) take this structure, so that they always say the same thing and
escaping happens in exactly one place per format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.lio.domain import deliberation as d
from services.lio.domain.forms import DeliberationRules

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december")
THEMES = {
    1: "hennepteelt en drugs", 2: "mensenhandel", 3: "huisvesting arbeidsmigranten", 4: "vastgoed", 5: "witwassen",
    6: "OMG", 7: "faciliterende branches", 8: "misbruik voorzieningen", 9: "integriteit en Veilige Publieke Taak",
}
AGENDA_REASONS = {"awaiting_deliberation": "nieuw signaal", "review_due": "herbeoordeling geparkeerd signaal",
                  "added_by_chair": "toegevoegd door de voorzitter", "deferred": "aangehouden in een eerdere vergadering"}

Value = str | list[str]


def dutch_date(moment: datetime) -> str:
    local = moment.astimezone(d.LOCAL_TZ)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def dutch_datetime(moment: datetime) -> str:
    return f"{dutch_date(moment)}, {moment.astimezone(d.LOCAL_TZ):%H:%M} uur"


def actor(a: d.Actor) -> str:
    return f"{a.person_id} ({a.role}, {a.organisation})"


@dataclass
class Section:
    title: str
    fields: list[tuple[str, Value]] = field(default_factory=list)


@dataclass
class Minutes:
    title: str
    header: list[tuple[str, Value]]
    attendance: list[tuple[str, str, str]]  # organisation, role, staff id
    decisions: list[Section]
    deferred: list[str]
    undecided_additions: list[str]


def build(state: d.Deliberation, rules: DeliberationRules, meeting_id: str) -> Minutes:
    meeting = state.meetings[meeting_id]
    form = rules.forms.get(meeting.form)
    present = state.present(meeting_id)
    quorum = form.quorum_problems(meeting.chair, present) if form else ["onbekende vergadervorm"]
    decisions = sorted((x for x in state.decisions.values() if x.meeting_id == meeting_id),
                       key=lambda x: (state.registration_order(x.signal_id, x.registration_number), x.decided_at))
    decided = {x.signal_id for x in decisions}
    return Minutes(
        title=f"Notulen {form.title if form else meeting.form}",
        header=[
            ("Datum", dutch_datetime(meeting.scheduled_for)), ("Vergadervorm", meeting.form),
            ("Vergadering", meeting.meeting_id), ("Voorzitter", actor(meeting.chair)),
            ("Quorum", "behaald" if not quorum else "niet behaald: " + "; ".join(quorum)),
            ("Aantal besluiten", str(len(decisions))),
        ],
        attendance=sorted((a.organisation, a.role, a.person_id) for a in present),
        decisions=[_decision(state, rules, x) for x in decisions],
        deferred=[f"{c.registration_number}: {c.reason} (komt terug op de agenda van de volgende vergadering)"
                  for c in sorted((c for (m, _), c in state.deferred.items() if m == meeting_id), key=lambda c: state.registration_order(c.signal_id, c.registration_number))],
        undecided_additions=[f"{c.registration_number}: {c.reason}"
                             for (m, s), c in sorted(state.added.items(), key=lambda kv: state.registration_order(kv[1].signal_id, kv[1].registration_number))
                             if m == meeting_id and s not in decided and (m, s) not in state.deferred],
    )


def _decision(state: d.Deliberation, rules: DeliberationRules, x: d.Decision) -> Section:
    themes = ", ".join(THEMES.get(t, f"thema {t}") for t in x.themes) or "geen thema"
    s = Section(title=f"{x.registration_number} ({themes})")
    if (added := state.added.get((x.meeting_id, x.signal_id))) is not None:
        s.fields.append(("Agendapunt", f"toegevoegd door de voorzitter: {added.reason}"))
    if x.corrects_decision_id:
        s.fields.append(("Correctie", f"vervangt besluit {x.corrects_decision_id}"))
    s.fields += _outcome(rules, x)
    s.fields.append(("Reden", x.reason))
    if x.sharing is not None:
        sh = x.sharing
        s.fields += [
            ("Verstrekking aan", ", ".join(sh.recipients) or "geen ontvangers genoemd"),
            ("Gegevenscategorieën", list(sh.data_categories) or ["geen"]),
            ("Grondslag", sh.legal_basis), ("Doel", sh.purpose or "niet vermeld"),
            ("Bewaartermijn (regel)", sh.retention_rule or "niet vermeld"),
        ]
    else:
        s.fields.append(("Verstrekking", "geen gegevens gedeeld"))
    s.fields.append(("Besloten door", f"{actor(x.decided_by)} op {dutch_datetime(x.decided_at)}"))
    s.fields.append(("Besluitnummer", x.decision_id))
    if (later := state.corrected_by(x.decision_id)) is not None:
        when = state.meetings.get(later.meeting_id)
        where = "in deze vergadering" if later.meeting_id == x.meeting_id else (
            f"in de vergadering van {dutch_date(when.scheduled_for)}" if when else f"in vergadering {later.meeting_id}")
        s.fields.append(("Gecorrigeerd", f"vervangen door besluit {later.decision_id} {where}"))
    return s


def _outcome(rules: DeliberationRules, x: d.Decision) -> list[tuple[str, Value]]:
    det = x.details
    if x.outcome == d.PARK:
        review = det.get("review_on")
        return [("Besluit", "parkeren"), ("Herbeoordeling", dutch_date(review) if review else "geen datum")]
    if x.outcome == d.NO_ACTION:
        return [("Besluit", "geen actie; het signaal is afgesloten")]
    if x.outcome == d.REFER_TO_RIEC:
        return [("Besluit", "doorgeleiding naar het RIEC"),
                ("Gronden (concrete en objectieve aanwijzingen)", det.get("grounds", ""))]
    kind = "multidisciplinair" if det.get("multidisciplinary") else "monodisciplinair"
    out: list[tuple[str, Value]] = [("Besluit", f"lokale aanpak, {kind}"), ("Trekker", det.get("lead_team", ""))]
    if det.get("teams"):
        out.append(("Betrokken teams", ", ".join(det["teams"])))
    out.append(("Interventies", [rules.interventions.get(i, i) for i in det.get("interventions", ())] or ["geen"]))
    follow = [f"{dutch_date(f.due_on) if f.due_on else 'zonder datum'}: {f.action}" + (f" ({f.team})" if f.team else "")
              for f in sorted(det.get("follow_ups", ()), key=lambda f: (f.due_on is None, f.due_on or x.decided_at))]
    out.append(("Vervolgacties", follow or ["geen"]))
    return out
