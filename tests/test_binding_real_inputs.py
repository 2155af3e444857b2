"""Specs bound to other people's plans and manifests: each case of tests/data/binding/SOURCES.yaml
checks a spec together with real public inputs of tests/data/real and pins what DESIGN.md
"Binding a spec to infrastructure" says the run must report (SOURCES.yaml says what each field
means)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = Path("tests/data/binding")
REAL = Path("tests/data/real")
AS_OF = "2026-11-25"
CASES = yaml.safe_load((ROOT / DATA / "SOURCES.yaml").read_text())["cases"]
REAL_SOURCES = {
    entry["file"]: entry
    for entry in yaml.safe_load((ROOT / REAL / "SOURCES.yaml").read_text())["files"]
}


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DLC_CONFIG", "none")


def run(case: dict, *inputs: str, output: str = "json") -> tuple[int, dict]:
    config = ["--config", str(DATA / case["config"])] if "config" in case else []
    result = CliRunner().invoke(
        main,
        ["check", *inputs, "--as-of", AS_OF, "--format", output, *config],
        catch_exceptions=False,
    )
    return result.exit_code, json.loads(result.stdout)


def inputs_of(case: dict) -> list[str]:
    return [str(DATA / case["spec"]), *(str(REAL / name) for name in case["binds"])]


def keys(findings: list[dict]) -> set[tuple[str, str, str]]:
    return {(f["rule"], f["subject"]["kind"], f["subject"]["id"]) for f in findings}


def expected(entries: list[dict]) -> set[tuple[str, str, str]]:
    return {(e["rule"], e["subject"]["kind"], e["subject"]["id"]) for e in entries}


def test_every_case_binds_real_files_named_with_their_source():
    for case in CASES:
        for name in case["binds"]:
            source = REAL_SOURCES[name]
            assert (ROOT / REAL / name).is_file()
            assert case["upstream"].split()[0] == source["repository"], case["id"]
            assert source["path"] in case["upstream"] and source["commit"] in case["upstream"], (
                case["id"]
            )
        assert (ROOT / DATA / case["spec"]).is_file()


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_binding_real_inputs(case):
    exit_code, report = run(case, *inputs_of(case))
    assert exit_code == case["exit"], report["errors"]
    if "error" in case:
        assert len(report["errors"]) == 1 and case["error"] in report["errors"][0]["message"]
        return
    assert report["errors"] == []
    found = keys(report["violations"]) | keys(report["notices"])
    if "findings" in case:
        assert found == expected(case["findings"])
    if "violations" in case:
        assert len(report["violations"]) == case["violations"]
    assert expected(case.get("present", [])) <= found
    assert not {rule for rule, _, _ in found} & set(case.get("absent", []))
    if "related" in case:
        bound_files = {str(REAL / name) for name in case["binds"]}
        for finding in report["violations"]:
            if finding["rule"] == case["related"]:
                assert {place["file"] for place in finding["related"]} <= bound_files
                assert finding["related"] and all(place["line"] for place in finding["related"])


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.get("same_as_spec_alone")],
    ids=[c["id"] for c in CASES if c.get("same_as_spec_alone")],
)
def test_binding_a_plan_that_realises_the_spec_adds_nothing(case):
    spec_exit, alone = run(case, str(DATA / case["spec"]))
    bound_exit, bound = run(case, *inputs_of(case))
    assert bound_exit == spec_exit
    assert (bound["violations"], bound["notices"]) == (alone["violations"], alone["notices"])


@pytest.mark.parametrize(
    "case", [c for c in CASES if "related" in c], ids=[c["id"] for c in CASES if "related" in c]
)
def test_sarif_related_locations_point_at_the_real_file(case):
    _, log = run(case, *inputs_of(case), output="sarif")
    results = [r for r in log["runs"][0]["results"] if r["ruleId"] == case["related"]]
    assert results
    bound_files = {str(REAL / name) for name in case["binds"]}
    for result in results:
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(
            DATA / case["spec"]
        )
        assert {
            loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["relatedLocations"]
        } <= bound_files
