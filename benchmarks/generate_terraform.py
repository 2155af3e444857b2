"""A Terraform plan of N resources for the benchmark: the shipped example plan
(examples/terraform/cn-bucket-replication.json: a Chinese fleet-video bucket replicated to a US
bucket, with versioning and an IAM role) repeated under new names until it has N resources.

    python benchmarks/generate_terraform.py 2000     -> benchmarks/data/plan-2000.json
"""

from __future__ import annotations

import argparse
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(os.path.dirname(HERE), "examples", "terraform", "cn-bucket-replication.json")
DATA = os.path.join(HERE, "data")
# The example's resource names and bucket names; each copy gets its own suffix.
NAMES = re.compile(r"\b(fleet_video_to_us|fleet_video_us|fleet_video|replication)\b|example-motors-fleet-video-(cn|us)")


def _renamed(value, copy: int):
    text = json.dumps(value)
    text = NAMES.sub(lambda m: f"{m.group(0)}_{copy}" if m.group(1) else f"{m.group(0)}-{copy}", text)
    return json.loads(text)


def write_plan(resources: int) -> str:
    with open(EXAMPLE, encoding="utf-8") as handle:
        plan = json.load(handle)
    sections = (plan["planned_values"]["root_module"], plan["configuration"]["root_module"])
    originals = [list(section["resources"]) for section in sections]
    changes = list(plan["resource_changes"])
    copies = -(-resources // len(originals[0]))
    for section, resources_of in zip(sections, originals):
        section["resources"] = [_renamed(r, copy) for copy in range(copies) for r in resources_of][:resources]
    kept = {r["address"] for r in sections[0]["resources"]}
    plan["resource_changes"] = [c for c in (_renamed(c, copy) for copy in range(copies) for c in changes)
                                if c["address"] in kept]
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, f"plan-{resources}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(plan, handle, indent=1)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("resources", type=int)
    print(write_plan(parser.parse_args().resources))


if __name__ == "__main__":
    main()
