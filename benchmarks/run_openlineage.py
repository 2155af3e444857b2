"""The OpenLineage importer benchmark: `dlc check` and `dlc import` on logs of N run events.

    python benchmarks/run_openlineage.py                          # 10k, 100k, 1M events
    python benchmarks/run_openlineage.py --sizes 10000 100000     # a quick run
    python benchmarks/run_openlineage.py --sizes 1000000 --jobs 100000 --datasets 400000   # a larger graph

Logs come from generate_openlineage.py (fixed seed; 20,000 datasets, 5,000 jobs, so from 100k
events on the distinct datasets and edges stop growing while the events do). Each command runs in
its own subprocess: wall time around it, peak memory the child's maximum resident set (wait4).
The check uses the built-in default policy and writes the JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate_openlineage import DATA, DATASETS, JOBS, path_for  # noqa: E402
from run import PY, fmt_mb, fmt_time, machine, measure  # noqa: E402

CONFIG = os.path.join(DATA, "openlineage-dlc.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--datasets", type=int, default=DATASETS)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            log = path_for(size, args.jobs, args.datasets)
            if not os.path.exists(log) or not os.path.exists(CONFIG):
                measure([PY, os.path.join(HERE, "generate_openlineage.py"), str(size), "--jobs", str(args.jobs),
                         "--datasets", str(args.datasets)], 3600, ok_codes=(0,))
            report, spec = os.path.join(tmp, "report.json"), os.path.join(tmp, "spec.yaml")
            check = measure([PY, "-m", "checker", "check", "--config", CONFIG, log, "--as-of", "2026-06-01",
                             "--format", "json", "--output", report, "--fail-on", "never"], 3600)
            imported = measure([PY, "-m", "checker", "import", "openlineage", "--config", CONFIG, log, "-o", spec],
                               3600, ok_codes=(0,))
            for result in (check, imported):
                if result["status"] != "ok":
                    sys.exit(f"size {size}: {result['status']}: {result['stderr']}")
            with open(report, encoding="utf-8") as handle:
                summary = json.load(handle)["summary"]
            counts = re.search(r"(\d+) systems, (\d+) datasets, (\d+) flows", imported["stderr"]).groups()
            rows.append([f"{size:,}", f"{os.path.getsize(log) / 2 ** 20:.0f}", " / ".join(counts),
                         f"{summary['violations']:,}", fmt_time(check), fmt_mb(check),
                         f"{check['wall'] / size * 1e6:.1f}", fmt_time(imported), fmt_mb(imported)])
    header = ["events", "log MiB", "systems / datasets / flows", "violations", "check s", "check MB", "µs/event", "import s",
              "import MB"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("-" * (len(name) + 2) for name in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
