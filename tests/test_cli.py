"""The CLI contract of DESIGN.md: commands, exit codes, --fail-on, the JSON report, determinism.

Most runs use rules written into tmp_path (ids TST-*) and a policy turning on only those, so
the outcomes do not move when the built-in library grows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from checker.cli import main
from checker.load.documents import load_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/fsd-export.yaml"
AS_OF = "2026-06-01"

RULES = {
    "xfer.yaml": """
        id: TST-XFER
        title: Personal data leaves China without a mechanism
        severity: high
        category: cross-border-transfer
        subject: flow
        effective: 2021-11-01
        references: ["Test law art. 1 (2021-11-01)"]
        when:
          all:
            - {fact: dataset.origins, any_in: [CN]}
            - {fact: dataset.categories, contains: personal}
            - {fact: destination.country, not_in: [CN]}
            - {fact: transfer.mechanisms, none_in: [cn-standard-contract]}
        message: "{dataset.id} reaches {destination.country} via {path}"
        remediation: Get an approval.
    """,
    "residency.yaml": """
        id: TST-STORAGE-ABROAD
        title: Storage outside China
        severity: low
        category: data-residency
        subject: system
        effective: 2021-11-01
        references: ["Test law art. 2 (2021-11-01)"]
        when:
          all:
            - {fact: system.kind, eq: storage}
            - {fact: system.country, ne: CN}
        message: "{system.id} stores data in {system.country}"
        remediation: Store at home.
    """,
    "gpu.yaml": """
        id: TST-GPU
        title: Advanced GPUs in China
        severity: critical
        category: export-control
        subject: system
        effective: 2023-11-17
        references: ["Test EAR (2023-11-17)"]
        when:
          all:
            - {fact: system.accelerator_eccns, any_in: [3A090.a]}
            - {fact: system.country, eq: CN}
        message: "{system.id} has advanced GPUs"
        remediation: Get a licence.
    """,
    "advice.yaml": """
        id: TST-ADVICE
        title: Approval expiring soon
        severity: low
        notice: true
        category: approval
        subject: approval
        effective: 2021-11-01
        references: ["Test guidance (2021-11-01)"]
        when: {fact: approval.days_left, lt: 90}
        message: "{approval.id} expires in {approval.days_left} days"
        remediation: Renew it.
    """,
}

RULE_TESTS = """
rule: TST-XFER
cases:
  - name: export without approval triggers
    spec:
      version: 1
      name: t
      systems: [{id: sh, location: CN}, {id: us, location: US}]
      datasets: [{id: pi, origin: CN, categories: [personal]}]
      flows: [{id: out, from: sh, to: us, datasets: [pi]}]
    expect:
      - {subject: flow/out, dataset: pi, path: [sh, us]}
  - name: data kept home passes
    spec:
      version: 1
      name: t
      systems: [{id: sh, location: CN}, {id: bj, location: CN}]
      datasets: [{id: pi, origin: CN, categories: [personal]}]
      flows: [{id: out, from: sh, to: bj, datasets: [pi]}]
    expect: []
"""

POLICY = 'name: tst\ninclude: ["TST-*"]\n'

SPEC = {
    "version": 1,
    "name": "cli",
    "systems": [
        {"id": "sh", "kind": "storage", "location": "CN"},
        {"id": "us", "kind": "compute", "location": "US"},
        {"id": "sg", "kind": "storage", "location": "SG"},
        {
            "id": "bj",
            "kind": "compute",
            "location": "CN",
            "accelerators": [{"model": "NVIDIA H100 SXM", "count": 8}],
        },
    ],
    "datasets": [
        {"id": "pi", "origin": "CN", "categories": ["personal"], "subjects": 10},
        {"id": "logs", "origin": "CN", "categories": ["non-personal"]},
    ],
    "flows": [
        {"id": "out", "from": "sh", "to": "us", "datasets": ["pi", "logs"]},
        {"id": "backup", "from": "sh", "to": "sg", "datasets": ["pi"], "mode": "backup"},
        {"id": "train", "from": "sh", "to": "bj", "datasets": ["pi"]},
    ],
    "approvals": [
        {
            "id": "soon",
            "kind": "cn-standard-contract",
            "datasets": ["logs"],
            "destinations": ["US"],
            "valid_from": "2025-01-01",
            "expires": "2026-07-01",
        },
    ],
}
# Expected on SPEC as of AS_OF: (rule, severity, subject, dataset, path)
EXPECTED = [
    ("TST-GPU", "critical", "system/bj", None, []),
    ("TST-XFER", "high", "flow/backup", "pi", ["sh", "sg"]),
    ("TST-XFER", "high", "flow/out", "pi", ["sh", "us"]),
    ("TST-STORAGE-ABROAD", "low", "system/sg", None, []),
]


@pytest.fixture(scope="module")
def ruleset(write_ruleset):
    return write_ruleset({**RULES, "xfer.test.yaml": RULE_TESTS}, POLICY)


@pytest.fixture
def dlc(ruleset):
    """Invoke `dlc check` with the test rules and policy; other commands pass through as given."""
    rules, policy = ruleset

    def invoke(*args: str, mine: bool = True):
        args = list(args)
        if mine and args and args[0] == "check":
            args[1:1] = ["--rules", rules, "--policy", policy, "--as-of", AS_OF]
        return CliRunner().invoke(main, args)

    return invoke


def write_spec(path: Path, spec: dict = SPEC) -> str:
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return str(path)


def summary(report: dict) -> list[tuple]:
    return [
        (
            v["rule"],
            v["severity"],
            f"{v['subject']['kind']}/{v['subject']['id']}",
            v["dataset"],
            v["path"],
        )
        for v in report["violations"]
    ]


# --- exit codes and --fail-on ---------------------------------------------------------------


def test_violations_exit_1_and_are_reported_in_order(dlc, tmp_path):
    result = dlc("check", write_spec(tmp_path / "s.yaml"), "--format", "json")
    assert result.exit_code == 1, result.stderr
    assert summary(json.loads(result.stdout)) == EXPECTED


def test_compliant_spec_exits_0(dlc, tmp_path):
    spec = {
        "version": 1,
        "name": "ok",
        "systems": [{"id": "sh", "kind": "storage", "location": "CN"}],
    }
    result = dlc("check", write_spec(tmp_path / "s.yaml", spec))
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "fail_on, code",
    [
        ("low", 1),
        ("medium", 1),
        ("high", 1),
        ("critical", 1),
        ("never", 0),
    ],
)
def test_fail_on_with_a_critical_violation(dlc, tmp_path, fail_on, code):
    result = dlc("check", write_spec(tmp_path / "s.yaml"), "--fail-on", fail_on)
    assert result.exit_code == code


@pytest.mark.parametrize(
    "fail_on, code", [("low", 1), ("medium", 0), ("high", 0), ("critical", 0), ("never", 0)]
)
def test_fail_on_with_only_a_low_violation(dlc, tmp_path, fail_on, code):
    spec = {
        "version": 1,
        "name": "low",
        "systems": [{"id": "sg", "kind": "storage", "location": "SG"}],
    }
    result = dlc(
        "check", write_spec(tmp_path / "s.yaml", spec), "--fail-on", fail_on, "--format", "json"
    )
    assert result.exit_code == code
    # --fail-on changes the exit code, never the report
    assert summary(json.loads(result.stdout)) == [
        ("TST-STORAGE-ABROAD", "low", "system/sg", None, [])
    ]


@pytest.mark.parametrize("fail_on, code", [("high", 1), ("critical", 0)])
def test_fail_on_with_a_high_violation(dlc, tmp_path, fail_on, code):
    spec = {
        **SPEC,
        "systems": SPEC["systems"][:2]
        + [{"id": "bj", "location": "CN"}, {"id": "sg", "location": "SG"}],
    }
    result = dlc("check", write_spec(tmp_path / "s.yaml", spec), "--fail-on", fail_on)
    assert result.exit_code == code


def test_notices_never_fail_the_build(dlc, tmp_path):
    spec = {
        "version": 1,
        "name": "n",
        "approvals": [SPEC["approvals"][0]],
        "datasets": [SPEC["datasets"][1]],
    }
    result = dlc("check", write_spec(tmp_path / "s.yaml", spec), "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["violations"] == []
    assert [(n["rule"], n["subject"]) for n in report["notices"]] == [
        ("TST-ADVICE", {"kind": "approval", "id": "soon"})
    ]
    assert report["notices"][0]["message"] == "soon expires in 30 days"


def test_input_error_exits_2(dlc, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nname: bad\nsystems:\n  - {id: a, location: Atlantis}\n")
    result = dlc("check", str(path))
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"dlc: error: {path}:4:23: systems 'a': unknown location 'Atlantis'"
    )


def test_one_bad_input_among_good_ones_still_exits_2(dlc, tmp_path):
    good = write_spec(tmp_path / "good.yaml", {"version": 1, "name": "ok"})
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: [unclosed\n")
    result = dlc("check", good, str(bad), "--format", "json", "--fail-on", "never")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["summary"]["specs"] == 1
    assert [e["file"] for e in report["errors"]] == [str(bad)]


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "25/11/2026"],
        ["--format", "yaml"],
        ["--fail-on", "severe"],
        ["--policy", "no-such-policy"],
    ],
)
def test_usage_errors_exit_2(dlc, tmp_path, args):
    result = dlc("check", write_spec(tmp_path / "s.yaml"), *args, mine=False)
    assert result.exit_code == 2


def test_missing_input_file_exits_2(dlc, tmp_path):
    result = dlc("check", str(tmp_path / "absent.yaml"), "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["errors"][0]["message"] == "no such file or directory"


def test_a_bad_rule_exits_2_with_its_file(dlc, tmp_path):
    rules = tmp_path / "bad-rules"
    rules.mkdir()
    (rules / "broken.yaml").write_text("id: TST-BROKEN\ntitle: x\n")
    result = dlc("check", write_spec(tmp_path / "s.yaml"), "--rules", str(rules), mine=False)
    assert result.exit_code == 2
    assert "broken.yaml" in result.stderr


# --- the JSON report --------------------------------------------------------------------------

VIOLATION_KEYS = {
    "rule",
    "title",
    "severity",
    "category",
    "subject",
    "dataset",
    "path",
    "message",
    "references",
    "remediation",
    "location",
}


def test_json_report_shape(dlc, tmp_path):
    result = dlc("check", write_spec(tmp_path / "s.yaml"), "--format", "json")
    report = json.loads(result.stdout)
    assert {"tool", "as_of", "summary", "violations", "notices", "errors"} <= set(report)
    assert report["tool"] == {"name": "dlc", "version": "0.1.0"}
    assert report["as_of"] == AS_OF
    assert {"violations", "by_severity", "rules_evaluated", "specs"} <= set(report["summary"])
    assert report["summary"]["violations"] == 4
    assert report["summary"]["by_severity"] == {"critical": 1, "high": 2, "low": 1}
    assert report["summary"]["rules_evaluated"] == 4
    assert report["summary"]["specs"] == 1
    assert report["errors"] == []
    for violation in report["violations"]:
        assert set(violation) >= VIOLATION_KEYS
        assert set(violation["subject"]) == {"kind", "id"}
        assert violation["subject"]["kind"] in {"flow", "system", "dataset", "approval", "spec"}
        assert isinstance(violation["path"], list)
        assert violation["location"]["file"] == str(tmp_path / "s.yaml")
        assert isinstance(violation["location"]["line"], int)
    xfer = next(v for v in report["violations"] if v["subject"]["id"] == "out")
    assert xfer == {
        **xfer,
        "rule": "TST-XFER",
        "title": "Personal data leaves China without a mechanism",
        "severity": "high",
        "category": "cross-border-transfer",
        "subject": {"kind": "flow", "id": "out"},
        "dataset": "pi",
        "path": ["sh", "us"],
        "message": "pi reaches US via sh → us",
        "references": ["Test law art. 1 (2021-11-01)"],
        "remediation": "Get an approval.",
    }
    # a finding with no dataset and no path still carries both keys
    gpu = next(v for v in report["violations"] if v["rule"] == "TST-GPU")
    assert (gpu["dataset"], gpu["path"]) == (None, [])


def test_json_violation_line_points_at_the_subject(dlc, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        textwrap.dedent("""\
        version: 1
        name: lines
        systems:
          - {id: sh, location: CN}
          - {id: us, location: US}
        datasets:
          - {id: pi, origin: CN, categories: [personal]}
        flows:
          - id: out
            from: sh
            to: us
            datasets: [pi]
        """)
    )
    report = json.loads(dlc("check", str(path), "--format", "json").stdout)
    assert [v["location"] for v in report["violations"]] == [{"file": str(path), "line": 9}]


def test_json_input_error_holds_file_line_column_and_message(dlc, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nname: t\nsystems:\n  - id: a\n    location: CN\n    colour: red\n")
    result = dlc("check", str(path), "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["errors"] == [
        {
            "file": str(path),
            "line": 6,
            "column": 5,
            "message": "systems[0].colour: unknown field 'colour'",
        }
    ]
    assert report["violations"] == [] and report["summary"]["specs"] == 0
    assert result.stderr.strip().splitlines() == [
        f"dlc: error: {path}:6:5: systems[0].colour: unknown field 'colour'"
    ]


def test_json_policy_error_still_prints_a_report(dlc, tmp_path):
    result = dlc(
        "check", write_spec(tmp_path / "s.yaml"), "--format", "json", "--policy", "nope", mine=False
    )
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert len(report["errors"]) == 1 and "nope" in report["errors"][0]["message"]
    assert set(report["errors"][0]) == {"file", "line", "column", "message"}
    assert len(result.stderr.strip().splitlines()) == 1


def test_output_writes_the_report_to_a_file(dlc, tmp_path):
    out = tmp_path / "report.json"
    result = dlc("check", write_spec(tmp_path / "s.yaml"), "--format", "json", "--output", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert summary(json.loads(out.read_text())) == EXPECTED


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit", "markdown", "html"])
def test_every_format_renders(dlc, tmp_path, fmt):
    result = dlc("check", write_spec(tmp_path / "s.yaml"), "--format", fmt)
    assert result.exit_code == 1
    assert "TST-XFER" in result.stdout


# --- determinism ---------------------------------------------------------------------------


def test_two_runs_are_byte_identical(dlc, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764691200")  # the run's start time is in the report
    spec = write_spec(tmp_path / "s.yaml")
    for fmt in ("json", "text", "sarif", "markdown", "html"):
        first = dlc("check", spec, "--format", fmt).stdout
        second = dlc("check", spec, "--format", fmt).stdout
        assert first == second


def test_runs_in_separate_processes_are_byte_identical(ruleset, tmp_path):
    """Set and dict iteration must not leak into the output (different hash seeds)."""
    rules, policy = ruleset
    spec = write_spec(tmp_path / "s.yaml")
    outputs = set()
    for seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONHASHSEED": seed,
            "SOURCE_DATE_EPOCH": "1764691200",
        }
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "checker",
                "check",
                spec,
                "--rules",
                rules,
                "--policy",
                policy,
                "--as-of",
                AS_OF,
                "--format",
                "json",
            ],
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert run.returncode == 1, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1


def _reordered(spec: dict) -> dict:
    out = dict(reversed(list(spec.items())))
    for key in ("systems", "datasets", "flows", "approvals"):
        out[key] = list(reversed(spec[key]))
    out["flows"] = [{**f, "datasets": list(reversed(f["datasets"]))} for f in out["flows"]]
    return out


def test_reordering_the_spec_does_not_change_the_report(dlc, tmp_path):
    path = tmp_path / "s.yaml"
    write_spec(path)
    first = json.loads(dlc("check", str(path), "--format", "json").stdout)
    write_spec(path, _reordered(SPEC))
    second = json.loads(dlc("check", str(path), "--format", "json").stdout)

    def without_lines(report):  # items moved, so their lines moved with them
        for finding in report["violations"] + report["notices"]:
            finding["location"].pop("line")
        report.pop("run")  # it digests the file, which did change
        return report

    assert json.dumps(without_lines(first)) == json.dumps(without_lines(second))


# --- inputs: files and directories ---------------------------------------------------------


def test_check_dir_checks_every_spec_and_not_included_fragments(dlc, tmp_path):
    tree = tmp_path / "specs"
    (tree / "team").mkdir(parents=True)
    (tree / "vendors.yaml").write_text("systems:\n  - {id: us, kind: storage, location: US}\n")
    (tree / "a.yaml").write_text(
        textwrap.dedent("""\
        version: 1
        name: a
        include: [vendors.yaml]
        systems: [{id: sh, location: CN}]
        datasets: [{id: pi, origin: CN, categories: [personal]}]
        flows: [{id: out, from: sh, to: us, datasets: [pi]}]
        """)
    )
    (tree / "team" / "b.yaml").write_text(
        "version: 1\nname: b\nsystems: [{id: sg, kind: storage, location: SG}]\n"
    )
    (tree / "team" / "part.yaml").write_text(
        "version: 1\nname: part\nsystems: [{id: de, kind: storage, location: DE}]\n"
    )
    (tree / "team" / "c.yaml").write_text("version: 1\nname: c\ninclude: [part.yaml]\n")
    (tree / "notes.txt").write_text("not a spec")
    result = dlc("check", str(tree), "--format", "json")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == []
    assert report["summary"]["specs"] == 3
    found = sorted(
        (v["rule"], v["subject"]["id"], os.path.basename(v["location"]["file"]))
        for v in report["violations"]
    )
    # the included files are reported where they were written, once, as part of their includer
    assert found == [
        ("TST-STORAGE-ABROAD", "de", "part.yaml"),
        ("TST-STORAGE-ABROAD", "sg", "b.yaml"),
        ("TST-STORAGE-ABROAD", "us", "vendors.yaml"),
        ("TST-XFER", "out", "a.yaml"),
    ]


# --- validate, rules, schema ----------------------------------------------------------------


def test_validate(tmp_path):
    good = write_spec(tmp_path / "good.yaml")
    result = CliRunner().invoke(main, ["validate", good])
    assert result.exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: t\nflows:\n  - {id: f, from: a, to: b}\n")
    result = CliRunner().invoke(main, ["validate", good, str(bad)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"dlc: error: {bad}:4:19: flows 'f': from refers to unknown system 'a'"
    )


def test_validate_runs_no_rules(tmp_path):
    result = CliRunner().invoke(main, ["validate", write_spec(tmp_path / "s.yaml")])
    assert result.exit_code == 0
    assert "TST-" not in result.stdout and "CN-PI-EXPORT" not in result.stdout


def test_rules_list_shows_builtin_and_extra_rules(ruleset):
    rules, policy = ruleset
    result = CliRunner().invoke(main, ["rules", "list"])
    assert result.exit_code == 0
    assert "CN-PI-EXPORT" in result.stdout
    result = CliRunner().invoke(main, ["rules", "list", "--rules", rules, "--policy", policy])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert listed == ["TST-ADVICE", "TST-GPU", "TST-STORAGE-ABROAD", "TST-XFER"]


def test_rules_show(ruleset):
    rules, _ = ruleset
    result = CliRunner().invoke(main, ["rules", "show", "TST-XFER", "--rules", rules])
    assert result.exit_code == 0
    assert result.stdout.startswith("TST-XFER: Personal data leaves China without a mechanism")
    assert "Test law art. 1 (2021-11-01)" in result.stdout
    assert "export without approval triggers" in result.stdout
    assert CliRunner().invoke(main, ["rules", "show", "NO-SUCH-RULE"]).exit_code == 2


def test_rules_test_runs_the_cases_beside_each_rule(ruleset, tmp_path):
    rules, _ = ruleset
    result = CliRunner().invoke(main, ["rules", "test", rules])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1] == "2 passed, 0 failed"


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "flow/out, dataset: pi",
            "flow/elsewhere, dataset: pi",
            ["FAIL TST-XFER: export without approval triggers"],
        ),
        # an unknown parameter fails the case: else it would pass while testing the default it meant to change
        (
            "    expect: []",
            "    parameters: {dayz: 200}\n    expect: []",
            ["FAIL TST-XFER: data kept home passes", "sets unknown parameter(s) dayz"],
        ),
    ],
)
def test_rules_test_fails_a_wrong_case(tmp_path, old, new, expected):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "xfer.yaml").write_text(textwrap.dedent(RULES["xfer.yaml"]))
    (rules / "xfer.test.yaml").write_text(RULE_TESTS.replace(old, new))
    result = CliRunner().invoke(main, ["rules", "test", str(rules)])
    assert result.exit_code == 1
    assert all(text in result.stdout for text in expected), result.stdout
    assert result.stdout.strip().splitlines()[-1] == "1 passed, 1 failed"


def test_builtin_rule_cn_pi_export_passes_its_own_cases():
    result = CliRunner().invoke(main, ["rules", "test", "-v", "rules/cn"])
    assert "FAIL CN-PI-EXPORT" not in result.stdout
    assert "PASS CN-PI-EXPORT" in result.stdout


@pytest.mark.parametrize("what", ["spec", "rule", "policy"])
def test_schema_prints_a_valid_json_schema(what):
    result = CliRunner().invoke(main, ["schema", what])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)


def test_spec_schema_accepts_a_spec_and_rejects_unknown_fields():
    validator = Draft202012Validator(
        json.loads(CliRunner().invoke(main, ["schema", "spec"]).stdout)
    )
    assert list(validator.iter_errors(SPEC)) == []
    assert list(validator.iter_errors({**SPEC, "owner": "me"}))
    assert list(validator.iter_errors({"version": 1}))


def test_rule_schema_accepts_the_test_rules():
    validator = Draft202012Validator(
        json.loads(CliRunner().invoke(main, ["schema", "rule"]).stdout)
    )
    for text in RULES.values():
        rule = yaml.safe_load(textwrap.dedent(text))
        rule["effective"] = str(rule["effective"])
        assert list(validator.iter_errors(rule)) == []


def test_policy_schema_accepts_the_default_policy():
    validator = Draft202012Validator(
        json.loads(CliRunner().invoke(main, ["schema", "policy"]).stdout)
    )
    policy = load_file(str(ROOT / "policies" / "default.yaml"))[
        0
    ].data  # read as dlc reads it (YAML 1.2: dates are text)
    assert list(validator.iter_errors(policy)) == []


# --- python -m checker ------------------------------------------------------------------------


def test_python_m_checker(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    version = subprocess.run(
        [sys.executable, "-m", "checker", "--version"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert version.returncode == 0
    assert "0.1.0" in version.stdout
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "checker",
            "check",
            str(ROOT / EXAMPLE),
            "--format",
            "json",
            "--as-of",
            "2026-11-25",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert ("CN-PI-EXPORT", "export-to-us") in {
        (v["rule"], v["subject"]["id"]) for v in report["violations"]
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: t\nsystems: [{id: a, location: Atlantis}]\n")
    failed = subprocess.run(
        [sys.executable, "-m", "checker", "check", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert failed.returncode == 2
    assert failed.stderr.startswith("dlc: error: ") and "Traceback" not in failed.stderr


def test_progress_line_only_on_a_terminal_and_only_for_long_runs(capsys):
    from checker.cli import _Progress

    with _Progress(enabled=False) as quiet:
        quiet.start -= 10
        quiet("loading big.json")
    with _Progress(enabled=True) as quick:
        quick("loading small.json")  # under a second: nothing
    assert capsys.readouterr().err == ""

    with pytest.raises(KeyboardInterrupt), _Progress(enabled=True) as slow:
        slow.start -= 2.5
        slow.last -= 1
        slow("loading evil\x1b[2Jname.json")
        raise KeyboardInterrupt
    err = capsys.readouterr().err
    assert "dlc:   2.5s loading evil\\u001b[2Jname.json" in err  # no escape reaches the terminal
    assert err.endswith("\r\033[K")  # wiped even when the run fails


def test_check_dir_reports_a_broken_spec_instead_of_skipping_it(dlc, tmp_path):
    """A file with spec sections but no `name` (or a misspelt `version`) is a broken spec, not
    "some other YAML": skipping it would pass its flows unchecked. Policies are still skipped."""
    (tmp_path / "noname.yaml").write_text("version: 1\nsystems: [{id: sh, location: CN}]\n")
    (tmp_path / "typo.yaml").write_text("verison: 1\nname: t\nflows: []\n")
    (tmp_path / "policy.yaml").write_text("name: p\ninclude: ['*']\n")
    result = dlc("check", str(tmp_path), "--format", "json")
    assert result.exit_code == 2
    errors = sorted(
        (os.path.basename(e["file"]), e["message"]) for e in json.loads(result.stdout)["errors"]
    )
    assert errors == [
        ("noname.yaml", "name: missing required field 'name'"),
        ("typo.yaml", "verison: unknown field 'verison'"),
    ]


def test_json_report_of_an_early_error_keeps_the_as_of_date(tmp_path):
    """Same input, same output: a policy error before the run still reports the --as-of date."""
    result = CliRunner().invoke(
        main,
        [
            "check",
            "examples/fsd-export.yaml",
            "--policy",
            str(tmp_path / "nope.yaml"),
            "--as-of",
            "2026-11-25",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["as_of"] == "2026-11-25" and len(report["errors"]) == 1
