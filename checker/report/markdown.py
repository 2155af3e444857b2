"""GitHub-flavoured Markdown for a pull-request comment, with a Mermaid diagram of each spec's flows.

A comment holds at most 65,536 characters, so the report stays under LIMIT whatever the number of
findings: finding lines are written most severe first while they fit, then a per-rule summary
says how many each rule has and how many more the full report (`--format json`, `html`) holds.
Every finding line carries the rule's citation and fix.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from itertools import zip_longest

from checker.findings import SEVERITIES, SEVERITY_RANK, Finding, Report
from checker.model import Spec
from checker.report.common import (
    by_severity,
    error_text,
    path,
    run_facts,
    subject,
    summary,
    suppression_text,
    where,
)
from checker.report.diagram import MAX_SYSTEMS
from checker.text import clean, plural

LIMIT = 60_000
MAX_LISTED = 20  # input files and input errors listed before "and N more"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "`": "#96;",
    "|": "#124;",
}
_COLUMNS = ("Rule", "Subject", "Dataset", "Path", "Location", "Message, citation and fix")


def render(report: Report, *, color: bool = False) -> str:
    verdict = plural(len(report.violations), "violation") if report.violations else "no violations"
    if report.errors:
        verdict += f", {plural(len(report.errors), 'input error')}"
    out = [
        f"### dlc: {verdict}",
        "",
        summary(report),
        "",
        "| Severity | Violations |",
        "| --- | ---: |",
    ]
    counts = report.by_severity()
    out += [f"| {severity} | {counts.get(severity, 0)} |" for severity in reversed(SEVERITIES)]
    out += [
        f"| suppressed | {len(report.suppressed)} |",
        f"| notices | {len(report.notices)} |",
        "",
    ]
    out += _run(report)
    if report.errors:
        out += (
            ["#### Input errors", ""]
            + _listed([f"- {_md(error_text(e))}" for e in report.errors], "error")
            + [""]
        )

    sections = [
        (f"{severity.capitalize()} ({len(findings)})", findings, False)
        for severity, findings in by_severity(report.violations)
    ]
    if report.suppressed:
        sections.append(
            (
                plural(len(report.suppressed), "suppressed finding"),
                sorted(report.suppressed, key=Finding.sort_key),
                True,
            )
        )
    if report.notices:
        sections.append(
            (
                plural(len(report.notices), "notice"),
                sorted(report.notices, key=Finding.sort_key),
                True,
            )
        )
    everything = [f for _, findings, _ in sections for f in findings]
    # what must fit whatever is left out: the sections' frames and the summary by rule
    room = (
        LIMIT
        - _size(out)
        - _size(_by_rule(everything, {}))
        - sum(
            _size(_section(f"{title}, {len(findings):,} shown", [], folded))
            for title, findings, folded in sections
        )
    )
    rows: dict[tuple[int, int], str] = {}  # (section, index in it) -> the line of a finding shown
    shown: dict[tuple[str, str], int] = {}  # (rule, severity) -> findings shown
    for place, finding in _taking_turns(sections):
        row = _row(finding)
        room -= len(row) + 1
        if room < 0:
            break
        rows[place] = row
        shown[finding.rule, finding.severity] = shown.get((finding.rule, finding.severity), 0) + 1
    for number, (title, findings, folded) in enumerate(sections):
        lines = [rows[number, index] for index in range(len(findings)) if (number, index) in rows]
        if lines:
            out += _section(
                title if len(lines) == len(findings) else f"{title}, {len(lines):,} shown",
                lines,
                folded,
            )
    if len(rows) < len(everything):
        out += _by_rule(everything, shown)
    for spec, countries in report.graphs:
        out += _diagram(spec, countries, report, LIMIT - _size(out))
    return "\n".join(out)


def _taking_turns(sections) -> Iterator[tuple[tuple[int, int], Finding]]:
    """Every finding with its place (section, index), each rule's first before any rule's second
    (and so on), rules in the order of the sections, most severe first: a comment too small for
    all of them shows every kind of problem."""
    by_rule: dict[tuple, list] = {}
    for number, (_, findings, _) in enumerate(sections):
        for index, finding in enumerate(findings):
            by_rule.setdefault((number, finding.rule, finding.severity), []).append(
                ((number, index), finding)
            )
    for turn in zip_longest(*by_rule.values()):
        yield from (entry for entry in turn if entry is not None)


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _run(report: Report) -> list[str]:
    """The audit trail, folded: it matters to an auditor, not to most readers of a pull request."""
    rows = [f"| {label} | {_md(text)} |" for label, text in run_facts(report)]
    inputs = report.run["inputs"] if report.run else []
    rows += _listed(
        [
            f"| Input | {_md(i['path'])} ({i['kind'] or 'unreadable'}, sha256 {i['sha256'] or '-'}) |"
            for i in inputs
        ],
        "input",
        row=True,
    )
    return [
        "<details>",
        "<summary>Run: how this report was made</summary>",
        "",
        "| Fact | Value |",
        "| --- | --- |",
        *rows,
        "",
        "</details>",
        "",
    ]


def _listed(lines: list[str], noun: str, row: bool = False) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    more = f"and {plural(len(lines) - MAX_LISTED, noun)} more (see `--format json`)"
    return lines[:MAX_LISTED] + [f"| … | {more} |" if row else f"- {more}"]


def _row(finding: Finding) -> str:
    cites = "; ".join(_md(reference) for reference in finding.references) or "none"
    text = _md(finding.message)
    if finding.suppression is not None:
        text += f"<br/>*Suppressed:* {_md(suppression_text(finding.suppression))}"
    text += f"<br/>*Cites:* {cites}<br/>*Fix:* {_md(finding.remediation) or 'none'}"
    place = _md(where(finding.file, finding.line)) + "".join(  # and the other side of a bound spec
        f"<br/>{_md(where(other.file, other.line))}" for other in finding.related
    )
    cells = (
        f"**{_md(finding.rule)}** ({finding.severity})",
        _md(subject(finding)),
        _md(finding.dataset or ""),
        _md(path(finding)),
        place,
        text,
    )
    return "| " + " | ".join(cells) + " |"


def _section(title: str, rows: list[str], folded: bool) -> list[str]:
    table = ["| " + " | ".join(_COLUMNS) + " |", "|" + " --- |" * len(_COLUMNS), *rows, ""]
    if folded:
        return ["<details>", f"<summary>{title}</summary>", "", *table, "</details>", ""]
    return [f"#### {title}", "", *table]


def _by_rule(findings: list[Finding], shown: dict[tuple[str, str], int]) -> list[str]:
    """Every rule with findings, its count and how many of them the comment shows."""
    counts: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        counts.setdefault((finding.rule, finding.severity), []).append(finding)
    more = len(findings) - sum(shown.values())
    out = [
        "#### Findings by rule",
        "",
        f"{plural(more, 'more finding')} than this comment can hold (it stays under {LIMIT:,} characters) "
        "are in the full report: `dlc check … --format json` or `--format html`.",
        "",
        "| Rule | Severity | Findings | Shown | Citation |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for (rule, severity), group in sorted(
        counts.items(), key=lambda item: (-SEVERITY_RANK.get(item[0][1], -1), item[0][0])
    ):
        cites = "; ".join(_md(reference) for reference in group[0].references)
        out.append(
            f"| **{_md(rule)}** | {severity} | {len(group):,} | {shown.get((rule, severity), 0):,} | {cites} |"
        )
    return out + [""]


def _md(text: str) -> str:
    """Text safe inside a table cell: no HTML, no Markdown emphasis, no cell breaks, one line."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(clean(text), quote=False))
    return " ".join(escaped.splitlines())


def _diagram(spec: Spec, countries: dict[str, str], report: Report, room: int) -> list[str]:
    """The spec's Mermaid flowchart where it fits and is readable; else a line pointing at the HTML report."""
    heading = [f"#### Data flows: {_md(spec.name)}", ""]
    systems = {s.id for s in spec.systems} | {e for f in spec.flows for e in (f.source, f.target)}
    if len(systems) > MAX_SYSTEMS:
        note = heading + [
            f"{plural(len(systems), 'system')} are too many to draw here: `--format html` "
            "draws them by country.",
            "",
        ]
        return note if _size(note) <= room else []
    lines = heading + ["```mermaid", *_flowchart(spec, countries, report), "```", ""]
    if _size(lines) <= room:
        return lines
    note = heading + ["The diagram does not fit in this comment: `--format html` draws it.", ""]
    return note if _size(note) <= room else []


def _flowchart(spec: Spec, countries: dict[str, str], report: Report) -> list[str]:
    """`flowchart LR` with one subgraph per country; violating systems and flows highlighted."""
    node: dict[str, str] = {}
    for system_id in [s.id for s in spec.systems] + [
        e for f in spec.flows for e in (f.source, f.target)
    ]:
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
    lines += [
        f"  linkStyle {i} stroke:#d00,stroke-width:3px"
        for i, f in enumerate(spec.flows)
        if f.id in bad_flows
    ]
    return lines


def _label(text: str) -> str:
    """Text for a quoted Mermaid label, with the characters Mermaid would parse written as entities."""
    return "".join(_MERMAID_ENTITIES.get(char, char) for char in clean(text))
