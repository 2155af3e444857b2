"""Compare dlc's findings with a Rego engine's, in a process of its own: the benchmark's parent
process stays small, so the children it forks (whose peak memory it reports) start small too.

    python benchmarks/compare.py DLC_REPORT.json REGO_FINDINGS.json   -> JSON on stdout
"""

from __future__ import annotations

import json
import sys


def dlc_findings(report_path: str) -> set[tuple]:
    with open(report_path, encoding="utf-8") as handle:
        report = json.load(handle)
    if report["errors"]:
        raise SystemExit(f"dlc reported input errors: {report['errors'][:3]}")
    return {(f["rule"], f["subject"]["kind"], f["subject"]["id"], f["dataset"])
            for f in report["violations"] + report["notices"]}


def rego_findings(path: str) -> set[tuple]:
    with open(path, encoding="utf-8") as handle:
        return {tuple(f) for f in json.load(handle)}


def main() -> None:
    ours, theirs = dlc_findings(sys.argv[1]), rego_findings(sys.argv[2])
    print(json.dumps({"findings": len(ours), "equal": ours == theirs, "only_dlc": len(ours - theirs),
                      "only_rego": len(theirs - ours), "examples": sorted(map(list, ours ^ theirs), key=str)[:3]}))


if __name__ == "__main__":
    main()
