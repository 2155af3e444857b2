"""The hostile-input corpus (tests/hostile/cases.yaml): every malformed input fails closed.

Each case is run through the CLI: a few end to end as `python -m checker` in a subprocess (no
traceback can slip through the entry point), the rest through click's CliRunner on
`checker.cli.main`. An input error must exit 2 with exactly one `dlc: error:` line on stderr
naming the file, the line (and column where the manifest says) and the problem.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.errors import LimitExceeded
from checker.load.documents import DEFAULT_LIMITS, load_file

HOSTILE = Path(__file__).parent / "hostile"
ROOT = HOSTILE.parent.parent
CASES = yaml.safe_load((HOSTILE / "cases.yaml").read_text(encoding="utf-8"))["cases"]
AS_OF = "2026-11-25"


def _case_id(case: dict) -> str:
    return case["file"] + ("[" + " ".join(case["args"]) + "]" if case.get("args") else "")


def _arguments(case: dict, tmp_path: Path) -> list[str]:
    file = str(HOSTILE / case["file"])
    valid = str(HOSTILE / "valid.yaml")
    kind, command = case["kind"], case.get("command", "check")
    if command == "validate":
        return ["validate", file, *case.get("args", [])]
    args = ["check", "--as-of", AS_OF]
    if kind == "spec":
        args.append(file)
    elif kind == "rule":
        rules = tmp_path / "rules"
        rules.mkdir()
        shutil.copy(file, rules)
        args += ["--rules", str(rules), valid]
    elif kind == "policy":
        args += ["--policy", file, valid]
    elif kind == "exemptions":
        args += ["--exemptions", file, valid]
    elif kind in ("terraform", "kubernetes"):
        args += ["--input-type", kind, file]
    else:
        raise AssertionError(f"unknown kind {kind}")
    return args + [str(a) for a in case.get("args", [])]


def _run(case: dict, tmp_path: Path) -> tuple[int, str, str]:
    args = _arguments(case, tmp_path)
    if case.get("subprocess"):
        proc = subprocess.run(
            [sys.executable, "-m", "checker", *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        return proc.returncode, proc.stdout, proc.stderr
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"dlc raised {type(result.exception).__name__}: {result.exception}"
        ) from result.exception
    return result.exit_code, result.stdout, result.stderr


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert {case["kind"] for case in CASES} == {
        "spec",
        "rule",
        "policy",
        "exemptions",
        "terraform",
        "kubernetes",
    }
    listed = {case["file"] for case in CASES}
    for case in CASES:
        assert (HOSTILE / case["file"]).is_file(), case["file"]
    helpers = {"spec/include-cycle-b.yaml", "spec/include-part.yaml"}
    on_disk = {str(p.relative_to(HOSTILE)) for p in HOSTILE.glob("*/*") if p.is_file()}
    assert on_disk - helpers <= listed, (
        f"corpus files without a case: {sorted(on_disk - helpers - listed)}"
    )


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_hostile_case(case, tmp_path):
    code, stdout, stderr = _run(case, tmp_path)
    assert "Traceback" not in stdout + stderr
    assert "internal error" not in stderr
    assert code == case["exit"], f"exit {code}, stderr: {stderr}"
    if case["exit"] != 2:
        assert case["message"] in stdout, stdout
        return
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got: {stderr}"
    line = lines[0]
    assert line.startswith("dlc: error: "), line
    assert case["message"] in line, line
    name = re.escape(case.get("error_file", os.path.basename(case["file"])))
    if case.get("line") is None:
        assert re.search(rf"{name}: ", line), line
    elif case.get("column") is not None:
        assert re.search(rf"{name}:{case['line']}:{case['column']}: ", line), line
    else:
        assert re.search(rf"{name}:{case['line']}(:\d+)?: ", line), line


# --- alias bombs: fail fast, in bounded memory -------------------------------------------------


def _limited(megabytes: int):
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))

    return limit


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is reliable on Linux only")
@pytest.mark.parametrize(
    "extra", [[], ["--max-aliases", "100000000"]], ids=["default", "aliases-raised"]
)
def test_billion_laughs_fails_fast_in_bounded_memory(extra, tmp_path):
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "checker",
            "check",
            str(HOSTILE / "spec/billion-laughs.yaml"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        preexec_fn=_limited(1024),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, proc.stderr
    assert "alias" in proc.stderr and "Traceback" not in proc.stderr
    assert elapsed < 10, f"took {elapsed:.1f}s (interpreter start included)"


def test_billion_laughs_load_is_fast():
    for name in ("spec/billion-laughs.yaml", "kubernetes/billion-laughs.yaml"):
        started = time.monotonic()
        with pytest.raises(LimitExceeded, match="alias"):
            load_file(str(HOSTILE / name), DEFAULT_LIMITS, multi=True)
        assert time.monotonic() - started < 2


def test_deeper_alias_bomb_with_raised_alias_limit_still_stops(tmp_path):
    levels = "".join(
        f"l{i + 1}: &l{i + 1} [" + ",".join([f"*l{i}"] * 50) + "]\n" for i in range(12)
    )
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("version: 1\nname: b\nl0: &l0 [x]\n" + levels)
    result = CliRunner().invoke(main, ["validate", str(bomb), "--max-aliases", "1000000000"])
    assert result.exit_code == 2
    assert "an alias bomb?" in result.stderr


# --- graph shapes that must terminate ------------------------------------------------------------


def test_replication_ring_terminates(tmp_path):
    systems = "".join(
        f"  - {{id: s{i}, location: {code}}}\n"
        for i, code in enumerate(["CN", "SG", "US", "DE", "CN"])
    )
    flows = "".join(
        f"  - {{id: f{i}, from: s{i}, to: s{(i + 1) % 5}, datasets: [pi], mode: replication}}\n"
        for i in range(5)
    )
    flows += "".join(
        f"  - {{id: g{i}, from: s{(i + 1) % 5}, to: s{i}, datasets: [pi]}}\n" for i in range(5)
    )
    spec = tmp_path / "ring.yaml"
    spec.write_text(
        "version: 1\nname: ring\nsystems:\n"
        + systems
        + "datasets:\n  - {id: pi, origin: CN, categories: [personal]}\nflows:\n"
        + flows
    )
    started = time.monotonic()
    result = CliRunner().invoke(main, ["check", "--as-of", AS_OF, "--format", "json", str(spec)])
    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 10


def test_pathological_policy_glob_is_fast(tmp_path):
    started = time.monotonic()
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--policy",
            str(HOSTILE / "policy/pathological-glob.yaml"),
            str(HOSTILE / "valid.yaml"),
        ],
    )
    assert result.exit_code == 2
    assert time.monotonic() - started < 5


def test_norway_is_norway():
    from checker.load.spec import load_spec
    from checker.resolve.resolver import resolve

    spec = load_spec(str(HOSTILE / "spec/norway-is-norway.yaml"))
    resolved = resolve(spec)
    assert resolved.country == {"oslo": "NO", "bergen": "NO"}
    assert resolved.origin == {"d": "NO"}
    assert spec.datasets[0].subjects == 10  # `010` is decimal ten in YAML 1.2, not octal eight


def test_input_error_with_json_format_still_reports_and_exits_2():
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--as-of",
            AS_OF,
            "--format",
            "json",
            str(HOSTILE / "spec/duplicate-location.yaml"),
        ],
    )
    assert result.exit_code == 2
    import json

    report = json.loads(result.stdout)
    assert report["errors"][0]["line"] == 7 and "duplicate key" in report["errors"][0]["message"]
    assert report["summary"]["specs"] == 0
