"""Evaluate benchmarks/rego/checks.rego on a spec JSON with regorus or regopy; print timings as JSON.

    python benchmarks/rego_eval.py regorus benchmarks/data/spec-10000.json [--out findings.json]

Timed: `parse` (json.load of the input alone, the floor), `load` (the engine taking the policy,
the data document and the input) and `eval` (the query). The data document (catalogs, groups,
date) is built from dlc's own shipped catalogs before timing starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
QUERY = "data.dlc.bench.findings"


def bench_data(as_of: str) -> dict:
    import yaml
    from checker.resolve.accelerators import default_catalog as accelerators, normalize
    from checker.resolve.categories import default_taxonomy
    from checker.resolve.regions import default_catalog as regions

    catalog, taxonomy = regions(), default_taxonomy()
    with open(os.path.join(HERE, "policy.yaml"), encoding="utf-8") as handle:
        groups = yaml.safe_load(handle)["groups"]
    spellings = {}
    for model in accelerators().models():
        for spelling in (model.name, *model.aliases):
            spellings[normalize(spelling)] = model.eccn
    return {"bench": {
        "as_of": as_of,
        "groups": {name: sorted(str(c) for c in codes) for name, codes in groups.items()},
        "countries": {code: True for code in catalog.countries()},
        "regions": {name: catalog.country_of(name) for name in catalog.regions()},
        "category_closure": {name: sorted(taxonomy.expand([name])) for name in taxonomy.names()},
        "accelerators": spellings,
    }}


def normalise(findings) -> list[list]:
    return sorted([list(f) for f in findings], key=lambda f: [str(x) for x in f])


def run_regorus(policy: str, data: dict, input_path: str) -> tuple[list, float, float]:
    import regorus
    start = time.perf_counter()
    engine = regorus.Engine()
    engine.add_policy("checks.rego", policy)
    engine.add_data_json(json.dumps(data))
    engine.set_input_from_json_file(input_path)
    loaded = time.perf_counter()
    result = json.loads(engine.eval_rule_as_json(QUERY)) if hasattr(engine, "eval_rule_as_json") else \
        engine.eval_rule(QUERY)
    return result, loaded - start, time.perf_counter() - loaded


def run_regopy(policy: str, data: dict, input_path: str) -> tuple[list, float, float]:
    from regopy import Interpreter
    start = time.perf_counter()
    rego = Interpreter()
    rego.add_module("checks", policy)
    rego.add_data_json(json.dumps(data))
    with open(input_path, encoding="utf-8") as handle:
        rego.set_input_term(handle.read())
    loaded = time.perf_counter()
    output = rego.query(QUERY)
    if not output.ok():
        raise RuntimeError(str(output))
    result = json.loads(output.to_str())
    result = result["expressions"][0] if isinstance(result, dict) and "expressions" in result else result
    return _unwrap(result), loaded - start, time.perf_counter() - loaded


def _unwrap(result):
    while isinstance(result, dict):
        result = result.get("result", result.get("expressions", result.get("value")))
        if isinstance(result, list) and result and isinstance(result[0], dict):
            result = result[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("engine", choices=("regorus", "regopy", "parse"))
    parser.add_argument("input")
    parser.add_argument("--as-of", default="2026-06-01")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.engine == "parse":
        start = time.perf_counter()
        with open(args.input, encoding="utf-8") as handle:
            json.load(handle)
        print(json.dumps({"parse": time.perf_counter() - start}))
        return
    with open(os.path.join(HERE, "rego", "checks.rego"), encoding="utf-8") as handle:
        policy = handle.read()
    data = bench_data(args.as_of)
    runner = run_regorus if args.engine == "regorus" else run_regopy
    findings, load, evaluate = runner(policy, data, args.input)
    findings = normalise(findings)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(findings, handle)
    print(json.dumps({"load": load, "eval": evaluate, "findings": len(findings)}))


if __name__ == "__main__":
    main()
