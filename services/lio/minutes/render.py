"""Markdown and HTML renderings of the minutes. Every piece of text is escaped; the HTML is one
self-contained page (inline style, no scripts, no external assets)."""

from __future__ import annotations

import html
import re

from services.lio.minutes.record import Minutes, Value

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|!~])")
_STYLE = ("body{font-family:sans-serif;max-width:50rem;margin:2rem auto;line-height:1.4}"
          "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .5rem;text-align:left}"
          "dt{font-weight:bold}dd{margin:0 0 .4rem 1rem}")


def md(text: str) -> str:
    """Plain text made inert in Markdown: no markup, no raw HTML, no line breaks."""
    flat = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def h(text: str) -> str:
    return html.escape(text, quote=True)


def _md_field(label: str, value: Value) -> list[str]:
    if isinstance(value, list):
        return [f"- **{md(label)}:**", *(f"  - {md(v)}" for v in value)]
    return [f"- **{md(label)}:** {md(value)}"]


def to_markdown(m: Minutes) -> str:
    out = [f"# {md(m.title)}", ""]
    for label, value in m.header:
        out += _md_field(label, value)
    out += ["", "## Aanwezig", ""]
    if m.attendance:
        out += ["| Organisatie | Rol | Medewerker |", "|---|---|---|"]
        out += [f"| {md(o)} | {md(r)} | {md(p)} |" for o, r, p in m.attendance]
    else:
        out.append("Geen aanwezigheid geregistreerd.")
    out += ["", "## Besluiten", ""]
    if not m.decisions:
        out.append("Geen besluiten genomen.")
    for s in m.decisions:
        out += [f"### {md(s.title)}", ""]
        for label, value in s.fields:
            out += _md_field(label, value)
        out.append("")
    out += ["", "## Aangehouden agendapunten", ""]
    out += [f"- {md(x)}" for x in m.deferred] or ["Geen."]
    if m.undecided_additions:
        out += ["", "## Toegevoegd en niet behandeld", ""]
        out += [f"- {md(x)}" for x in m.undecided_additions]
    return "\n".join(out) + "\n"


def _html_value(value: Value) -> str:
    if isinstance(value, list):
        return "<ul>" + "".join(f"<li>{h(v)}</li>" for v in value) + "</ul>"
    return h(value)


def _html_fields(fields: list[tuple[str, Value]]) -> str:
    return "<dl>" + "".join(f"<dt>{h(k)}</dt><dd>{_html_value(v)}</dd>" for k, v in fields) + "</dl>"


def to_html(m: Minutes) -> str:
    parts = ['<!DOCTYPE html>', '<html lang="nl">', '<head><meta charset="utf-8">',
             f"<title>{h(m.title)}</title><style>{_STYLE}</style></head>", "<body>",
             f"<h1>{h(m.title)}</h1>", _html_fields(m.header), "<h2>Aanwezig</h2>"]
    if m.attendance:
        rows = "".join(f"<tr><td>{h(o)}</td><td>{h(r)}</td><td>{h(p)}</td></tr>" for o, r, p in m.attendance)
        parts.append(f"<table><thead><tr><th>Organisatie</th><th>Rol</th><th>Medewerker</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        parts.append("<p>Geen aanwezigheid geregistreerd.</p>")
    parts.append("<h2>Besluiten</h2>")
    if not m.decisions:
        parts.append("<p>Geen besluiten genomen.</p>")
    for s in m.decisions:
        parts += [f"<section><h3>{h(s.title)}</h3>", _html_fields(s.fields), "</section>"]
    parts.append("<h2>Aangehouden agendapunten</h2>")
    parts.append("<ul>" + "".join(f"<li>{h(x)}</li>" for x in m.deferred) + "</ul>" if m.deferred else "<p>Geen.</p>")
    if m.undecided_additions:
        parts += ["<h2>Toegevoegd en niet behandeld</h2>",
                  "<ul>" + "".join(f"<li>{h(x)}</li>" for x in m.undecided_additions) + "</ul>"]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def render(m: Minutes, fmt: str) -> tuple[str, str]:
    """(content type, content) for fmt "md" or "html"."""
    if fmt == "html":
        return "text/html; charset=utf-8", to_html(m)
    return "text/markdown; charset=utf-8", to_markdown(m)
