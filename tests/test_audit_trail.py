"""The audit trail (DESIGN.md "Audit trail in every report"): `run` in the JSON report, the same
facts in SARIF, Markdown and HTML, and SOURCE_DATE_EPOCH making a report reproducible byte for byte."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from reports import reports_in_two_processes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/fsd-export.yaml"
EPOCH = "1764691200"  # 2025-12-02T16:00:00Z


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check(*args: str, epoch: str | None = EPOCH, code: int | None = None) -> dict:
    env = {"SOURCE_DATE_EPOCH": epoch} if epoch else {}
    result = CliRunner().invoke(main, ["check", *args, "--format", "json"], env=env)
    assert result.exit_code in ((0, 1) if code is None else (code,)), result.stderr
    return json.loads(result.stdout)


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in `run` are as given on the command line


def test_run_holds_when_how_and_on_what_the_check_ran():
    report = check(EXAMPLE, "--fail-on", "critical")
    run = report["run"]
    assert list(run) == [
        "started_at",
        "command",
        "policy",
        "rules",
        "inputs",
        "exemptions",
        "baseline",
    ]
    assert run["started_at"] == "2025-12-02T16:00:00Z"
    assert report["as_of"] == "2025-12-02"  # the default --as-of is SOURCE_DATE_EPOCH's date
    assert run["command"] == ["dlc", "check", EXAMPLE, "--fail-on", "critical", "--format", "json"]
    assert run["policy"]["name"] == "default" and len(run["policy"]["sha256"]) == 64
    assert run["rules"]["count"] == report["summary"]["rules_evaluated"]
    assert run["inputs"] == [{"path": EXAMPLE, "kind": "spec", "sha256": sha256(EXAMPLE)}]
    assert run["exemptions"] == [] and run["baseline"] is None


def test_inputs_name_every_file_read_with_its_kind(tmp_path):
    shutil.copy(ROOT / "examples/terraform/cn-gpu-cluster.json", tmp_path / "plan.json")
    shutil.copy(ROOT / "examples/kubernetes/cn-training.yaml", tmp_path / "k8s.yaml")
    (tmp_path / "part.yaml").write_text(
        "version: 1\nname: part\nsystems:\n  - {id: a, kind: storage, location: DE}\n"
    )
    (tmp_path / "root.yaml").write_text("version: 1\nname: root\ninclude: [part.yaml]\n")
    (tmp_path / "broken.yaml").write_text("version: 1\nname: [\n")
    run = check(str(tmp_path), code=2)["run"]
    assert [(Path(i["path"]).name, i["kind"]) for i in run["inputs"]] == [
        ("broken.yaml", None),
        ("k8s.yaml", "kubernetes"),
        ("plan.json", "terraform"),
        ("root.yaml", "spec"),
        ("part.yaml", "spec"),
    ]
    assert all(
        i["path"].startswith(str(tmp_path)) and i["sha256"] == sha256(i["path"])
        for i in run["inputs"]
    )


def test_exemption_and_baseline_files_are_digested(tmp_path):
    exemptions = tmp_path / "exemptions.yaml"
    exemptions.write_text(
        "exemptions:\n  - rule: CN-PI-EXPORT\n    subject: flow/export-to-us\n"
        "    justification: contract filed\n    owner: dpo@example.com\n    expires: '2030-01-01'\n"
    )
    baseline = tmp_path / "baseline.json"
    CliRunner().invoke(main, ["check", EXAMPLE, "--write-baseline", str(baseline)])
    run = check(EXAMPLE, "--exemptions", str(exemptions), "--baseline", str(baseline))["run"]
    assert run["exemptions"] == [{"path": str(exemptions), "sha256": sha256(exemptions)}]
    assert run["baseline"] == {"path": str(baseline), "sha256": sha256(baseline)}


def test_rules_digest_is_stable_and_changes_with_a_rule_file(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    mine = rules / "my-pi-export.yaml"
    mine.write_text(
        (ROOT / "rules/cn/cn-pi-export.yaml")
        .read_text()
        .replace("id: CN-PI-EXPORT", "id: MY-PI-EXPORT")
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: mine\nextends: default\n")
    args = ("--rules", str(rules), "--policy", str(policy))
    first, second = check(EXAMPLE, *args)["run"], check(EXAMPLE, *args)["run"]
    assert first["rules"] == second["rules"] and first["policy"] == second["policy"]
    assert first["rules"]["count"] == check(EXAMPLE)["run"]["rules"]["count"] + 1

    mine.write_text(mine.read_text() + "\n# reviewed\n")
    changed = check(EXAMPLE, *args)["run"]
    assert changed["rules"]["count"] == first["rules"]["count"]
    assert changed["rules"]["sha256"] != first["rules"]["sha256"]
    assert changed["policy"] == first["policy"]

    policy.write_text("name: mine\nextends: default\nexclude: [US-*]\n")
    narrowed = check(EXAMPLE, *args)["run"]
    assert narrowed["policy"]["sha256"] != first["policy"]["sha256"]
    assert narrowed["rules"]["count"] < first["rules"]["count"]
    assert narrowed["rules"]["sha256"] != changed["rules"]["sha256"]


def test_policy_digest_covers_what_it_extends(tmp_path):
    parent, child = tmp_path / "parent.yaml", tmp_path / "child.yaml"
    parent.write_text("name: parent\nextends: default\n")
    child.write_text("name: child\nextends: parent.yaml\n")
    before = check(EXAMPLE, "--policy", str(child))["run"]["policy"]
    parent.write_text("name: parent\nextends: default\nexclude: [EU-*]\n")
    after = check(EXAMPLE, "--policy", str(child))["run"]["policy"]
    assert before["name"] == after["name"] == "child" and before["sha256"] != after["sha256"]


def test_without_source_date_epoch_the_run_is_stamped_now():
    run = check(EXAMPLE, epoch=None)["run"]
    assert run["started_at"].endswith("Z") and run["started_at"] != "2025-12-02T16:00:00Z"


def test_a_bad_source_date_epoch_is_a_usage_error():
    result = CliRunner().invoke(main, ["check", EXAMPLE], env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "dlc: error: SOURCE_DATE_EPOCH 'yesterday' is not a number of seconds since 1970-01-01"
    )


def test_a_report_of_a_run_that_could_not_start_still_says_how_it_was_called():
    report = check(EXAMPLE, "--policy", "no-such-policy", code=2)
    assert report["run"]["command"][:3] == ["dlc", "check", EXAMPLE]
    assert report["run"]["policy"] is None and report["run"]["inputs"] == []


def test_notices_have_the_violations_shape():
    report = check("examples/sa-health-portal.yaml")
    [notice], violation = report["notices"], report["violations"][0]
    assert list(notice) == list(violation)
    assert notice["severity"] == "notice" and notice["references"] and notice["remediation"]


def test_same_command_same_inputs_same_bytes_in_every_format(tmp_path):
    """Two processes (different hash seeds, a second apart or not) write the same four reports."""
    outputs = reports_in_two_processes(
        tmp_path,
        [EXAMPLE],
        ["json", "sarif", "markdown", "html", "junit", "text"],
        {"SOURCE_DATE_EPOCH": EPOCH},
    )
    assert outputs[0] == outputs[1]
    report = json.loads(outputs[0][1])
    assert report["run"]["started_at"] == "2025-12-02T16:00:00Z"
    sarif = json.loads(outputs[0][2])["runs"][0]
    assert sarif["invocations"][0]["startTimeUtc"] == "2025-12-02T16:00:00Z"
    assert sarif["artifacts"][0]["hashes"] == {"sha-256": sha256(EXAMPLE)}
    for text in (outputs[0][3], outputs[0][4]):  # Markdown and HTML carry the same facts
        assert b"2025-12-02T16:00:00Z" in text and report["run"]["rules"]["sha256"].encode() in text
        assert (
            report["run"]["policy"]["sha256"].encode() in text and sha256(EXAMPLE).encode() in text
        )
