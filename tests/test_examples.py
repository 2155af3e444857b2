"""Every shipped example, run through the CLI as a user would, with the outcome pinned.

The tables below were recorded by running `dlc check FILE --as-of 2026-11-25 --format json` on
each example; README.md's Examples table shows the same outcomes. A change to a rule, the engine
or an example that moves one of them must update both. Each example is also rendered as SARIF
(validated against the SARIF 2.1.0 schema, offline), JUnit XML and Markdown.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-25"

# path -> (exit code, {(rule, subject kind, subject id)}), at --as-of 2026-11-25, default policy.
EXPECTED: dict[str, tuple[int, set[tuple[str, str, str]]]] = {
    "examples/fsd-export.yaml": (
        1,
        {
            ("CN-AUTO-IMPORTANT-DATA-EXPORT", "flow", "export-to-us"),
            ("CN-IMPORTANT-DATA-EXPORT", "flow", "export-to-us"),
            ("CN-PI-EXPORT", "flow", "export-to-us"),
            ("CN-XBORDER-SECURITY-ASSESSMENT", "flow", "export-to-us"),
        },
    ),
    "examples/fsd-export-approved.yaml": (0, set()),
    "examples/cn-training-h100.yaml": (
        1,
        {
            ("US-EAR-AC-LICENCE", "system", "ulanqab-training"),
        },
    ),
    "examples/cn-training-onshore.yaml": (0, set()),
    "examples/eu-us-analytics.yaml": (
        1,
        {
            ("EU-GDPR-TRANSFER", "flow", "to-helpdesk"),
        },
    ),
    "examples/in-payments.yaml": (
        1,
        {
            ("IN-RBI-PAYMENT-STORAGE", "system", "fraud-desk-sg"),
        },
    ),
    "examples/ru-crm.yaml": (
        1,
        {
            ("RU-23FZ-FOREIGN-DATABASE", "flow", "crm-replica"),
        },
    ),
    "examples/sa-health-portal.yaml": (
        1,
        {
            ("SA-PDPL-TRANSFER", "flow", "to-helpdesk"),
        },
    ),
    "examples/us-doj-bulk-health.yaml": (
        1,
        {
            ("US-DOJ-BULK-DATA", "flow", "sg-to-shenzhen"),
        },
    ),
    "examples/connected-vehicles-cn-maker.yaml": (
        1,
        {
            ("US-CV-MANUFACTURER", "system", "us-fleet-my2027"),
            ("US-CV-SOFTWARE", "system", "us-fleet-my2027"),
            ("US-EAR-HQ-LICENCE", "system", "munich-training"),
        },
    ),
    "examples/terraform/cn-bucket-replication.json": (
        1,
        {
            ("CN-PI-EXPORT", "flow", "aws_s3_bucket_replication_configuration.fleet_video_to_us"),
            (
                "CN-XBORDER-SECURITY-ASSESSMENT",
                "flow",
                "aws_s3_bucket_replication_configuration.fleet_video_to_us",
            ),
            # S3 replication travels over TLS: encrypted, so no SPEC-PI-UNENCRYPTED-BORDER
        },
    ),
    "examples/terraform/cn-gpu-cluster.json": (
        1,
        {
            ("US-EAR-AC-LICENCE", "system", "module.gpu_nodes.aws_eks_node_group.this"),
        },
    ),
    "examples/kubernetes/cn-training.yaml": (
        1,
        {
            ("CN-PI-EXPORT", "flow", "Deployment/fsd/clip-exporter->external:aws:us-west-2"),
            (
                "CN-XBORDER-SECURITY-ASSESSMENT",
                "flow",
                "Deployment/fsd/clip-exporter->external:aws:us-west-2",
            ),
            (
                "SPEC-PI-UNENCRYPTED-BORDER",
                "flow",
                "Deployment/fsd/clip-exporter->external:aws:us-west-2",
            ),
            ("US-EAR-AC-LICENCE", "system", "Job/fsd/fsd-train-v42"),
        },
    ),
    # each alone; together (tests/test_binding_examples.py) the spec classifies the plan's buckets
    "examples/binding/architecture.yaml": (0, set()),
    "examples/binding/plan.json": (
        1,
        {
            (
                "UNCLASSIFIED-DATA-CROSSES-BORDER",
                "flow",
                "module.cn_lake.aws_s3_bucket_replication_configuration.clips",
            ),
            (
                "UNCLASSIFIED-DATA-CROSSES-BORDER",
                "flow",
                "module.cn_lake.aws_s3_bucket_replication_configuration.raw_video",
            ),
        },
    ),
}

# What examples/binding/architecture.yaml and plan.json report checked together (in a directory walk
# the spec binds the plans and manifests of the run that hold resources it names: plan.json).
_RAW_REPLICATION = "module.cn_lake.aws_s3_bucket_replication_configuration.raw_video"
_REPLICA = "module.cn_lake.aws_s3_bucket.raw_video_replica"
_CN_EXPORT = (
    "CN-AUTO-IMPORTANT-DATA-EXPORT",
    "CN-IMPORTANT-DATA-EXPORT",
    "CN-PI-EXPORT",
    "CN-XBORDER-SECURITY-ASSESSMENT",
)
BOUND = {
    *{("examples/binding/architecture.yaml", rule, "flow", "to-training") for rule in _CN_EXPORT},
    ("examples/binding/architecture.yaml", "SPEC-LOCATION-DRIFT", "system", "training-cn"),
    *{
        ("examples/binding/plan.json", rule, "flow", _RAW_REPLICATION)
        for rule in (*_CN_EXPORT, "SPEC-UNDECLARED-FLOW")
    },
    ("examples/binding/plan.json", "CN-AUTO-IMPORTANT-DATA-STORAGE", "system", _REPLICA),
}

# Notices the default runs above produce (they never change the exit code).
# PIPL art. 39 and 55 ask for consent and an impact assessment on every export of personal
# information from China, which no spec can show; data that matches an automotive important-data
# scenario without being flagged important is pointed out so a team asks its regulator.
_PIPL_NOTICES = {
    ("CN-PIPL-PIPIA", "flow", "export-to-us"),
    ("CN-PIPL-SEPARATE-CONSENT", "flow", "export-to-us"),
}
_S3_REPLICATION = "aws_s3_bucket_replication_configuration.fleet_video_to_us"
_CLIP_EXPORT = "Deployment/fsd/clip-exporter->external:aws:us-west-2"
EXPECTED_NOTICES: dict[str, set[tuple[str, str, str]]] = {
    "examples/sa-health-portal.yaml": {("SA-PDPL-RISK-ASSESSMENT", "flow", "to-analytics")},
    "examples/fsd-export.yaml": _PIPL_NOTICES,
    "examples/fsd-export-approved.yaml": _PIPL_NOTICES,
    "examples/connected-vehicles-cn-maker.yaml": {
        ("EU-DATA-ACT-GOV-ACCESS", "flow", "telemetry-to-shanghai")
    },
    "examples/terraform/cn-bucket-replication.json": {
        ("CN-AUTO-IMPORTANT-DATA-IDENTIFY", "dataset", "aws_s3_bucket.fleet_video#data"),
        ("CN-PIPL-PIPIA", "flow", _S3_REPLICATION),
        ("CN-PIPL-SEPARATE-CONSENT", "flow", _S3_REPLICATION),
    },
    "examples/terraform/cn-gpu-cluster.json": {
        ("CN-AUTO-IMPORTANT-DATA-IDENTIFY", "dataset", "aws_s3_bucket.training_data#data"),
    },
    "examples/kubernetes/cn-training.yaml": {
        ("CN-AUTO-IMPORTANT-DATA-IDENTIFY", "dataset", "Deployment/fsd/clip-exporter#data"),
        ("CN-AUTO-IMPORTANT-DATA-IDENTIFY", "dataset", "Job/fsd/fsd-train-v42#data"),
        ("CN-PIPL-PIPIA", "flow", _CLIP_EXPORT),
        ("CN-PIPL-SEPARATE-CONSENT", "flow", _CLIP_EXPORT),
    },
}

# The variants the examples' header comments and README.md describe:
# (id, arguments after `check`, exit code, violations, suppressed findings, notices).
VARIANTS = [
    (
        "ru-crm-before-23fz",
        ["examples/ru-crm.yaml", "--as-of", "2025-06-30"],
        0,
        set(),
        set(),
        set(),
    ),
    (
        "ru-crm-strict",
        ["examples/ru-crm.yaml", "--as-of", AS_OF, "--policy", "strict"],
        1,
        {
            ("RU-23FZ-FOREIGN-DATABASE", "flow", "bi-extract"),
            ("RU-23FZ-FOREIGN-DATABASE", "flow", "crm-replica"),
        },
        set(),
        set(),
    ),
    (
        "in-payments-exempted",
        [
            "examples/in-payments.yaml",
            "--as-of",
            AS_OF,
            "--exemptions",
            "examples/policies/exemptions.yaml",
        ],
        0,
        set(),
        {("IN-RBI-PAYMENT-STORAGE", "system", "fraud-desk-sg")},
        set(),
    ),
    (
        "eu-us-acme-retail",
        [
            "examples/eu-us-analytics.yaml",
            "--as-of",
            AS_OF,
            "--policy",
            "examples/policies/acme-retail.yaml",
        ],
        0,
        set(),
        {("EU-GDPR-TRANSFER", "flow", "to-helpdesk")},
        set(),
    ),
    (
        "eu-us-acme-retail-expired",
        [
            "examples/eu-us-analytics.yaml",
            "--as-of",
            "2027-01-31",
            "--policy",
            "examples/policies/acme-retail.yaml",
        ],
        1,
        {("EU-GDPR-TRANSFER", "flow", "to-helpdesk")},
        set(),
        {("DLC-EXEMPTION-EXPIRED", "spec", "EU-GDPR-TRANSFER flow/to-helpdesk")},
    ),
    (
        "fsd-export-approved-before-validity",
        ["examples/fsd-export-approved.yaml", "--as-of", "2025-06-30"],
        1,
        {
            ("APPROVAL-EXPIRED", "flow", "export-to-us"),
            ("CN-AUTO-IMPORTANT-DATA-EXPORT", "flow", "export-to-us"),
            ("CN-IMPORTANT-DATA-EXPORT", "flow", "export-to-us"),
            ("CN-PI-EXPORT", "flow", "export-to-us"),
            ("CN-XBORDER-SECURITY-ASSESSMENT", "flow", "export-to-us"),
        },
        set(),
        _PIPL_NOTICES,
    ),
]

EXAMPLES = sorted(EXPECTED)


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def dlc(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def keys(findings: list[dict]) -> set[tuple[str, str, str]]:
    return {(f["rule"], f["subject"]["kind"], f["subject"]["id"]) for f in findings}


def check_json(*args: str) -> tuple[int, dict]:
    result = dlc("check", *args, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


# --- the example set -----------------------------------------------------------------------------


def test_every_shipped_example_is_in_the_table():
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.yaml")}
    shipped |= {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "examples" / "terraform").glob("*.json")
    }
    shipped |= {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "examples" / "kubernetes").glob("*.yaml")
    }
    shipped |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "examples" / "binding").iterdir()}
    assert shipped == set(EXPECTED)


# --- outcomes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES)
def test_example_outcome(path):
    exit_code, report = check_json(path, "--as-of", AS_OF)
    expected_exit, expected_violations = EXPECTED[path]
    assert (exit_code, keys(report["violations"])) == (expected_exit, expected_violations)
    assert report["errors"] == []
    assert keys(report["notices"]) == EXPECTED_NOTICES.get(path, set())
    assert report["summary"]["violations"] == len(report["violations"])
    for finding in report["violations"]:
        assert finding["location"]["file"] == path
        assert isinstance(finding["location"]["line"], int) and finding["location"]["line"] >= 1


@pytest.mark.parametrize("path", EXAMPLES)
def test_example_text_report_agrees_with_json(path):
    result = dlc("check", path, "--as-of", AS_OF)
    assert result.exit_code == EXPECTED[path][0]
    for rule, _kind, subject in EXPECTED[path][1]:
        assert rule in result.stdout and subject in result.stdout
    if not EXPECTED[path][1]:
        assert "No violations" in result.stdout


@pytest.mark.parametrize(
    "name,args,exit_code,violations,suppressed,notices", VARIANTS, ids=[v[0] for v in VARIANTS]
)
def test_example_variant(name, args, exit_code, violations, suppressed, notices):
    code, report = check_json(*args)
    assert code == exit_code
    assert keys(report["violations"]) == violations
    assert keys(report.get("suppressed", [])) == suppressed
    assert keys(report["notices"]) == notices
    assert report["errors"] == []


def test_acme_retail_policy_applies_to_eu_us_analytics():
    """The team policy changes the eu-us-analytics outcome: it is not a no-op on that example."""
    default_exit, default_report = check_json("examples/eu-us-analytics.yaml", "--as-of", AS_OF)
    policy_exit, policy_report = check_json(
        "examples/eu-us-analytics.yaml",
        "--as-of",
        AS_OF,
        "--policy",
        "examples/policies/acme-retail.yaml",
    )
    assert (default_exit, policy_exit) == (1, 0)
    assert keys(default_report["violations"]) == keys(policy_report["suppressed"])
    exemption = policy_report["suppressed"][0]["suppressed"]
    assert exemption["kind"] == "exemption" and exemption["owner"] == "privacy-office@acme.example"


# Subfolders whose examples need their own dlc.yaml (DESIGN: examples that need a config live in
# subfolders); checked with it in tests/test_openlineage.py and tests/test_fides.py. Checked from
# the top without it, they report what the config would map.
NEEDS_CONFIG = {
    "examples/fides/systems.yml": "Fides system 'analytics_vendor' has no location",
    "examples/openlineage/events.ndjson": "OpenLineage namespace 'postgres://orders-db.cn-shanghai",
}


def test_checking_the_examples_directory_finds_every_example():
    exit_code, report = check_json("examples", "--as-of", AS_OF)
    assert exit_code == 2
    assert {
        error["file"]: error["message"][: len(NEEDS_CONFIG[error["file"]])]
        for error in report["errors"]
    } == NEEDS_CONFIG
    assert (
        report["summary"]["specs"] == len(EXPECTED) - 1
    )  # the binding spec and its plan are checked as one
    found = {(f["location"]["file"], *k) for f in report["violations"] for k in keys([f])}
    alone = {
        (path, *k)
        for path, (_, ks) in EXPECTED.items()
        for k in ks
        if path != "examples/binding/plan.json"
    }
    assert found == alone | BOUND


# --- other formats -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES)
def test_example_sarif_is_valid_sarif_2_1_0(path, sarif_validator):
    result = dlc("check", path, "--as-of", AS_OF, "--format", "sarif")
    assert result.exit_code == EXPECTED[path][0]
    log = json.loads(result.stdout)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator.iter_errors(log)]
    assert problems == []
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    failing = [r for r in results if r.get("kind", "fail") == "fail"]
    assert sorted(r["ruleId"] for r in failing) == sorted(rule for rule, _, _ in EXPECTED[path][1])
    notices = [r for r in results if r not in failing]
    assert {(r["ruleId"], r["level"], r["kind"]) for r in notices} == {
        (rule, "none", "informational") for rule, _, _ in EXPECTED_NOTICES.get(path, ())
    }
    for r in results:
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path


@pytest.mark.parametrize("path", EXAMPLES)
def test_example_junit_is_xml(path):
    result = dlc("check", path, "--as-of", AS_OF, "--format", "junit")
    assert result.exit_code == EXPECTED[path][0]
    root = ET.fromstring(result.stdout.encode())
    failed = sorted(
        case.get("classname") for case in root.iter("testcase") if case.find("failure") is not None
    )
    assert failed == sorted(rule for rule, _, _ in EXPECTED[path][1])


@pytest.mark.parametrize("path", EXAMPLES)
def test_example_markdown_has_a_mermaid_data_flow_graph(path):
    result = dlc("check", path, "--as-of", AS_OF, "--format", "markdown")
    assert result.exit_code == EXPECTED[path][0]
    out = result.stdout
    start = out.index("```mermaid\n")
    assert out[start:].splitlines()[1].startswith("flowchart")
    assert "\n```" in out[start + len("```mermaid\n") :], "mermaid block is not closed"
    for rule, _, _ in EXPECTED[path][1]:
        assert rule in out
