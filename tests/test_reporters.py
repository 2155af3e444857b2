"""The text, SARIF, JUnit, Markdown and HTML renderers, on hand-built reports (the HTML report in a
browser: tests/test_html_report.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from checker.findings import Finding, Report, RuleInfo, Suppression
from checker.load.validation import validate
from checker.model import Dataset, Flow, Spec, System
from checker.report import html, json_report, junit, markdown, sarif, text

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
SPEC_FILE = "examples/fsd-export.yaml"
WEIRD = 'vendor:"odd"/x[1].y'
RENDERERS = [text, sarif, junit, markdown, html]


def rule(id, title, severity, category):
    return RuleInfo(
        id=id,
        title=title,
        severity=severity,
        category=category,
        description=f"{title}.",
        references=(f"{id} reference (2021-11-01)",),
        remediation=f"Fix {id}.",
    )


RULES = [
    rule(
        "CN-AUTO-IMPORTANT-EXPORT",
        "Important automotive data leaves China without a security assessment",
        "critical",
        "cross-border-transfer",
    ),
    rule(
        "US-EAR-ADVANCED-COMPUTING",
        "Advanced accelerators in a restricted destination without a licence",
        "high",
        "export-control",
    ),
    rule(
        "CN-PI-EXPORT",
        "Personal information leaves China without a transfer mechanism",
        "high",
        "cross-border-transfer",
    ),
    rule("CN-APPROVAL-EXPIRING", "An approval expires within 90 days", "low", "approval"),
    rule(
        "EU-GDPR-TRANSFER",
        "Personal data leaves the EEA without a transfer tool",
        "high",
        "cross-border-transfer",
    ),
]


def finding(
    rule_id, severity, kind, subject, *, dataset=None, path=(), line=None, message="", **extra
):
    info = next(r for r in RULES if r.id == rule_id)
    return Finding(
        rule=rule_id,
        title=info.title,
        severity=severity,
        category=info.category,
        subject_kind=kind,
        subject_id=subject,
        dataset=dataset,
        path=tuple(path),
        message=message,
        references=info.references,
        remediation=info.remediation,
        file=SPEC_FILE,
        line=line,
        **extra,
    )


CN_EXPORT = finding(
    "CN-AUTO-IMPORTANT-EXPORT",
    "critical",
    "flow",
    "export-to-us",
    dataset="fleet-video",
    path=["fleet-cn", "shanghai-dc", "palo-alto-training"],
    line=41,
    message="fleet-video (important data from CN) reaches palo-alto-training in US without a "
    "CAC security assessment",
)
HARDWARE = finding(
    "US-EAR-ADVANCED-COMPUTING",
    "high",
    "system",
    "cn-training",
    line=22,
    message="1024 x NVIDIA H100 SXM at cn-training (CN) need a BIS licence",
)
SUPPRESSED = finding(
    "CN-PI-EXPORT",
    "high",
    "flow",
    "export-to-us",
    dataset="driver-profiles",
    path=["fleet-cn", "shanghai-dc", "palo-alto-training"],
    line=41,
    message="driver-profiles reaches US without a standard contract",
    suppression=Suppression(
        "exemption",
        "Standard contract filed with the CAC, pending",
        owner="privacy@example.com",
        expires=dt.date(2027, 3, 31),
    ),
)
NOTICE = finding(
    "CN-APPROVAL-EXPIRING",
    "notice",
    "approval",
    "cac-sa-2024-17",
    line=60,
    message="cac-sa-2024-17 expires on 2027-01-10",
)


def graph_spec() -> tuple[Spec, dict[str, str]]:
    systems = [
        validate(System, {"id": i, "location": c, "kind": "storage"})
        for i, c in (
            ("fleet-cn", "CN"),
            ("shanghai-dc", "CN"),
            ("palo-alto-training", "US"),
            ("cn-training", "CN"),
            (WEIRD, "HK"),
        )
    ]
    flows = [
        validate(Flow, {"id": i, "from": a, "to": b, "datasets": ["fleet-video"]})
        for i, a, b in (
            ("collect", "fleet-cn", "shanghai-dc"),
            ("export-to-us", "shanghai-dc", "palo-alto-training"),
            ("train-cn", "shanghai-dc", "cn-training"),
            ("to-vendor", "shanghai-dc", WEIRD),
        )
    ]
    datasets = [
        validate(Dataset, {"id": "fleet-video", "origin": "CN", "categories": ["personal"]})
    ]
    spec = Spec(
        name="fsd-training",
        files=[SPEC_FILE],
        organization=None,
        systems=systems,
        datasets=datasets,
        flows=flows,
        approvals=[],
        where={},
    )
    return spec, {s.id: s.location for s in systems}


RUN = {
    "started_at": "2026-11-25T16:00:00Z",
    "command": ["dlc", "check", SPEC_FILE, "--exemptions", "ex emptions.yaml"],
    "policy": {"name": "default", "sha256": "a" * 64},
    "rules": {"count": 5, "sha256": "b" * 64},
    "inputs": [{"path": SPEC_FILE, "kind": "spec", "sha256": "c" * 64}],
    "exemptions": [{"path": "ex emptions.yaml", "sha256": "d" * 64}],
    "baseline": None,
}


@pytest.fixture
def report() -> Report:
    return Report(
        as_of=dt.date(2026, 11, 25),
        version="0.1.0",
        violations=[HARDWARE, CN_EXPORT],
        suppressed=[SUPPRESSED],
        notices=[NOTICE],
        rules=list(RULES),
        specs=1,
        graphs=[graph_spec()],
        run=RUN,
    )


@pytest.fixture
def error_report() -> Report:
    return Report(
        as_of=dt.date(2026, 11, 25),
        version="0.1.0",
        specs=1,
        rules=list(RULES),
        errors=[
            {
                "file": "examples/broken.yaml",
                "line": 7,
                "column": 12,
                "message": "unknown system 'shanghai-dcc' in flow 'export-to-us'",
            }
        ],
    )


def validate_sarif(output: str) -> dict:
    log = json.loads(output)
    problems = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in Draft7Validator(SARIF_SCHEMA).iter_errors(log)
    ]
    assert problems == []
    return log


# --- SARIF ------------------------------------------------------------------------------------------------


def test_sarif_validates_and_maps_levels_and_rule_indexes(report):
    run = validate_sarif(sarif.render(report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "dlc" and run["tool"]["driver"]["version"] == "0.1.0"
    assert "informationUri" not in run["tool"]["driver"]  # pyproject.toml names no project URL
    assert sorted(r["id"] for r in rules) == sorted(r.id for r in RULES)
    results = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r for r in run["results"]
    }
    assert len(run["results"]) == 4  # two violations, one suppressed, one notice
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]

    export = results[("CN-AUTO-IMPORTANT-EXPORT", "export-to-us")]
    assert export["level"] == "error"
    physical = export["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": SPEC_FILE}, "region": {"startLine": 41}}
    assert export["locations"][0]["logicalLocations"][0]["kind"] == "flow"
    assert export["partialFingerprints"] == {"dlcFinding/v1": CN_EXPORT.fingerprint()}
    assert export["properties"]["dataset"] == "fleet-video"
    assert export["properties"]["path"] == ["fleet-cn", "shanghai-dc", "palo-alto-training"]
    assert "suppressions" not in export

    assert results[("US-EAR-ADVANCED-COMPUTING", "cn-training")]["level"] == "error"
    suppressed = results[("CN-PI-EXPORT", "export-to-us")]
    assert suppressed["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Standard contract filed with the CAC, pending",
            "properties": {
                "source": "exemption",
                "owner": "privacy@example.com",
                "expires": "2027-03-31",
            },
        }
    ]

    by_id = {r["id"]: r for r in rules}
    critical = by_id["CN-AUTO-IMPORTANT-EXPORT"]
    assert critical["properties"]["security-severity"] == "9.5"
    assert "cross-border-transfer" in critical["properties"]["tags"]
    assert critical["defaultConfiguration"]["level"] == "error"
    assert by_id["CN-APPROVAL-EXPIRING"]["defaultConfiguration"]["level"] == "note"
    assert "Fix CN-AUTO-IMPORTANT-EXPORT." in critical["help"]["text"]
    assert "CN-AUTO-IMPORTANT-EXPORT reference" in critical["help"]["markdown"]
    notice = results[("CN-APPROVAL-EXPIRING", "cac-sa-2024-17")]
    assert (notice["kind"], notice["level"]) == ("informational", "none")  # advice: fails nothing
    assert all("kind" not in r for r in run["results"] if r is not notice)
    assert run["properties"]["notices"] == 1


def test_sarif_carries_the_audit_trail(report):
    """The JSON report's `run` in SARIF's own places: the invocation, artifacts with hashes, properties."""
    run = validate_sarif(sarif.render(report))["runs"][0]
    assert run["invocations"] == [
        {
            "commandLine": f"dlc check {SPEC_FILE} --exemptions 'ex emptions.yaml'",
            "arguments": ["check", SPEC_FILE, "--exemptions", "ex emptions.yaml"],
            "startTimeUtc": "2026-11-25T16:00:00Z",
            "executionSuccessful": True,
        }
    ]
    assert run["artifacts"] == [
        {
            "location": {"uri": SPEC_FILE},
            "roles": ["analysisTarget"],
            "hashes": {"sha-256": "c" * 64},
            "properties": {"kind": "spec"},
        },
        {
            "location": {"uri": "ex%20emptions.yaml"},
            "roles": ["userSpecifiedConfiguration"],
            "hashes": {"sha-256": "d" * 64},
            "properties": {"kind": "exemptions"},
        },
    ]
    assert run["properties"] == {
        "asOf": "2026-11-25",
        "specs": 1,
        "notices": 1,
        "policy": RUN["policy"],
        "rules": RUN["rules"],
        "exemptions": RUN["exemptions"],
        "baseline": None,
    }


def test_sarif_result_carries_rule_level_message_location_and_fingerprint():
    """What Checkov's SARIF model puts on a result, and GitHub code scanning reads."""
    placed = dataclasses.replace(HARDWARE, column=7)
    rep = Report(
        as_of=dt.date(2026, 11, 25), version="0.1.0", violations=[placed], rules=list(RULES)
    )
    [result] = validate_sarif(sarif.render(rep))["runs"][0]["results"]
    assert (result["ruleId"], result["level"], result["message"]) == (
        "US-EAR-ADVANCED-COMPUTING",
        "error",
        {"text": HARDWARE.message},
    )
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": SPEC_FILE},
        "region": {"startLine": 22, "startColumn": 7},
    }
    assert result["locations"][0]["logicalLocations"] == [
        {"kind": "system", "name": "cn-training", "fullyQualifiedName": "system/cn-training"}
    ]
    # the fingerprint names the rule and subject, not the line: moving the finding keeps the alert
    moved = dataclasses.replace(placed, line=99, message="reworded")
    [again] = json.loads(sarif.render(dataclasses.replace(rep, violations=[moved])))["runs"][0][
        "results"
    ]
    assert (
        again["partialFingerprints"]
        == result["partialFingerprints"]
        == {"dlcFinding/v1": HARDWARE.fingerprint()}
    )


def test_sarif_baselined_finding_is_an_accepted_external_suppression():
    baselined = dataclasses.replace(
        HARDWARE, suppression=Suppression("baseline", "accepted in the baseline")
    )
    rep = Report(
        as_of=dt.date(2026, 11, 25), version="0.1.0", suppressed=[baselined], rules=list(RULES)
    )
    [result] = validate_sarif(sarif.render(rep))["runs"][0]["results"]
    assert result["level"] == "error"
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "accepted in the baseline",
            "properties": {"source": "baseline"},
        }
    ]


def test_sarif_levels_for_medium_and_low_and_unknown_rules():
    medium = dataclasses.replace(HARDWARE, rule="X-UNDESCRIBED", severity="medium", line=None)
    low = dataclasses.replace(CN_EXPORT, severity="low", file="examples\\win path.yaml", line=0)
    rep = Report(
        as_of=dt.date(2026, 11, 25), version="0.1.0", violations=[medium, low], rules=list(RULES)
    )
    run = validate_sarif(sarif.render(rep))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"X-UNDESCRIBED": "warning", "CN-AUTO-IMPORTANT-EXPORT": "note"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        # line unknown or 0: code scanning needs a startLine, so the finding points at the file's top
        assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {SPEC_FILE, "examples/win%20path.yaml"}


def test_sarif_reports_errors_as_failed_invocation(error_report):
    run = validate_sarif(sarif.render(error_report))["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "shanghai-dcc" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 12}
    assert run["results"] == []


# --- JUnit ------------------------------------------------------------------------------------------------


def test_junit_counts_and_cases(report):
    root = ET.fromstring(junit.render(report))
    [suite] = root.iter("testsuite")
    assert suite.get("name") == "dlc"
    cases = suite.findall("testcase")
    # 2 failures, 1 skipped, passing rules CN-APPROVAL-EXPIRING (notice only) and EU-GDPR-TRANSFER
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "5",
        "failures": "2",
        "errors": "0",
        "skipped": "1",
    }
    assert {k: root.get(k) for k in ("tests", "failures")} == {"tests": "5", "failures": "2"}
    assert len(cases) == 5
    export = next(c for c in cases if c.get("classname") == "CN-AUTO-IMPORTANT-EXPORT")
    assert export.get("name") == "flow export-to-us, dataset fleet-video"
    failure = export.find("failure")
    assert failure.get("type") == "critical" and failure.get("message") == CN_EXPORT.message
    assert "fleet-cn → shanghai-dc → palo-alto-training" in failure.text
    assert f"{SPEC_FILE}:41" in failure.text
    skipped = next(c for c in cases if c.find("skipped") is not None)
    assert skipped.get("classname") == "CN-PI-EXPORT"
    assert "privacy@example.com" in skipped.find("skipped").get("message")
    passing = sorted(c.get("classname") for c in cases if c.get("name") == "all subjects")
    assert passing == ["CN-APPROVAL-EXPIRING", "EU-GDPR-TRANSFER"]
    assert "cac-sa-2024-17" in suite.find("system-out").text


def test_junit_errors_and_escaping(error_report):
    nasty = dataclasses.replace(CN_EXPORT, message='a <b> & "c" \x1b[31m ]]>', subject_id="x&y<z>")
    error_report.violations = [nasty]
    suite = next(ET.fromstring(junit.render(error_report)).iter("testsuite"))
    assert suite.get("errors") == "1" and suite.get("failures") == "1"
    error_case = next(c for c in suite.findall("testcase") if c.find("error") is not None)
    assert (
        error_case.find("error").text
        == "examples/broken.yaml:7:12: unknown system 'shanghai-dcc' in flow 'export-to-us'"
    )
    failure = suite.find("testcase/failure")
    assert failure.get("message") == 'a <b> & "c" \\u001b[31m ]]>'
    assert suite.find("testcase").get("name") == "flow x&y<z>, dataset fleet-video"


# --- Markdown ---------------------------------------------------------------------------------------------


def test_markdown_summary_tables_and_details(report):
    out = markdown.render(report)
    assert out.startswith("### dlc: 2 violations\n")
    assert "| critical | 1 |" in out and "| high | 1 |" in out and "| medium | 0 |" in out
    assert "| Rule | Subject | Dataset | Path | Location | Message, citation and fix |" in out
    assert out.index("#### Critical (1)") < out.index("#### High (1)")
    assert (
        "| **CN-AUTO-IMPORTANT-EXPORT** (critical) | flow export-to-us | fleet-video | fleet-cn → shanghai-dc → "
        f"palo-alto-training | {SPEC_FILE}:41 | {CN_EXPORT.message}<br/>*Cites:* CN-AUTO-IMPORTANT-EXPORT "
        "reference (2021-11-01)<br/>*Fix:* Fix CN-AUTO-IMPORTANT-EXPORT. |" in out
    )
    assert "<details>\n<summary>1 suppressed finding</summary>" in out
    assert "<summary>1 notice</summary>" in out


def test_markdown_mermaid_diagram_highlights_violations(report):
    out = markdown.render(report)
    block = re.search(r"```mermaid\n(.*?)\n```", out, re.S).group(1)
    lines = block.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  subgraph c0["CN"]' in lines and '  subgraph c2["US"]' in lines
    assert '    n0["fleet-cn<br/>CN"]' in lines
    assert '    n4["vendor:#quot;odd#quot;/x[1].y<br/>HK"]' in lines
    assert '  n1 -->|"export-to-us"| n2' in lines
    assert any(
        line.strip().startswith("classDef violation") and "stroke:#d00" in line for line in lines
    )
    assert "  class n3 violation" in lines  # system cn-training
    assert (
        "  linkStyle 1 stroke:#d00,stroke-width:3px" in lines
    )  # flow export-to-us is the second edge
    assert [line for line in lines if "linkStyle" in line] == [
        "  linkStyle 1 stroke:#d00,stroke-width:3px"
    ]
    assert WEIRD not in block


def test_markdown_escapes_cells(report):
    report.violations = [dataclasses.replace(CN_EXPORT, message="a | b <script> *x*")]
    out = markdown.render(report)
    assert r"a \| b &lt;script&gt; \*x\*" in out
    assert "<script>" not in out


# --- text -------------------------------------------------------------------------------------------------


def test_text_layout_and_summary(report):
    out = text.render(report)
    assert "\x1b" not in out
    assert (
        out.rstrip("\n").splitlines()[-1]
        == "2 violations (1 critical, 1 high), 1 suppressed, 1 notice in 1 spec; 5 rules evaluated as of 2026-11-25"
    )
    assert (
        out.index("CRITICAL (1)")
        < out.index("HIGH (1)")
        < out.index("SUPPRESSED (1)")
        < out.index("NOTICES (1)")
    )
    assert "  CN-AUTO-IMPORTANT-EXPORT  Important automotive data" in out
    assert "    flow export-to-us, dataset fleet-video\n" in out
    assert "    path: fleet-cn → shanghai-dc → palo-alto-training\n" in out
    assert f"    at {SPEC_FILE}:41\n" in out
    assert "    fix: Fix CN-AUTO-IMPORTANT-EXPORT.\n" in out
    assert (
        "Standard contract filed with the CAC, pending (owner privacy@example.com, expires 2027-03-31)"
        in out
    )


def test_text_colors_only_when_asked(report):
    out = text.render(report, color=True)
    assert "\x1b[1m\x1b[31mCRITICAL (1)\x1b[0m" in out
    assert "\x1b[1mCN-AUTO-IMPORTANT-EXPORT\x1b[0m" in out
    assert re.sub(r"\x1b\[\d+m", "", out) == text.render(report)


def test_text_errors_and_no_violations(error_report):
    out = text.render(error_report)
    assert (
        "  examples/broken.yaml:7:12: unknown system 'shanghai-dcc' in flow 'export-to-us'\n" in out
    )
    assert out.endswith(
        "No violations, 0 suppressed, 0 notices, 1 error in 1 spec; "
        "5 rules evaluated as of 2026-11-25\n"
    )


def test_text_neutralises_control_characters(report):
    report.violations = [
        dataclasses.replace(CN_EXPORT, subject_id="evil\x1b]0;pwned\x07", message="x\x1b[2J")
    ]
    out = text.render(report)
    assert "\x1b" not in out and "\x07" not in out
    assert "flow evil\\u001b]0;pwned\\u0007" in out


# --- all renderers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_renderers_are_deterministic(renderer, report):
    first = renderer.render(report)
    assert renderer.render(report) == first
    shuffled = dataclasses.replace(
        report, violations=report.violations[::-1], rules=report.rules[::-1]
    )
    assert renderer.render(shuffled) == first


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_renderers_handle_an_empty_report(renderer):
    out = renderer.render(Report(as_of=dt.date(2026, 11, 25), version="0.1.0"))
    assert out.strip()


@pytest.mark.parametrize("piece_bytes", [1, 700, 1 << 20])
def test_json_report_in_pieces_is_one_document_whatever_the_piece_size(
    report, monkeypatch, piece_bytes
):
    """However the findings fall into pieces (one each, a piece ending on the last finding, all in
    one), the pieces join into the same document, findings in order, each on a line of its own."""
    many = [
        dataclasses.replace(CN_EXPORT, subject_id=f"flow-{i:03}", message="→ " * i)
        for i in range(40)
    ]
    report = dataclasses.replace(report, violations=many)
    monkeypatch.setattr(json_report, "PIECE_BYTES", piece_bytes)
    pieces = list(json_report.pieces(report))
    assert all(isinstance(piece, bytes) for piece in pieces)
    document = json.loads(b"".join(pieces))
    assert [v["subject"]["id"] for v in document["violations"]] == [
        f"flow-{i:03}" for i in range(40)
    ]
    assert document["violations"][39]["message"] == "→ " * 39
    assert [v["rule"] for v in document["notices"]] == ["CN-APPROVAL-EXPIRING"]
    assert json_report.render(report) == b"".join(pieces).decode("utf-8")
    assert b"".join(pieces).count(b"\n    {") == 40 + 1 + 1  # violations, suppressed, notices


def test_json_report_encodes_each_finding_in_the_designed_shape_with_the_rules_runs_encoded_once():
    """The encoder reuses a rule's title, references and remediation across its findings, and must
    still give every finding exactly its own object, key order included: suppressed or not, with
    or without a file, line or dataset; a rule seen with two severities (a notice) is two rules."""
    odd = dataclasses.replace(
        CN_EXPORT,
        subject_id="ünïcode-flow",
        dataset=None,
        path=(),
        file=None,
        line=None,
        message='quote " backslash \\ tab \t and “curly” text',
    )
    as_notice = dataclasses.replace(CN_EXPORT, severity="notice")
    findings = [CN_EXPORT, SUPPRESSED, odd, HARDWARE, as_notice, NOTICE, CN_EXPORT]
    encode = json_report._FindingEncoder()
    decoded = [json.loads(encode(f)) for f in findings]
    rule_info = next(r for r in RULES if r.id == "CN-AUTO-IMPORTANT-EXPORT")
    assert list(decoded[0].items()) == [
        ("rule", "CN-AUTO-IMPORTANT-EXPORT"),
        ("title", rule_info.title),
        ("severity", "critical"),
        ("category", "cross-border-transfer"),
        ("subject", {"kind": "flow", "id": "export-to-us"}),
        ("dataset", "fleet-video"),
        ("path", ["fleet-cn", "shanghai-dc", "palo-alto-training"]),
        ("message", CN_EXPORT.message),
        ("references", list(rule_info.references)),
        ("remediation", rule_info.remediation),
        ("location", {"file": SPEC_FILE, "line": 41}),
    ]
    assert decoded[1]["rule"] == "CN-PI-EXPORT" and list(decoded[1])[-2:] == [
        "location",
        "suppressed",
    ]
    assert decoded[1]["suppressed"] == {
        "kind": "exemption",
        "justification": "Standard contract filed with the CAC, pending",
        "owner": "privacy@example.com",
        "expires": "2027-03-31",
    }
    assert {
        key: decoded[2][key] for key in ("subject", "dataset", "path", "message", "location")
    } == {
        "subject": {"kind": "flow", "id": "ünïcode-flow"},
        "dataset": None,
        "path": [],
        "message": odd.message,
        "location": {"file": None, "line": None},
    }
    assert [d["rule"] for d in decoded] == [f.rule for f in findings]
    assert [d["severity"] for d in decoded] == [
        "critical",
        "high",
        "critical",
        "high",
        "notice",
        "notice",
        "critical",
    ]
    assert decoded[0] == decoded[6] and decoded[2]["title"] == decoded[0]["title"]
    assert (
        len(encode._rules) == 5
    )  # CN export as a violation and as a notice, CN PI, US EAR, approval expiry
