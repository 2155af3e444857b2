"""The dlc benchmark: one command, one table.

    pip install -r benchmarks/requirements.txt
    python benchmarks/run.py                        # sizes 1k, 10k, 100k, 1M
    python benchmarks/run.py --sizes 1000 10000     # a quick run

For each size: the input parse alone (json.load: the floor), `dlc check` on the benchmark policy
(benchmarks/policy.yaml + benchmarks/rules: the checks benchmarks/rego/checks.rego also computes),
`dlc check` on the built-in default policy, and the Rego checks in regorus (and regopy on the small
sizes). Every command runs in its own subprocess; wall time is measured around it and peak memory is
the child's maximum resident set size (wait4). dlc's and the Rego engines' violation sets are
compared wherever both finish; a difference fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from generate import AS_OF, path_for  # noqa: E402

PY = sys.executable


def measure(command: list[str], timeout: float, stdout_path: str | None = None, ok_codes=(0, 1)) -> dict:
    """Wall seconds, peak RSS (MB) and exit code of one subprocess; status 'timeout' past `timeout`."""
    out = open(stdout_path, "w") if stdout_path else subprocess.DEVNULL
    errfile = tempfile.TemporaryFile()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=errfile, start_new_session=True)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    if stdout_path:
        out.close()
    errfile.seek(0)
    stderr = errfile.read().decode("utf-8", "replace")
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, "rc": process.returncode,
            "status": "timeout" if timed_out.is_set() else ("ok" if process.returncode in ok_codes else "error"),
            "stderr": stderr[-2000:]}


def generated(size: int, fmt: str) -> str:
    """The spec of `size` flows, generated (once) in a child process so this one stays small."""
    subprocess.run([PY, os.path.join(HERE, "generate.py"), str(size), "--format", fmt], cwd=ROOT, check=True,
                   stderr=subprocess.DEVNULL)
    return path_for(size, fmt)


def compare(report: str, rego_out: str) -> dict:
    """dlc's and a Rego engine's findings side by side (benchmarks/compare.py, in its own process)."""
    result = subprocess.run([PY, os.path.join(HERE, "compare.py"), report, rego_out], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"comparing findings failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout)


def dlc_command(spec: str, output: str, policy: str | None) -> list[str]:
    command = [PY, "-m", "checker", "check", spec, "--as-of", AS_OF, "--format", "json", "--output", output,
               "--fail-on", "never"]
    if policy:
        command += ["--policy", os.path.join(HERE, "policy.yaml"), "--rules", os.path.join(HERE, "rules")]
    return command


def fmt_time(result: dict | None) -> str:
    if result is None:
        return "-"
    if result["status"] != "ok":
        return result["status"]
    return f"{result['wall']:.2f}"


def fmt_mb(result: dict | None) -> str:
    return "-" if result is None or result["status"] != "ok" else f"{result['rss_mb']:.0f}"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    except (ValueError, OSError):
        memory = 0
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, "
            f"Python {platform.python_version()}")


def terraform_row(args, tmp: str) -> list[str] | None:
    """dlc on a Terraform plan of 2,000 resources, once the Terraform adapter (checker/adapters/terraform/) exists."""
    if not os.path.exists(os.path.join(ROOT, "checker", "adapters", "terraform")):
        return None
    plan = os.path.join(HERE, "data", "plan-2000.json")
    subprocess.run([PY, os.path.join(HERE, "generate_terraform.py"), "2000"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    report = os.path.join(tmp, "tf.json")
    result = measure([PY, "-m", "checker", "check", plan, "--as-of", AS_OF, "--format", "json", "--output", report,
                      "--fail-on", "never"], args.timeout)
    if result["status"] != "ok":
        print(f"terraform: {result['status']}: {result['stderr']}", file=sys.stderr)
    return ["tf 2,000 res", "-", fmt_time(result), fmt_mb(result), "-", "-", "-", "-", "-", "-", "-", "-"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--regorus-max", type=int, default=1_000_000, help="largest size run in regorus")
    parser.add_argument("--regopy-max", type=int, default=0, help="largest size run in regopy (off by default: see README)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per command")
    parser.add_argument("--yaml-max", type=int, default=1000, help="sizes up to this are YAML, larger JSON")
    parser.add_argument("--no-terraform", action="store_true")
    args = parser.parse_args()

    print(f"machine: {machine()}", file=sys.stderr)
    header = ["flows", "parse s", "dlc s", "dlc MB", "µs/flow", "default s", "default MB",
              "regorus s", "regorus MB", "regorus/dlc", "regopy s", "same set"]
    rows = []
    mismatch = False
    findings = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            fmt = "yaml" if size <= args.yaml_max else "json"
            spec = generated(size, fmt)
            json_spec = spec[: -len(fmt)] + "json"
            print(f"[{size:,} flows] {os.path.relpath(spec, ROOT)}", file=sys.stderr)
            parse = measure([PY, os.path.join(HERE, "rego_eval.py"), "parse", json_spec], args.timeout)
            bench_report, default_report = os.path.join(tmp, "bench.json"), os.path.join(tmp, "default.json")
            dlc = measure(dlc_command(spec, bench_report, policy="bench"), args.timeout)
            default = measure(dlc_command(spec, default_report, policy=None), args.timeout)
            for name, result in (("dlc", dlc), ("dlc default", default)):
                if result["status"] != "ok":
                    print(f"  {name}: {result['status']}: {result['stderr']}", file=sys.stderr)
            same = []
            engines = {}
            for engine, limit in (("regorus", args.regorus_max), ("regopy", args.regopy_max)):
                if size > limit:
                    engines[engine] = None
                    continue
                out = os.path.join(tmp, f"{engine}.json")
                if os.path.exists(out):
                    os.remove(out)
                result = measure([PY, os.path.join(HERE, "rego_eval.py"), engine, json_spec, "--as-of", AS_OF,
                                  "--out", out], args.timeout, ok_codes=(0,))
                engines[engine] = result
                if result["status"] != "ok":
                    print(f"  {engine}: {result['status']}: {result['stderr'][-300:]}", file=sys.stderr)
                    continue
                if dlc["status"] == "ok":
                    verdict = compare(bench_report, out)
                    findings = verdict["findings"]
                    same.append(f"{engine} {'yes' if verdict['equal'] else 'NO'}")
                    if not verdict["equal"]:
                        mismatch = True
                        print(f"  {engine} differs: {verdict['only_dlc']} only in dlc, {verdict['only_rego']} only "
                              f"in {engine}, e.g. {verdict['examples']}", file=sys.stderr)
            regorus = engines["regorus"]
            ratio = (f"{regorus['wall'] / dlc['wall']:.1f}×" if regorus and regorus["status"] == "ok"
                     and dlc["status"] == "ok" else "-")
            parse_s = "-"
            if parse["status"] == "ok":
                parse_s = f"{parse['wall']:.2f}"
            row = [f"{size:,}", parse_s, fmt_time(dlc), fmt_mb(dlc),
                   f"{dlc['wall'] / size * 1e6:.1f}" if dlc["status"] == "ok" else "-",
                   fmt_time(default), fmt_mb(default), fmt_time(regorus), fmt_mb(regorus), ratio,
                   fmt_time(engines["regopy"]), ", ".join(same) or "-"]
            rows.append(row)
            print("  " + " | ".join(row), file=sys.stderr)
        tf = None if args.no_terraform else terraform_row(args, tmp)
        if tf:
            rows.append(tf)

    print(f"\nmachine: {machine()}")
    print(f"findings: {findings if findings is not None else '-'} at the last size compared; as of {AS_OF}\n")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
    print("\nparse s: json.load of the input alone (the floor); dlc s / dlc MB: `dlc check` with the benchmark policy, "
          "wall time and peak RSS of the whole process; µs/flow: dlc s per flow; default: the built-in default policy; "
          "regorus/regopy: the same checks in Rego (load + eval, in their own process); same set: violation sets equal.")
    if mismatch:
        sys.exit(1)


if __name__ == "__main__":
    main()
