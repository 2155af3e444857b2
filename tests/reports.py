"""Helpers the test modules share for reading what a check printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def findings(result) -> list[tuple]:
    """What a check found, without where (an imported spec is another file): rule, severity,
    subject kind and id, dataset, path and message of every violation and notice."""
    report = json.loads(result.output[: result.output.rindex("}") + 1])
    return [
        (
            f["rule"],
            f["severity"],
            f["subject"]["kind"],
            f["subject"]["id"],
            f["dataset"],
            f["path"],
            f["message"],
        )
        for f in report["violations"] + report["notices"]
    ]


def reports_in_two_processes(
    tmp_path: Path, args: list[str], names: list[str], env: dict[str, str]
) -> list[list[bytes]]:
    """`dlc check ARGS` in two processes with different hash seeds, writing every format of
    `names` (the last to stdout): for each run, stdout then the files in order. Both must exit 1."""
    command = [sys.executable, "-m", "checker", "check", *args, "--format", ",".join(names)]
    for name in names[:-1]:
        command += ["--output", str(tmp_path / f"report.{name}")]
    outputs = []
    for seed in ("1", "2"):
        run_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed, **env}
        done = subprocess.run(
            command, capture_output=True, env=run_env, timeout=120, cwd=ROOT, check=False
        )
        assert done.returncode == 1, done.stderr
        reports = [(tmp_path / f"report.{name}").read_bytes() for name in names[:-1]]
        outputs.append([done.stdout, *reports])
    return outputs
