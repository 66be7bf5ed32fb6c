"""Subject access (inzage, WGS/BGS art. 1.1): everything held about a data subject, and every
provision of their data — to whom, when, why — folded from the event topics.

Pure: the caller feeds events in topic order; ``render_markdown`` writes the Dutch report the
contact point reviews before it is handed over (free text may name third parties).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SignalRecord:
    signal_id: str
    registration_number: str
    registered_at: datetime
    source: str
    themes: list[str]
    description: str
    decisions: list[str] = field(default_factory=list)


@dataclass
class Provision:
    when: datetime
    kind: str
    recipient: str
    purpose: str
    legal_basis: str
    categories: list[str]
    reference: str


@dataclass
class SubjectAccessReport:
    subject_keys: set[str]
    signals: dict[str, SignalRecord] = field(default_factory=dict)
    provisions: list[Provision] = field(default_factory=list)

    def concerns(self, keys: list[str]) -> bool:
        return bool(self.subject_keys.intersection(keys))

    def add_signal(self, record: SignalRecord) -> None:
        self.signals.setdefault(record.signal_id, record)

    def add_decision(self, signal_id: str, line: str) -> None:
        if signal_id in self.signals:
            self.signals[signal_id].decisions.append(line)

    def add_provision(self, provision: Provision) -> None:
        self.provisions.append(provision)


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: SubjectAccessReport, generated_at: datetime) -> str:
    lines = [
        "# Overzicht verwerkingen (inzageverzoek)",
        "",
        f"Opgesteld: {generated_at:%Y-%m-%d %H:%M} UTC. Betrokkene herkend aan {len(report.subject_keys)} pseudoniem(en);",
        "het BSN zelf wordt nergens bewaard en staat niet in dit overzicht.",
        "",
        "Let op voor het contactpunt: vrije tekst kan gegevens van derden bevatten; beoordeel vóór verstrekking.",
        "",
        f"## Registraties ({len(report.signals)})",
        "",
    ]
    if not report.signals:
        lines.append("Er zijn geen signalen over betrokkene geregistreerd.")
    for s in sorted(report.signals.values(), key=lambda s: s.registered_at):
        lines += [
            f"### {s.registration_number} (geregistreerd {s.registered_at:%Y-%m-%d})",
            "",
            f"- Bron: {s.source}",
            f"- Thema's: {', '.join(s.themes)}",
            f"- Omschrijving: {_esc(s.description)}",
        ]
        lines += [f"- Besluit: {d}" for d in s.decisions] or ["- Besluit: nog niet besproken"]
        lines.append("")
    lines += [f"## Verstrekkingen ({len(report.provisions)})", ""]
    if not report.provisions:
        lines.append("Er zijn geen gegevens over betrokkene verstrekt.")
    else:
        lines += ["| datum | soort | ontvanger | doel | grondslag | gegevens | kenmerk |", "|---|---|---|---|---|---|---|"]
        for p in sorted(report.provisions, key=lambda p: p.when):
            lines.append(f"| {p.when:%Y-%m-%d %H:%M} | {p.kind} | {_esc(p.recipient)} | {_esc(p.purpose)} | "
                         f"{_esc(p.legal_basis)} | {_esc(', '.join(p.categories))} | {p.reference} |")
    return "\n".join(lines) + "\n"
