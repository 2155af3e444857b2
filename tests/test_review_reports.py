"""The reports a review board reads: the HTML report (its structure, then rendered in headless
Chromium: what a person sees, the filters, no network) and the Markdown report bounded for a
pull-request comment. Specs of hundreds of flows are generated here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.findings import Finding, Report
from checker.report import html, markdown

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples/fsd-export.yaml")
EPOCH = "1764691200"
CHROMIUM = next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)


def many_flows(path: Path, flows: int, systems_per_country: int) -> str:
    """A spec of `flows` exports of personal data from China to the US over 2 x `systems_per_country`
    systems: three findings per flow under the default policy."""
    systems = [
        {"id": f"{code.lower()}-{i}", "kind": "storage", "location": code}
        for code in ("CN", "US")
        for i in range(systems_per_country)
    ]
    spec = {
        "version": 1,
        "name": f"exports-{flows}",
        "systems": systems,
        "datasets": [
            {"id": "riders", "origin": "CN", "categories": ["personal"], "subjects": 2_000_000}
        ],
        "flows": [
            {
                "id": f"export-{i:05}",
                "from": f"cn-{i % systems_per_country}",
                "to": f"us-{(i // 3) % systems_per_country}",
                "datasets": ["riders"],
            }
            for i in range(flows)
        ],
    }
    path.write_text(json.dumps(spec))
    return str(path)


def check(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", *args], env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == 1, result.stderr
    return result.stdout


def json_report(spec: str) -> dict:
    return json.loads(check(spec, "--format", "json"))


class Page(HTMLParser):
    """The elements of an HTML page as (tag, attributes, text up to the next tag), and its headings."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[list] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append([tag, dict(attrs), ""])

    def handle_data(self, data):
        if self.elements:
            self.elements[-1][2] += data

    def all(self, tag: str, cls: str | None = None) -> list[list]:
        return [
            e
            for e in self.elements
            if e[0] == tag and (cls is None or cls in e[1].get("class", "").split())
        ]

    def text(self) -> str:
        return " ".join(e[2] for e in self.elements)


# --- HTML: structure, from the file alone -------------------------------------------------------------


@pytest.fixture(scope="module")
def example_html() -> str:
    return check(EXAMPLE, "--format", "html")


def test_html_is_self_contained(example_html):
    page = Page(example_html)
    assert (
        not page.all("link")
        and not page.all("img")
        and not page.all("iframe")
        and not page.all("object")
    )
    assert [e[1] for e in page.all("script")] == [{}] and len(
        page.all("style")
    ) == 1  # inline, once each
    urls = [
        value
        for _, attrs, _ in page.elements
        for value in attrs.values()
        if value and re.match(r"\s*(https?:|//|ftp:|data:)", value)
    ]
    assert urls == []
    [policy] = [
        e[1] for e in page.all("meta") if e[1].get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy["content"].startswith("default-src 'none';")


def test_html_is_accessible(example_html):
    page = Page(example_html)
    assert page.all("html")[0][1]["lang"] == "en" and page.all("title")[0][2].strip()
    levels = [int(e[0][1]) for e in page.elements if re.fullmatch(r"h[1-6]", e[0])]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))  # no heading level skipped
    assert page.all("th") and all(e[1].get("scope") in ("col", "row") for e in page.all("th"))
    assert all(e[1].get("aria-labelledby") for e in page.all("section"))
    labelled = {e[1]["for"] for e in page.all("label") if "for" in e[1]}
    assert page.all("select") and all(e[1]["id"] in labelled for e in page.all("select"))
    # each checkbox sits inside its label: the label is the element just before it
    for index, element in enumerate(page.elements):
        if element[0] == "input":
            assert page.elements[index - 1][0] == "label"
    [svg] = page.all("svg")
    assert svg[1]["role"] == "img" and all(
        part in {e[1].get("id") for e in page.elements}
        for part in svg[1]["aria-labelledby"].split()
    )


def test_html_text_contrast_is_at_least_4_5_to_1():
    """WCAG AA for normal text: every CSS rule that sets both a text and a background colour."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    pairs = []
    for body in re.findall(r"\{([^}]*)\}", html._CSS):
        colours = dict(re.findall(r"(?<![-\w])(color|background):(#[0-9a-f]{6})", body))
        if len(colours) == 2:
            pairs.append((colours["color"], colours["background"]))
    assert len(pairs) >= 6  # the page, the badges
    for text, background in pairs:
        light, dark = sorted((luminance(text), luminance(background)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (text, background)


def test_html_holds_the_run_findings_with_citation_and_fix_and_the_diagram(example_html):
    report = json_report(EXAMPLE)
    page = Page(example_html)
    text = page.text()
    run = report["run"]
    for fact in (
        run["started_at"],
        run["policy"]["sha256"],
        run["rules"]["sha256"],
        run["inputs"][0]["sha256"],
        " ".join(run["command"][:3]),
    ):
        assert fact in text
    blocks = page.all("article", "rule")
    findings = (
        report["violations"] + report["notices"]
    )  # notices are findings too (PIPL advice here)
    assert sorted(b[1]["data-rule"] for b in blocks) == sorted(v["rule"] for v in findings)
    for violation in report["violations"]:
        assert violation["remediation"] in text and all(
            ref in text for ref in violation["references"]
        )
    # the diagram: one box per system, grouped by country, the violating flow in red
    assert sorted(e[1]["data-id"] for e in page.all("g", "node")) == [
        "fleet-cn",
        "palo-alto-training",
        "shanghai-dc",
    ]
    assert [e[2].strip() for e in page.all("text") if e[1].get("font-weight") == "600"] == [
        "CN · China",
        "US · United States",
    ]
    [bad] = page.all("path", "bad")
    assert (
        "export-to-us" in page.elements[page.elements.index(bad) + 1][2]
        and bad[1]["stroke"] == "#b91c1c"
    )
    assert len(page.all("path", "flow")) == 2


def test_html_diagram_draws_50_systems_and_summarises_more_by_country(tmp_path):
    drawn = Page(check(many_flows(tmp_path / "fifty.json", 60, 25), "--format", "html"))
    assert len(drawn.all("g", "node")) == 50 and len(drawn.all("g", "country")) == 2
    assert (
        len(drawn.all("path", "bad")) == len(drawn.all("path", "flow")) == 60
    )  # one arrow per system pair

    summarised = Page(check(many_flows(tmp_path / "more.json", 300, 26), "--format", "html"))
    assert [e[1]["data-id"] for e in summarised.all("g", "node")] == ["CN", "US"]
    [arrow] = summarised.all("path", "flow")
    assert "bad" in arrow[1]["class"]
    assert (
        summarised.elements[summarised.elements.index(arrow) + 1][2].strip()
        == "CN · China → US · United States: 300 flows, 300 with a violation"
    )
    assert "52 systems are too many to draw one by one" in summarised.text()


def test_html_report_is_deterministic_and_escapes_what_it_shows(tmp_path):
    spec = tmp_path / "odd.yaml"
    spec.write_text(
        (ROOT / "examples/fsd-export.yaml").read_text().replace("export-to-us", '<b>x</b>&"y"')
    )
    out = check(str(spec), "--format", "html")
    assert "<b>x</b>" not in out and "&lt;b&gt;x&lt;/b&gt;&amp;&quot;y&quot;" in out
    assert check(str(spec), "--format", "html") == out


def test_html_lists_at_most_max_rows_per_rule_and_says_how_many_more(monkeypatch):
    monkeypatch.setattr(html, "MAX_ROWS_PER_RULE", 2)
    base = Finding(
        rule="R-1",
        title="t",
        severity="high",
        category="approval",
        subject_kind="flow",
        subject_id="f",
        dataset=None,
        path=(),
        message="m",
        references=(),
        remediation="r",
        file=None,
        line=None,
    )
    report = Report(
        as_of=dt.date(2026, 1, 1),
        version="0",
        violations=[dataclasses.replace(base, subject_id=f"flow-{i}") for i in range(5)],
    )
    out = html.render(report)
    page = Page(out)
    [block] = page.all("article", "rule")
    assert block[1]["data-count"] == "5" and re.findall(r"<code>(flow-\d)</code>", out) == [
        "flow-0",
        "flow-1",
    ]
    assert "3 more findings of R-1 are in the full report" in page.text()
    assert "Citation none" in " ".join(page.text().split())


# --- HTML: in a real browser --------------------------------------------------------------------------


def browse(page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran in headless Chromium, and every request the page made
    (Chromium's own background requests, which have no page as initiator, left out)."""
    if CHROMIUM is None:
        if os.environ.get("DLC_REQUIRE_BROWSER"):
            pytest.fail("DLC_REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip("no chromium installed (Debian: apt-get install chromium; .ci/run installs it)")
    netlog = tmp_path / "net.json"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--log-net-log={netlog}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requests = [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start
        and "url" in event["params"]
        and event["params"].get("initiator") != "not an origin"
    ]
    return done.stdout, requests


# Drives the report's own filters as a person would, then writes what is visible into the DOM.
PROBE = """<script>
(function () {
  function seen() {
    var rules = [], rows = 0;
    document.querySelectorAll(".rule").forEach(function (block) {
      if (block.offsetParent !== null) { rules.push(block.dataset.rule); rows += block.querySelectorAll("tbody tr").length; }
    });
    return {rules: rules, rows: rows, says: document.getElementById("shown").textContent,
            form: document.getElementById("filters").offsetParent !== null};
  }
  var out = {start: seen()};
  var high = document.querySelector("input[name=severity][value=high]");
  high.click();
  out.withoutHigh = seen();
  high.click();
  var rule = document.getElementById("rule-filter");
  rule.value = "CN-PI-EXPORT";
  rule.dispatchEvent(new Event("change", {bubbles: true}));
  out.onePiRule = seen();
  document.body.setAttribute("data-probe", JSON.stringify(out));
})();
</script>"""


def test_html_in_a_browser_shows_the_findings_and_its_filters_work(tmp_path, example_html):
    page = tmp_path / "report.html"
    page.write_text(example_html.replace("</body>", PROBE + "</body>"))
    dom, requests = browse(page, tmp_path)
    assert requests == []
    probe = json.loads(Page(dom).all("body")[0][1]["data-probe"])
    critical = ["CN-AUTO-IMPORTANT-DATA-EXPORT", "CN-IMPORTANT-DATA-EXPORT"]
    high = ["CN-PI-EXPORT", "CN-XBORDER-SECURITY-ASSESSMENT"]
    notices = ["CN-PIPL-PIPIA", "CN-PIPL-SEPARATE-CONSENT"]
    assert probe["start"] == {
        "rules": critical + high + notices,
        "rows": 6,
        "says": "Showing 6 of 6 findings",
        "form": True,
    }
    assert probe["withoutHigh"] == {
        "rules": critical + notices,
        "rows": 4,
        "says": "Showing 4 of 6 findings",
        "form": True,
    }
    assert probe["onePiRule"] == {
        "rules": ["CN-PI-EXPORT"],
        "rows": 1,
        "says": "Showing 1 of 6 findings",
        "form": True,
    }
    rendered = Page(dom)
    assert len(rendered.all("g", "node")) == 3 and len(rendered.all("svg")) == 1


def test_the_browser_check_sees_a_page_that_fetches(tmp_path):
    """The request check above can fail: a page that loads an image from the network is caught."""
    page = tmp_path / "leaky.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><body><img src="http://127.0.0.1:9/x.png" alt=""></body></html>'
    )
    _, requests = browse(page, tmp_path)
    assert requests == ["http://127.0.0.1:9/x.png"]


def test_html_without_script_shows_everything_and_no_dead_controls(example_html):
    """With JavaScript off the form stays hidden (it could do nothing) and every finding shows."""
    page = Page(example_html)
    [form] = page.all("form")
    assert "hidden" in form[1]
    assert not any("hidden" in e[1] for e in page.all("article") + page.all("section"))


# --- Markdown: bounded for a pull-request comment -----------------------------------------------------


def finding_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| **") and "*Fix:*" in line]


def test_markdown_of_a_small_check_shows_every_finding_with_citation_and_fix():
    report = json_report(EXAMPLE)
    out = check(EXAMPLE, "--format", "markdown")
    rows = finding_rows(out)
    findings = report["violations"] + report["notices"]
    assert len(rows) == len(findings) == 6
    for row, violation in zip(rows, findings, strict=True):
        assert row.startswith(f"| **{violation['rule']}** ({violation['severity']})")
        assert "*Cites:* " + "; ".join(violation["references"]) in row
    assert "Findings by rule" not in out
    assert (
        "<summary>Run: how this report was made</summary>" in out
        and report["run"]["rules"]["sha256"] in out
    )
    assert "```mermaid" in out


def test_markdown_of_300_flows_stays_under_the_limit_and_summarises_by_rule(tmp_path):
    spec = many_flows(tmp_path / "s.json", 300, 26)
    report = json_report(spec)
    out = check(spec, "--format", "markdown")
    assert len(out) < markdown.LIMIT
    total = len(report["violations"]) + len(report["notices"])
    rows = finding_rows(out)
    assert len(report["violations"]) == 900 and 0 < len(rows) < total
    assert all(re.search(r"\*Cites:\* \S", row) and "*Fix:* " in row for row in rows)
    table = re.findall(r"^\| \*\*([A-Z0-9-]+)\*\* \| (\w+) \| ([\d,]+) \| ([\d,]+) \|", out, re.M)
    counts = {}
    for violation in report["violations"] + report["notices"]:
        counts[violation["rule"]] = counts.get(violation["rule"], 0) + 1
    assert {rule: int(n.replace(",", "")) for rule, _, n, _ in table} == counts
    shown = {rule: int(n) for rule, _, _, n in table}
    assert all(shown.values())  # every rule has lines shown
    assert sum(shown.values()) == len(rows)
    assert f"{total - len(rows):,} more findings than this comment can hold" in out
    assert "52 systems are too many to draw here" in out


def test_markdown_stays_under_the_limit_at_10000_findings_and_with_one_huge_finding():
    base = Finding(
        rule="R-1",
        title="t",
        severity="high",
        category="approval",
        subject_kind="flow",
        subject_id="f",
        dataset="d",
        path=("a", "b"),
        message="m " * 40,
        references=("Law art. 1 (2020-01-01)",),
        remediation="fix " * 50,
        file="s.yaml",
        line=3,
    )
    many = [
        dataclasses.replace(base, rule=f"R-{i % 7}", subject_id=f"flow-{i:05}")
        for i in range(10_000)
    ]
    notices = [dataclasses.replace(finding, severity="notice") for finding in many[:500]]
    report = Report(as_of=dt.date(2026, 1, 1), version="0", violations=many, notices=notices)
    out = markdown.render(report)
    assert len(out) < markdown.LIMIT and "10,000 violations" in out
    assert sorted(re.findall(r"^\| \*\*(R-\d)\*\* \| high \| ([\d,]+) \|", out, re.M)) == [
        (f"R-{i}", "1,429" if i < 4 else "1,428") for i in range(7)
    ]
    assert len(re.findall(r"^\| \*\*R-\d\*\* \| notice \| ([\d,]+) \|", out, re.M)) == 7
    huge = Report(
        as_of=dt.date(2026, 1, 1),
        version="0",
        violations=[dataclasses.replace(base, message="x" * 100_000)],
    )
    out = markdown.render(huge)
    assert len(out) < markdown.LIMIT and finding_rows(out) == [] and "1 more finding than" in out
