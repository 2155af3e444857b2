"""The audit trail of a check (DESIGN.md "Audit trail in every report"): when it ran, how it was
called, and digests of the policy, the rules in force and every file read, so that a report filed
today can be shown next year to be what it claims.

`SOURCE_DATE_EPOCH` (the reproducible-builds convention) stands for "now": with it set, the same
command on the same inputs gives the same report, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence

from checker.errors import UsageError

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"


def now() -> dt.datetime:
    """The run's start in UTC, to the second: `SOURCE_DATE_EPOCH` where it is set."""
    epoch = os.environ.get(SOURCE_DATE_EPOCH)
    if epoch is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"{SOURCE_DATE_EPOCH} '{epoch}' is not a number of seconds since 1970-01-01"
        ) from None


def today() -> dt.date:
    """The default `--as-of`: the UTC date of `SOURCE_DATE_EPOCH` where it is set, else today."""
    return now().date() if SOURCE_DATE_EPOCH in os.environ else dt.date.today()


def file_sha256(path: str) -> str | None:
    """The file's SHA-256 in hex, or None when it cannot be read (the report's errors say why)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def files_sha256(paths: list[str]) -> str:
    """One digest for several files in a fixed order: the SHA-256 of their SHA-256 hex digests,
    one a line (`sha256sum FILES | cut -c1-64 | sha256sum` recomputes it). Digesting the digests,
    not the concatenated bytes, keeps text moved from one file to the next from going unseen."""
    lines = "".join(f"{file_sha256(path) or '-'}\n" for path in paths)
    return hashlib.sha256(lines.encode("ascii")).hexdigest()


def run_facts(
    started_at: dt.datetime,
    command: Sequence[str],
    policy=None,
    rules_in_force: Sequence[str] = (),
    inputs: Sequence[tuple[str, str | None]] = (),
    exemption_files: Sequence[str] = (),
    baseline_file: str | None = None,
) -> dict:
    """The report's `run`, in the shape DESIGN.md fixes. `policy` is the loaded Policy (None when it
    could not be loaded), `rules_in_force` the ids of the rules evaluated, `inputs` (path, kind) of
    every input file read, in the order read."""
    rule_files = (
        [policy.available[rule_id].file for rule_id in sorted(rules_in_force)] if policy else []
    )
    return {
        "started_at": started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": list(command),
        "policy": {"name": policy.name, "sha256": files_sha256(policy.files)} if policy else None,
        "rules": {"count": len(rule_files), "sha256": files_sha256(rule_files)} if policy else None,
        "inputs": [
            {"path": path, "kind": kind, "sha256": file_sha256(path)} for path, kind in inputs
        ],
        "exemptions": [{"path": path, "sha256": file_sha256(path)} for path in exemption_files],
        "baseline": {"path": baseline_file, "sha256": file_sha256(baseline_file)}
        if baseline_file
        else None,
    }
