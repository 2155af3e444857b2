"""The binding example (examples/binding/) and bindings of other people's plans and manifests
(tests/data/binding/, SOURCES.yaml there), run through the CLI as a user would.

The example is the motivating case of issue 14: an approved architecture keeps China fleet video in
China; the platform team's plan replicates the raw video to us-east-1 and moves the GPU training
cluster to ap-southeast-1. Checked together, dlc reports the drift, the undeclared replication and
what the China export rules say about both; a plan that realises the design adds nothing.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from reports import reports_in_two_processes

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-25"
SPEC = "examples/binding/architecture.yaml"
PLAN = "examples/binding/plan.json"
AS_APPROVED = "tests/data/binding/fsd-china-plan-as-approved.json"
DATA = "tests/data/binding"
REAL = "tests/data/real"
README = ROOT / "README.md"

REPLICATION = "module.cn_lake.aws_s3_bucket_replication_configuration.raw_video"
REPLICA = "module.cn_lake.aws_s3_bucket.raw_video_replica"
CLIPS_REPLICATION = "module.cn_lake.aws_s3_bucket_replication_configuration.clips"
MOVED = (
    "module.gpu_training.aws_eks_cluster.this",
    'module.gpu_training.aws_eks_node_group.gpu["p3-a"]',
    'module.gpu_training.aws_eks_node_group.gpu["p3-b"]',
)
CN_EXPORT = {
    "CN-AUTO-IMPORTANT-DATA-EXPORT": "critical",
    "CN-IMPORTANT-DATA-EXPORT": "critical",
    "CN-PI-EXPORT": "high",
    "CN-XBORDER-SECURITY-ASSESSMENT": "high",
}


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DLC_CONFIG", "none")  # no dlc.yaml of the machine running the tests


def dlc(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def check_json(*args: str) -> tuple[int, dict]:
    result = dlc("check", *args, "--as-of", AS_OF, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def line_of(path: str, text: str, after: str | None = None) -> int:
    """The 1-based line where `text` is written in the file (the first after the line holding
    `after`): where a finding must point, read from the file rather than written down twice."""
    lines = (ROOT / path).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and text in line) + 1


def found(findings: list[dict]) -> set[tuple]:
    return {
        (
            f["rule"],
            f["severity"],
            f["subject"]["kind"],
            f["subject"]["id"],
            f["dataset"],
            tuple(f["path"]),
            f["location"]["file"],
            f["location"]["line"],
        )
        for f in findings
    }


# --- the example pair ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drifted(tmp_path_factory):
    """The JSON report of the spec checked with the plan that drifts from it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        patch.setenv("DLC_CONFIG", "none")
        return check_json(SPEC, PLAN)


def test_example_pair_gives_exactly_the_expected_findings(drifted):
    exit_code, report = drifted
    assert exit_code == 1 and report["errors"] == []
    to_training = line_of(SPEC, "- id: to-training")
    replication = line_of(PLAN, f'"address": "{REPLICATION}"')
    training_path = ("fleet-cn", "raw-video-lake", "training-cn")
    replica_path = ("fleet-cn", "raw-video-lake", REPLICA)
    expected = {
        # the declared flow into the training cluster, judged where the cluster now stands (SG)
        *{
            (rule, severity, "flow", "to-training", "fleet-video", training_path, SPEC, to_training)
            for rule, severity in CN_EXPORT.items()
        },
        # the replication nobody declared, carrying what the raw-video lake holds
        *{
            (rule, severity, "flow", REPLICATION, "fleet-video", replica_path, PLAN, replication)
            for rule, severity in CN_EXPORT.items()
        },
        (
            "CN-AUTO-IMPORTANT-DATA-STORAGE",
            "critical",
            "system",
            REPLICA,
            "fleet-video",
            replica_path,
            PLAN,
            line_of(PLAN, f'"address": "{REPLICA}"'),
        ),
        (
            "SPEC-LOCATION-DRIFT",
            "high",
            "system",
            "training-cn",
            None,
            (),
            SPEC,
            line_of(SPEC, "location: aws:cn-northwest-1", after="- id: training-cn"),
        ),
        (
            "SPEC-UNDECLARED-FLOW",
            "high",
            "flow",
            REPLICATION,
            None,
            ("raw-video-lake", REPLICA),
            PLAN,
            replication,
        ),
    }
    assert found(report["violations"]) == expected
    # one drift finding for each resource that moved, each naming its resource
    drift = [f for f in report["violations"] if f["rule"] == "SPEC-LOCATION-DRIFT"]
    assert sorted(next(a for a in MOVED if a in f["message"]) for f in drift) == sorted(MOVED)
    assert all("ap-southeast-1" in f["message"] and "cn-northwest-1" in f["message"] for f in drift)
    assert report["summary"]["violations"] == len(report["violations"]) == 13
    assert report["summary"]["by_severity"] == {"critical": 5, "high": 8}
    # PIPL art. 39 and 55 advice on both exports of personal information, never on the clips
    assert {(n["rule"], n["subject"]["id"]) for n in report["notices"]} == {
        (rule, subject)
        for rule in ("CN-PIPL-PIPIA", "CN-PIPL-SEPARATE-CONSENT")
        for subject in ("to-training", REPLICATION)
    }


def test_findings_point_at_both_sides(drifted):
    """A drift finding stands at the spec's location line and points at the plan; an undeclared
    flow stands at the plan and points at the spec line of the system it leaves."""
    _, report = drifted
    for finding in report["violations"]:
        if finding["rule"] == "SPEC-LOCATION-DRIFT":
            assert [r["file"] for r in finding["related"]] == [PLAN]
            assert all(isinstance(r["line"], int) and r["line"] > 1 for r in finding["related"])
        if finding["rule"] == "SPEC-UNDECLARED-FLOW":
            assert [(r["file"], r["line"]) for r in finding["related"]] == [
                (SPEC, line_of(SPEC, "- id: raw-video-lake"))
            ]


def test_the_approved_export_of_clips_is_not_reported(drifted):
    """The clips' replication to Frankfurt realises the declared flow clips-to-frankfurt, which
    lends it its approval: no transfer finding, no undeclared flow."""
    _, report = drifted
    everything = report["violations"] + report["notices"]
    assert not [
        f for f in everything if "clips" in f["subject"]["id"] or f["dataset"] == "anonymised-clips"
    ]


def test_sarif_carries_related_locations(sarif_validator):
    result = dlc("check", SPEC, PLAN, "--as-of", AS_OF, "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator.iter_errors(log)] == []
    results = log["runs"][0]["results"]
    drift = [r for r in results if r["ruleId"] == "SPEC-LOCATION-DRIFT"]
    undeclared = [r for r in results if r["ruleId"] == "SPEC-UNDECLARED-FLOW"]
    assert len(drift) == 3 and len(undeclared) == 1
    for r in drift:
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == SPEC
        assert {
            loc["physicalLocation"]["artifactLocation"]["uri"] for loc in r["relatedLocations"]
        } == {PLAN}
    [r] = undeclared
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == PLAN
    assert [
        (
            loc["physicalLocation"]["artifactLocation"]["uri"],
            loc["physicalLocation"]["region"]["startLine"],
        )
        for loc in r["relatedLocations"]
    ] == [(SPEC, line_of(SPEC, "- id: raw-video-lake"))]


def test_the_spec_alone_is_the_approved_design():
    exit_code, report = check_json(SPEC)
    assert (exit_code, report["violations"], report["notices"], report["errors"]) == (0, [], [], [])


def test_a_plan_that_realises_the_design_adds_no_finding():
    """Invariance: the spec with the plan that realises it reports what the spec alone reports;
    the plan alone cannot tell what its unlabelled buckets hold, the spec classifies them."""
    alone_exit, alone = check_json(SPEC)
    bound_exit, bound = check_json(SPEC, AS_APPROVED)
    assert bound_exit == alone_exit == 0
    assert (bound["violations"], bound["notices"], bound["errors"]) == (
        alone["violations"],
        alone["notices"],
        [],
    )
    plan_exit, plan = check_json(AS_APPROVED)
    assert plan_exit == 1
    # once, though the refreshed bucket mirrors the rules of its replication resource (provider 5)
    assert {(f["rule"], f["subject"]["id"]) for f in plan["violations"]} == {
        ("UNCLASSIFIED-DATA-CROSSES-BORDER", CLIPS_REPLICATION)
    }


def test_the_plans_differ_only_by_the_drift():
    """The realising plan is the drifted plan's prior state: same configuration but for the
    replication someone added and the training module's provider."""
    drifted_plan = json.loads((ROOT / PLAN).read_text())
    approved_plan = json.loads((ROOT / AS_APPROVED).read_text())
    assert drifted_plan["prior_state"] == approved_plan["prior_state"]
    created = {
        c["address"]
        for c in drifted_plan["resource_changes"]
        if c["change"]["actions"] == ["create"]
    }
    assert {REPLICATION, REPLICA, *MOVED} <= created
    assert all(c["change"]["actions"] == ["no-op"] for c in approved_plan["resource_changes"])


def test_an_approval_lent_by_a_declared_flow_covers_the_replication(tmp_path):
    """Without the approval on clips-to-frankfurt, the replication that realises it exports
    important data without a security assessment; the finding keeps the declared flow's id."""
    text = (ROOT / SPEC).read_text()
    spec = tmp_path / "architecture.yaml"
    spec.write_text(text.replace("    approvals: [cac-sa-2026-014]\n", "", 1))
    exit_code, report = check_json(str(spec), AS_APPROVED)
    assert exit_code == 1
    assert {(f["rule"], f["subject"]["id"], f["dataset"]) for f in report["violations"]} == {
        ("CN-IMPORTANT-DATA-EXPORT", "clips-to-frankfurt", "anonymised-clips")
    }


def test_the_same_replication_undeclared_is_reported(tmp_path):
    text = (ROOT / SPEC).read_text()
    declared = re.search(r"  - id: clips-to-frankfurt\n(?:    .*\n)+", text)[0]
    spec = tmp_path / "architecture.yaml"
    spec.write_text(text.replace(declared, ""))
    exit_code, report = check_json(str(spec), AS_APPROVED)
    assert exit_code == 1
    assert {(f["rule"], f["subject"]["id"], tuple(f["path"])) for f in report["violations"]} == {
        ("SPEC-UNDECLARED-FLOW", CLIPS_REPLICATION, ("clip-store-cn", "perception-eu")),
        (
            "CN-IMPORTANT-DATA-EXPORT",
            CLIPS_REPLICATION,
            ("fleet-cn", "raw-video-lake", "anonymiser", "clip-store-cn", "perception-eu"),
        ),
    }


def test_validate_reports_the_binding_without_evaluating_rules():
    result = dlc("validate", SPEC, PLAN)
    assert result.exit_code == 0, result.output
    # the two buckets in Beijing, the cluster and its two node groups, the bucket in Frankfurt
    assert "6 resource(s) of examples/binding/plan.json bound to 4 system(s)" in result.output
    assert "CN-" not in result.output and "SPEC-LOCATION-DRIFT" not in result.output


def test_validate_rejects_a_resource_bound_twice(tmp_path):
    text = (ROOT / SPEC).read_text()
    spec = tmp_path / "architecture.yaml"
    spec.write_text(
        text.replace('"module.cn_lake.aws_s3_bucket.clips"', '"module.cn_lake.aws_s3_bucket.*"')
    )
    result = dlc("validate", str(spec), PLAN)
    assert result.exit_code == 2
    raw, clips = (
        line_of(SPEC, "resources:", after=f"- id: {system}")
        for system in ("raw-video-lake", "clip-store-cn")
    )
    assert (
        f"module.cn_lake.aws_s3_bucket.raw_video is bound by two systems: "
        f"'raw-video-lake' ({spec}:{raw}) and 'clip-store-cn' ({spec}:{clips})" in result.output
    )


def test_validate_names_a_system_that_binds_nothing(tmp_path):
    text = (ROOT / SPEC).read_text()
    spec = tmp_path / "architecture.yaml"
    spec.write_text(text.replace('"module.gpu_training.aws_eks_*"', '"module.training.aws_eks_*"'))
    result = dlc("validate", str(spec), PLAN)
    assert "training-cn" in result.output and "SPEC-UNBOUND-SYSTEM" in result.output


def test_same_inputs_same_bytes_whatever_the_hash_seed(tmp_path):
    """Binding walks sets and dicts of resources: two processes with different hash seeds write
    the same reports."""
    outputs = reports_in_two_processes(
        tmp_path,
        [SPEC, PLAN, "--as-of", AS_OF],
        ["json", "sarif", "markdown", "text"],
        {"SOURCE_DATE_EPOCH": "1764691200", "DLC_CONFIG": "none"},
    )
    assert outputs[0] == outputs[1]


# --- README.md -----------------------------------------------------------------------------------


def readme_section() -> str:
    text = README.read_text()
    start = text.index("## Binding the approved architecture to infrastructure")
    return text[start : text.index("\n## ", start)]


def readme_runs() -> list[tuple[str, str, str]]:
    """(command, output, exit code) of every `$ dlc ...` run quoted in the binding section."""
    return re.findall(
        r"```\n\$ dlc ([^\n]+)\n(.*?)\$ echo \$\?\n(\d+)\n```", readme_section(), re.DOTALL
    )


def test_readme_quotes_the_runs():
    assert [command.split()[-3] for command, _, _ in readme_runs()] == [PLAN, AS_APPROVED]


@pytest.mark.parametrize(
    "command,output,exit_code", readme_runs(), ids=lambda value: str(value)[:40]
)
def test_readme_output_is_what_dlc_prints(command, output, exit_code):
    result = dlc(*shlex.split(command))
    assert (result.stdout, result.exit_code) == (output, int(exit_code))


def test_readme_globs_are_the_examples():
    spec = (ROOT / SPEC).read_text()
    quoted = re.findall(r"^ +resources: .*?\]", readme_section(), re.MULTILINE)
    assert len(quoted) == 3 and all(line in spec for line in quoted)
