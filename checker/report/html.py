"""One self-contained HTML page for a review board: run facts, findings by severity and rule with
each rule's citation and fix, filters, and each spec's data flows drawn as inline SVG.

Nothing is fetched: style and script are inline and a Content-Security-Policy forbids every other
source, so the file opens offline and leaks nothing. The script only filters; with it off the page
shows everything (the filter form stays hidden). The output depends on the report alone.
"""

from __future__ import annotations

from html import escape

from checker.findings import SEVERITIES, SEVERITY_RANK, Finding, Report
from checker.report.common import (
    by_severity,
    error_text,
    path,
    run_facts,
    summary,
    suppression_text,
    where,
)
from checker.report.diagram import Diagram, layout
from checker.text import clean, plural

MAX_ROWS_PER_RULE = 2000  # past it a rule's table says how many more the JSON report holds
MAX_FLOW_ROWS = 2000  # rows of a diagram's table of flows
_FILTER_ORDER = (*reversed(SEVERITIES), "notice")

_CSS = """
:root{color:#111827;background:#ffffff;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
body{margin:0 auto;max-width:1280px;padding:0 24px 48px}
h1{font-size:1.7rem;margin:24px 0 4px}h2{font-size:1.35rem;margin:32px 0 8px;border-bottom:2px solid #d1d5db}
h3{font-size:1.15rem;margin:20px 0 6px}h4{font-size:1rem;margin:14px 0 4px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:.9rem}
th,td{border:1px solid #d1d5db;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f3f4f6}th[scope=row]{background:#f9fafb;white-space:nowrap;width:1%}
code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}.hash{word-break:break-all}td code{overflow-wrap:break-word}td:first-child code{white-space:nowrap}
.note{color:#374151}.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:.8rem;font-weight:600}
.critical{background:#7f1d1d;color:#ffffff}.high{background:#b91c1c;color:#ffffff}.medium{background:#fde68a;color:#111827}
.low{background:#dbeafe;color:#1e3a8a}.notice{background:#e5e7eb;color:#111827}
.rule{border-left:4px solid #d1d5db;padding:2px 0 2px 12px;margin:12px 0}
.rule.sev-critical,.rule.sev-high{border-color:#b91c1c}.rule.sev-medium{border-color:#b45309}
dl.cite{margin:4px 0;display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dl.cite dt{font-weight:600}
dl.cite dd{margin:0}dl.cite ul{margin:0;padding-left:18px}
form#filters{margin-top:28px;background:#f9fafb;border:1px solid #d1d5db;padding:8px 12px;display:flex;flex-wrap:wrap;gap:8px 24px;align-items:center}
fieldset{border:0;margin:0;padding:0}legend{font-weight:600;float:left;margin-right:8px}
label{margin-right:10px;white-space:nowrap}select{font:inherit}
#shown{margin:0;font-weight:600}
figure{margin:8px 0;overflow-x:auto}figcaption{color:#374151;font-size:.9rem}
.legend-bad{color:#b91c1c;font-weight:600}
[hidden]{display:none!important}
"""

_SCRIPT = """
(function () {
  var form = document.getElementById("filters");
  if (!form) return;
  var rule = document.getElementById("rule-filter"), shown = document.getElementById("shown");
  function apply() {
    var on = {}, visible = 0, total = 0;
    form.querySelectorAll("input[name=severity]").forEach(function (box) { on[box.value] = box.checked; });
    document.querySelectorAll(".rule").forEach(function (block) {
      var ok = on[block.dataset.severity] !== false && (!rule.value || block.dataset.rule === rule.value);
      var count = Number(block.dataset.count);
      block.hidden = !ok; total += count; if (ok) visible += count;
    });
    document.querySelectorAll(".group").forEach(function (group) {
      group.hidden = !group.querySelector(".rule:not([hidden])");
    });
    shown.textContent = "Showing " + visible + " of " + total + " findings";
  }
  form.hidden = false;
  form.addEventListener("change", apply);
  apply();
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def render(report: Report, *, color: bool = False) -> str:
    verdict = plural(len(report.violations), "violation") if report.violations else "no violations"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>dlc report: {verdict}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>dlc compliance report</h1>",
        f'<p id="summary">{_e(summary(report))}</p>',
        '<p class="note">dlc supports compliance work; it is not legal advice.</p>',
        "</header>",
        "<main>",
    ]
    out += _counts(report)
    out += _run_section(report)
    if report.graphs:
        out += _flows_section(report)
    out += _filters(report)
    out += _findings_section("Violations", "violations", report.violations, "No violations.")
    if report.suppressed:
        out += _findings_section("Suppressed", "suppressed", report.suppressed, "")
    if report.notices:
        out += _findings_section("Notices", "notices", report.notices, "")
    if report.errors:
        out += [
            '<section aria-labelledby="errors-h">',
            '<h2 id="errors-h">Input errors</h2>',
            "<ul>",
        ]
        out += [f"<li><code>{_e(error_text(error))}</code></li>" for error in report.errors]
        out += ["</ul>", "</section>"]
    out += ["</main>", f"<script>{_SCRIPT}</script>", "</body>", "</html>", ""]
    return "\n".join(out)


def _e(text: object) -> str:
    return escape(clean(text))


def _run_section(report: Report) -> list[str]:
    out = [
        '<section aria-labelledby="run-h">',
        '<h2 id="run-h">Run</h2>',
        '<table id="run">',
        "<caption>How this report was made (the audit trail)</caption>",
    ]
    for label, text in run_facts(report):
        value = f"<code>{_e(text)}</code>" if label == "Command" else _e(text)
        out.append(f'<tr><th scope="row">{_e(label)}</th><td>{value}</td></tr>')
    out.append(f'<tr><th scope="row">dlc version</th><td>{_e(report.version)}</td></tr>')
    out.append("</table>")
    inputs = report.run["inputs"] if report.run else []
    if inputs:
        out += [
            '<table id="inputs">',
            f"<caption>{plural(len(inputs), 'input file')}</caption>",
            '<thead><tr><th scope="col">Path</th><th scope="col">Kind</th><th scope="col">SHA-256</th></tr></thead>',
            "<tbody>",
        ]
        out += [
            f"<tr><td><code>{_e(i['path'])}</code></td><td>{_e(i['kind'] or 'unreadable')}</td>"
            f'<td class="hash">{_e(i["sha256"] or "-")}</td></tr>'
            for i in inputs
        ]
        out += ["</tbody>", "</table>"]
    return out + ["</section>"]


def _counts(report: Report) -> list[str]:
    counts = report.by_severity()
    rows = [(severity, counts.get(severity, 0)) for severity in reversed(SEVERITIES)]
    rows += [
        ("suppressed", len(report.suppressed)),
        ("notices", len(report.notices)),
        ("input errors", len(report.errors)),
    ]
    return [
        '<section aria-labelledby="counts-h">',
        '<h2 id="counts-h">Summary</h2>',
        '<table id="counts">',
        "<thead><tr>"
        + "".join(f'<th scope="col">{_e(name)}</th>' for name, _ in rows)
        + "</tr></thead>",
        "<tbody><tr>" + "".join(f"<td>{count:,}</td>" for _, count in rows) + "</tr></tbody>",
        "</table>",
        "</section>",
    ]


def _filters(report: Report) -> list[str]:
    """The filter form, hidden until the script shows it (without the script it could do nothing)."""
    findings = [*report.violations, *report.suppressed, *report.notices]
    if not findings:
        return []
    present = {f.severity for f in findings}
    boxes = [
        f'<label><input type="checkbox" name="severity" value="{s}" checked> {s}</label>'
        for s in _FILTER_ORDER
        if s in present
    ]
    rules = sorted({f.rule for f in findings})
    options = ['<option value="">all rules</option>'] + [
        f'<option value="{_e(r)}">{_e(r)}</option>' for r in rules
    ]
    return [
        '<form id="filters" hidden aria-label="Filter findings">',
        "<fieldset><legend>Severity</legend>",
        *boxes,
        "</fieldset>",
        '<label for="rule-filter">Rule</label>',
        '<select id="rule-filter">',
        *options,
        "</select>",
        f'<p id="shown" aria-live="polite">Showing {len(findings)} of {len(findings)} findings</p>',
        "</form>",
    ]


def _findings_section(title: str, key: str, findings: list[Finding], empty: str) -> list[str]:
    """Findings by severity (a group each), then by rule: the rule's citation and fix once, then
    a table of its findings. Suppressed findings are one group, notices another."""
    out = [
        f'<section aria-labelledby="{key}-h">',
        f'<h2 id="{key}-h">{title} ({len(findings)})</h2>',
    ]
    if not findings:
        return out + [f"<p>{empty}</p>", "</section>"]
    if key == "violations":
        for severity, group in by_severity(findings):
            out += [
                f'<section class="group" aria-labelledby="{key}-{severity}-h">',
                f'<h3 id="{key}-{severity}-h"><span class="badge {severity}">{severity}</span> '
                f"{plural(len(group), 'violation')}</h3>",
                *_rule_blocks(key, group, 4),
                "</section>",
            ]
    else:
        out += [
            '<div class="group">',
            *_rule_blocks(key, sorted(findings, key=Finding.sort_key), 3),
            "</div>",
        ]
    return out + ["</section>"]


def _rule_blocks(key: str, findings: list[Finding], level: int) -> list[str]:
    by_rule: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault((finding.rule, finding.severity), []).append(finding)
    out = []
    ordered = sorted(
        by_rule.items(), key=lambda item: (-SEVERITY_RANK.get(item[0][1], -1), item[0][0])
    )
    for (rule, severity), group in ordered:
        first, severity = group[0], _e(severity)
        citation = "".join(f"<li>{_e(ref)}</li>" for ref in first.references)
        out += [
            f'<article class="rule sev-{severity}" data-rule="{_e(rule)}" data-severity="{severity}" '
            f'data-count="{len(group)}">',
            f"<h{level}><code>{_e(rule)}</code> {_e(first.title)} "
            f'<span class="badge {severity}">{severity}</span></h{level}>',
            '<dl class="cite">',
            "<dt>Citation</dt>",
            f"<dd><ul>{citation}</ul></dd>" if citation else "<dd>none</dd>",
            "<dt>Fix</dt>",
            f"<dd>{_e(first.remediation)}</dd>",
            "</dl>",
        ]
        columns = ["Subject", "Dataset", "Path", "Location", "Message"] + (
            ["Suppression"] if key == "suppressed" else []
        )
        out += [
            "<table>",
            f"<caption>{plural(len(group), 'finding')} of {_e(rule)}</caption>",
            "<thead><tr>" + "".join(f'<th scope="col">{c}</th>' for c in columns) + "</tr></thead>",
            "<tbody>",
        ]
        for finding in group[:MAX_ROWS_PER_RULE]:
            cells = [
                f"{_e(finding.subject_kind)} <code>{_e(finding.subject_id)}</code>",
                _e(finding.dataset or ""),
                _e(path(finding)),
                "<br>".join(
                    f"<code>{_e(place)}</code>"
                    for place in (  # and the other side
                        where(finding.file, finding.line),
                        *(where(p.file, p.line) for p in finding.related),
                    )
                ),
                _e(finding.message),
            ]
            if key == "suppressed" and finding.suppression:
                cells.append(_e(suppression_text(finding.suppression)))
            out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        out += ["</tbody>", "</table>"]
        if len(group) > MAX_ROWS_PER_RULE:
            out.append(
                f'<p class="note">{len(group) - MAX_ROWS_PER_RULE:,} more findings of {_e(rule)} are '
                "in the full report (<code>--format json</code> or <code>sarif</code>).</p>"
            )
        out.append("</article>")
    return out


def _flows_section(report: Report) -> list[str]:
    out = ['<section aria-labelledby="flows-h">', '<h2 id="flows-h">Data flows</h2>']
    for number, (spec, countries) in enumerate(report.graphs, 1):
        mine = [f for f in report.violations if f.file is None or f.file in spec.files]
        diagram = layout(
            spec,
            countries,
            {f.subject_id for f in mine if f.subject_kind == "flow"},
            {f.subject_id for f in mine if f.subject_kind == "system"},
            _country_name,
        )
        out += [
            f'<h3 id="spec-{number}">{_e(spec.name)}</h3>',
            "<figure>",
            diagram.svg(f"diagram-{number}"),
            f'<figcaption>{_e(diagram.caption)} <span class="legend-bad">Red</span>: '
            "a flow or system with a violation.</figcaption>",
            "</figure>",
            *_flow_table(diagram),
        ]
    return out + ["</section>"]


def _country_name(code: str) -> str:
    from checker.resolve.regions import default_catalog

    catalog = default_catalog()
    return catalog.country_name(code) if catalog.is_country(code) else code


def _flow_table(diagram: Diagram) -> list[str]:
    """The diagram's edges as a table: what the picture shows, for a screen reader or a search."""
    out = [
        "<details>",
        f"<summary>The {plural(len(diagram.rows), diagram.table_noun)} as a table</summary>",
        "<table>",
        "<thead><tr>"
        + "".join(f'<th scope="col">{c}</th>' for c in diagram.table_columns)
        + "</tr></thead>",
        "<tbody>",
    ]
    out += [
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>"
        for row in diagram.rows[:MAX_FLOW_ROWS]
    ]
    out += ["</tbody>", "</table>"]
    if len(diagram.rows) > MAX_FLOW_ROWS:
        out.append(
            f'<p class="note">and {plural(len(diagram.rows) - MAX_FLOW_ROWS, diagram.table_noun)} more.</p>'
        )
    return out + ["</details>"]
