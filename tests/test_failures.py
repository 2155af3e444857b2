"""Failure handling (issue 15): what dlc does when it cannot do its job, by exit code, the one
stderr line (file:line) and the JSON report's errors.

- A rule that cannot be evaluated is that rule's error; the other rules' findings stand (exit 2).
- An adapter's own bug is an internal error naming the adapter and the file, never "malformed
  input"; a malformed input is still an input error at its line.
- A policy's include or exclude pattern that selects no rule is refused at that entry's line.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "fsd-export.yaml")
AS_OF = "2026-11-25"


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"DLC_CONFIG": "none"})


def check_json(*args: str) -> tuple[int, dict, list[str]]:
    """`dlc check ... --format json`: (exit code, report, stderr lines)."""
    result = run("check", *args, "--format", "json", "--as-of", AS_OF)
    assert "Traceback" not in result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr.splitlines()


def findings(report: dict) -> list[tuple]:
    return sorted(
        (f["rule"], f["subject"]["id"], f["dataset"])
        for f in report["violations"] + report["notices"]
    )


# --- a rule that cannot be evaluated ------------------------------------------------------------


def _break_rule(monkeypatch, rule_id: str, stage: str = "predicate") -> None:
    """Load policies as dlc does, with `rule_id`'s `stage` raising as a bug in a fact would."""
    from checker.load import policy as policy_module

    load_policy = policy_module.load_policy

    def boom(ctx):
        raise KeyError("no-such-field")

    def broken(*args, **kwargs):
        policy = load_policy(*args, **kwargs)
        assert rule_id in {rule.id for rule in policy.rules}
        return dataclasses.replace(
            policy,
            rules=[
                dataclasses.replace(rule, versions=(), **{stage: boom})
                if rule.id == rule_id
                else rule
                for rule in policy.rules
            ],
        )

    monkeypatch.setattr(policy_module, "load_policy", broken)


@pytest.mark.parametrize(
    "rule_id, stage, subject",
    [
        (
            "CN-PI-EXPORT",
            "predicate",
            "flow 'upload' ({spec}:34) and 1 more time(s)",
        ),  # on crossings: the hot loop
        (
            "CN-PI-EXPORT",
            "dataset_test",
            "dataset 'fleet-video' ({spec}:27)",
        ),  # in the once-per-dataset stage
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_its_error_and_the_other_findings_stand(
    monkeypatch, rule_id, stage, subject
):
    code, sound, _ = check_json(EXAMPLE)
    assert code == 1 and not sound["errors"]
    _break_rule(monkeypatch, rule_id, stage)
    code, report, stderr = check_json(EXAMPLE)
    assert code == 2
    # every other rule's findings, including those on the very flow where the rule failed
    expected = [f for f in findings(sound) if f[0] != rule_id]
    assert (
        findings(report) == expected
        and ("CN-IMPORTANT-DATA-EXPORT", "export-to-us", "fleet-video") in expected
    )
    [error] = report["errors"]
    rule_file = "rules/cn/cn-pi-export.yaml"  # built-in rules are named as in the package
    assert (error["file"], error["line"]) == (rule_file, 1)
    assert error["message"] == (
        f"rule {rule_id} could not be evaluated on {subject.format(spec=EXAMPLE)}: "
        "KeyError: 'no-such-field'"
    )
    assert stderr == [f"dlc: error: {rule_file}:1: {error['message']}"]


def test_a_rule_error_never_passes_even_when_nothing_fires(monkeypatch, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nname: quiet\nsystems:\n  - {id: a, kind: storage, location: DE}\n"
        "approvals:\n  - {id: ok, kind: eu-scc, destinations: [DE]}\n"
    )
    code, report, _ = check_json(str(spec))
    assert code == 0 and report["violations"] == [] and report["errors"] == []
    _break_rule(monkeypatch, "APPROVAL-EXPIRING")
    code, report, stderr = check_json(str(spec), "--fail-on", "never")
    assert code == 2 and report["violations"] == []
    [error] = report["errors"]
    assert error["file"] == "rules/integrity/approval-expiring.yaml"
    assert error["message"] == (
        f"rule APPROVAL-EXPIRING could not be evaluated on approval 'ok' ({spec}:6): "
        "KeyError: 'no-such-field'"
    )
    assert stderr == [f"dlc: error: {error['file']}:{error['line']}: {error['message']}"]


# --- a policy pattern that selects no rule ------------------------------------------------------


@pytest.mark.parametrize(
    "text, line, column, message",
    [
        (
            "name: p\nextends: default\nexclude:\n  - EU-*\n  - CN-PI-EXPROT\n",
            5,
            5,
            "exclude[1]: rule pattern 'CN-PI-EXPROT' matches no rule (did you mean 'CN-PI-EXPORT'?)",
        ),
        (
            "name: p\ninclude: [CN-*]\nsettings: {}\nexclude: [ZZ-*]\n",
            4,
            11,
            "exclude[0]: rule pattern 'ZZ-*' matches no rule",
        ),
        (
            "name: p\nexclude: [CN-*]\n\ninclude:\n  - EU-*\n  - ZZ-*\n",
            6,
            5,
            "include[1]: rule pattern 'ZZ-*' matches no rule",
        ),
    ],
)
def test_a_policy_pattern_that_selects_no_rule_is_refused_at_its_own_line(
    tmp_path, text, line, column, message
):
    policy = tmp_path / "p.yaml"
    policy.write_text(text)
    code, report, stderr = check_json(EXAMPLE, "--policy", str(policy))
    assert code == 2
    assert report["errors"] == [
        {"file": str(policy), "line": line, "column": column, "message": message}
    ]
    assert stderr == [f"dlc: error: {policy}:{line}:{column}: {message}"]


# --- an adapter's own bug -----------------------------------------------------------------------


def _raise_key_error(*args, **kwargs):
    raise KeyError("boom")


@pytest.mark.parametrize(
    "adapter, target, inputs",
    [
        (
            "Terraform",
            "checker.adapters.terraform.plan.Plan.build_flows",
            ["examples/terraform/cn-gpu-cluster.json"],
        ),
        (
            "Kubernetes",
            "checker.adapters.kubernetes._Reader.read",
            ["examples/kubernetes/cn-training.yaml"],
        ),
        (
            "OpenLineage",
            "checker.adapters.openlineage.lineage_to_spec",
            ["examples/openlineage/events.ndjson"],
        ),
        (
            "Fides",
            "checker.adapters.fides.convert._Manifests.edges",
            ["examples/fides/systems.yml", "examples/fides/datasets.yml"],
        ),
    ],
)
def test_a_bug_in_an_adapter_is_an_internal_error_naming_adapter_and_file(
    monkeypatch, adapter, target, inputs
):
    paths = [str(ROOT / name) for name in inputs]
    extra = ["--input-type", "fides"] if adapter == "Fides" else []
    code, report, _ = check_json(*paths, *extra, "--default-location", "DE")
    assert code in (0, 1) and report["errors"] == []
    monkeypatch.setattr(target, _raise_key_error)
    code, report, stderr = check_json(*paths, *extra, "--default-location", "DE")
    files = "this file" if len(paths) == 1 else "these files: " + ", ".join(paths)
    message = (
        f"internal error in the {adapter} adapter while reading {files}: KeyError: 'boom'; "
        "please report it (a bug in dlc, not in the input)"
    )
    assert code == 2
    assert report["errors"] == [
        {"file": paths[0], "line": None, "column": None, "message": message}
    ]
    assert stderr == [f"dlc: error: {paths[0]}: {message}"]
    assert "malformed" not in stderr[0]


def test_a_malformed_input_is_still_an_input_error_at_its_line(tmp_path):
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  namespace: [a]\nspec: {}\n"
    )
    code, report, stderr = check_json(str(manifest))
    message = "a Deployment's metadata.namespace must be a name, not ['a']"
    assert code == 2
    assert report["errors"] == [
        {"file": str(manifest), "line": 5, "column": 14, "message": message}
    ]
    assert stderr == [f"dlc: error: {manifest}:5:14: {message}"]


def _value_paths(node, at: tuple = ()):
    """The path to every value in a parsed document (mapping keys and list indexes)."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        yield (*at, key)
        yield from _value_paths(value, (*at, key))


@pytest.mark.parametrize(
    "kind, names",
    [
        ("kubernetes", ["examples/kubernetes/cn-training.yaml"]),
        ("kubernetes", ["tests/data/real/kubernetes/tr-trainjob-gpu.yaml"]),
        ("fides", ["examples/fides/systems.yml", "examples/fides/datasets.yml"]),
    ],
)
def test_a_value_of_any_other_shape_is_an_input_error_never_an_adapter_bug(tmp_path, kind, names):
    """Every value of real files replaced in turn by a list of lists and by a number: the
    adapter accepts it or says what is wrong at a line, and never fails inside."""
    import copy

    import yaml

    from checker.adapters import Part, join, load_input
    from checker.config import NO_INFRASTRUCTURE
    from checker.errors import DlcError, InternalError
    from checker.load.documents import DEFAULT_LIMITS

    infrastructure = dataclasses.replace(NO_INFRASTRUCTURE, default_location="DE")
    originals = [list(yaml.safe_load_all((ROOT / name).read_text())) for name in names]
    tried, bugs = 0, []
    for changed, documents in enumerate(originals):
        for index, document in enumerate(documents):
            for at in _value_paths(document):
                for shape in ([["x"]], 7):
                    files = copy.deepcopy(originals)
                    node = files[changed][index]
                    for key in at[:-1]:
                        node = node[key]
                    node[at[-1]] = shape
                    paths = []
                    for number, written in enumerate(files):
                        paths.append(tmp_path / f"{number}.yaml")
                        paths[-1].write_text(yaml.safe_dump_all(written))
                    tried += 1
                    try:
                        inputs = [
                            load_input(str(path), kind, DEFAULT_LIMITS, True, infrastructure)
                            for path in paths
                        ]
                        if kind == "fides":
                            join(
                                kind,
                                [part for part in inputs if isinstance(part, Part)],
                                DEFAULT_LIMITS,
                                infrastructure,
                            )
                    except InternalError as exc:
                        bugs.append((at, shape, exc.message))
                    except DlcError as exc:
                        assert exc.file and exc.line, (at, shape, str(exc))  # said where
    assert tried > 100 and bugs == []
