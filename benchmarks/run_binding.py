"""Binding a spec to a large plan: how long loading, binding and the whole check take.

    python benchmarks/run_binding.py [--resources 20000] [--systems 500]

A plan of N buckets in 50 modules over four regions (a fifth replicated to the next bucket) and a
spec of S systems, each binding one module's buckets by a glob and one root bucket by address,
with a collection flow into each. Prints the times and the findings per rule as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

AWS = "registry.terraform.io/hashicorp/aws"
REGIONS = ("cn-north-1", "cn-northwest-1", "us-east-1", "ap-southeast-1")


def plan(resources: int, modules: int) -> dict:
    children: dict[str, list] = {}
    root: list = []
    names = []
    for index in range(resources):
        module = f"module.m{index % modules}" if index % 10 else ""
        address = f"{module + '.' if module else ''}aws_s3_bucket.b{index}"
        values = {"bucket": f"bucket-{index}", "region": REGIONS[index % len(REGIONS)]}
        (children.setdefault(module, []) if module else root).append(
            {
                "address": address,
                "mode": "managed",
                "type": "aws_s3_bucket",
                "name": f"b{index}",
                "provider_name": AWS,
                "values": values,
            }
        )
        names.append((values["bucket"], values["region"]))
    for index in range(0, resources - 1, 5):
        root.append(
            {
                "address": f"aws_s3_bucket_replication_configuration.r{index}",
                "mode": "managed",
                "type": "aws_s3_bucket_replication_configuration",
                "name": f"r{index}",
                "provider_name": AWS,
                "values": {
                    "bucket": names[index][0],
                    "region": names[index][1],
                    "rule": [
                        {
                            "id": "all",
                            "status": "Enabled",
                            "destination": [{"bucket": f"arn:aws:s3:::{names[index + 1][0]}"}],
                        }
                    ],
                },
            }
        )
    tree = {
        "resources": root,
        "child_modules": [
            {"address": module, "resources": items} for module, items in sorted(children.items())
        ],
    }
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": tree},
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": AWS}}},
    }


def spec(systems: int, modules: int, resources: int) -> dict:
    declared = [
        {
            "id": f"s{index}",
            "kind": "storage",
            "location": "aws:cn-north-1",
            "resources": [
                f"module.m{index % modules}.aws_s3_bucket.*"
                if index < modules
                else f"aws_s3_bucket.b{(index * 10) % resources}"
            ],
        }
        for index in range(systems)
    ]
    return {
        "version": 1,
        "name": "binding-benchmark",
        "systems": [{"id": "fleet", "kind": "device-fleet", "location": "CN"}, *declared],
        "datasets": [
            {"id": "video", "origin": "CN", "categories": ["personal"], "subjects": 50_000}
        ],
        "flows": [
            {"id": f"collect-{s['id']}", "from": "fleet", "to": s["id"], "datasets": ["video"]}
            for s in declared
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=20_000)
    parser.add_argument("--systems", type=int, default=500)
    args = parser.parse_args()
    from checker.evaluate.run import Options, check, load_specs
    from checker.load.policy import load_policy
    from checker.report.findings import Report

    with tempfile.TemporaryDirectory() as folder:
        paths = [str(Path(folder) / "spec.yaml"), str(Path(folder) / "plan.json")]
        Path(paths[0]).write_text(yaml.safe_dump(spec(args.systems, 50, args.resources)))
        Path(paths[1]).write_text(json.dumps(plan(args.resources, 50)))
        as_of = dt.date(2026, 6, 1)
        started = time.perf_counter()
        load_specs(paths[1:], Options(as_of), Report(as_of, "bench"))
        plan_alone = time.perf_counter() - started
        started = time.perf_counter()
        load_specs(paths, Options(as_of), Report(as_of, "bench"))
        bound = time.perf_counter() - started
        policy = load_policy()
        started = time.perf_counter()
        report = check(paths, policy, Options(as_of))
        whole = time.perf_counter() - started
    print(
        json.dumps(
            {
                "resources": args.resources,
                "systems": args.systems,
                "load_plan_s": round(plan_alone, 2),
                "load_and_bind_s": round(bound, 2),
                "check_s": round(whole, 2),
                "errors": len(report.errors),
                "findings": dict(
                    sorted(Counter(f.rule for f in report.violations + report.notices).items())
                ),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
