"""GitHub-flavoured Markdown for a pull-request comment, with a Mermaid diagram of each spec's flows."""

from __future__ import annotations

import html
import re

from checker.model import Spec
from checker.report.common import (by_severity, clean, error_text, path, plural, subject, summary,
                                   suppression_text, where)
from checker.report.findings import SEVERITIES, Finding, Report

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MERMAID_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;", "|": "#124;"}


def render(report: Report, *, color: bool = False) -> str:
    verdict = plural(len(report.violations), "violation") if report.violations else "no violations"
    if report.errors:
        verdict += f", {plural(len(report.errors), 'input error')}"
    out = [f"### dlc: {verdict}", "", summary(report), "", "| Severity | Violations |", "| --- | ---: |"]
    counts = report.by_severity()
    out += [f"| {severity} | {counts.get(severity, 0)} |" for severity in reversed(SEVERITIES)]
    out += [f"| suppressed | {len(report.suppressed)} |", f"| notices | {len(report.notices)} |", ""]

    if report.errors:
        out += ["#### Input errors", ""] + [f"- {_md(error_text(error))}" for error in report.errors] + [""]
    for severity, findings in by_severity(report.violations):
        out += [f"#### {severity.capitalize()} ({len(findings)})", ""]
        out += _table(("Rule", "Subject", "Dataset", "Path", "Location", "Message"), [
            (f"**{_md(f.rule)}**", _md(subject(f)), _md(f.dataset or ""), _md(path(f)),
             _md(where(f.file, f.line)),
             _md(f.message) + (f"<br/>*Fix:* {_md(f.remediation)}" if f.remediation else ""))
            for f in findings])
    if report.suppressed:
        out += _details(plural(len(report.suppressed), "suppressed finding"),
                        ("Rule", "Subject", "Dataset", "Suppression"), [
            (_md(f.rule), _md(subject(f)), _md(f.dataset or ""), _md(suppression_text(f.suppression)))
            for f in sorted(report.suppressed, key=Finding.sort_key)])
    if report.notices:
        out += _details(plural(len(report.notices), "notice"), ("Rule", "Subject", "Location", "Message"), [
            (_md(f.rule), _md(subject(f)), _md(where(f.file, f.line)), _md(f.message))
            for f in sorted(report.notices, key=Finding.sort_key)])
    for spec, countries in report.graphs:
        out += [f"#### Data flows: {_md(spec.name)}", "", "```mermaid", *_flowchart(spec, countries, report), "```", ""]
    return "\n".join(out)


def _md(text: str) -> str:
    """Text safe inside a table cell: no HTML, no Markdown emphasis, no cell breaks, one line."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(clean(text), quote=False))
    return " ".join(escaped.splitlines())


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def _details(summary_text: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    return ["<details>", f"<summary>{summary_text}</summary>", "", *_table(header, rows), "</details>", ""]


def _flowchart(spec: Spec, countries: dict[str, str], report: Report) -> list[str]:
    """`flowchart LR` with one subgraph per country; violating systems and flows highlighted."""
    node: dict[str, str] = {}
    for system_id in [s.id for s in spec.systems] + [e for f in spec.flows for e in (f.source, f.target)]:
        node.setdefault(system_id, f"n{len(node)}")
    mine = [f for f in report.violations if f.file is None or f.file in spec.files]
    bad_systems = {f.subject_id for f in mine if f.subject_kind == "system"}
    bad_flows = {f.subject_id for f in mine if f.subject_kind == "flow"}

    lines = ["flowchart LR"]
    by_country: dict[str, list[str]] = {}
    for system_id in node:
        by_country.setdefault(countries.get(system_id) or "unknown", []).append(system_id)
    for i, (country, members) in enumerate(sorted(by_country.items())):
        lines.append(f'  subgraph c{i}["{_label(country)}"]')
        lines += [f'    {node[m]}["{_label(m)}<br/>{_label(country)}"]' for m in members]
        lines.append("  end")
    lines += [f'  {node[f.source]} -->|"{_label(f.id)}"| {node[f.target]}' for f in spec.flows]
    lines.append("  classDef violation stroke:#d00,stroke-width:3px,fill:#fdd")
    lines += [f"  class {node[s]} violation" for s in node if s in bad_systems]
    lines += [f"  linkStyle {i} stroke:#d00,stroke-width:3px" for i, f in enumerate(spec.flows) if f.id in bad_flows]
    return lines


def _label(text: str) -> str:
    """Text for a quoted Mermaid label, with the characters Mermaid would parse written as entities."""
    return "".join(_MERMAID_ENTITIES.get(char, char) for char in clean(text))
