"""Synthetic but realistic dlc specs for the benchmark (fixed seed: the same size is the same file).

    python benchmarks/generate.py 100000            -> benchmarks/data/spec-100000.json
    python benchmarks/generate.py 1000 --format yaml

N flows over N/8 systems in ~35 countries and cloud regions (a fifth in mainland China), N/4
datasets with mixed categories and lineage (a fifth derived, some anonymised), flows chained so
each dataset travels several hops (some replication rings, some remote access), approvals with
mixed coverage (right or wrong destination or purpose) and validity (expired, not yet valid,
expiring soon), and GPU systems with and without export licences.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

SEED = 20261125
AS_OF = "2026-06-01"          # the benchmark's evaluation date (--as-of), so results never drift
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")

# location -> country (the dlc region catalog agrees; the generator does not import dlc)
CN_LOCATIONS = {"CN": "CN", "alibaba:cn-shanghai": "CN", "alibaba:cn-beijing": "CN", "aws:cn-north-1": "CN",
                "aws:cn-northwest-1": "CN", "azure:chinaeast2": "CN"}
OTHER_LOCATIONS = {
    "US": "US", "aws:us-west-2": "US", "aws:us-east-1": "US", "gcp:us-central1": "US", "DE": "DE",
    "aws:eu-central-1": "DE", "FR": "FR", "IE": "IE", "aws:eu-west-1": "IE", "NL": "NL", "gcp:europe-west4": "NL",
    "PL": "PL", "GB": "GB", "CH": "CH", "JP": "JP", "aws:ap-northeast-1": "JP", "KR": "KR", "SG": "SG",
    "aws:ap-southeast-1": "SG", "IN": "IN", "HK": "HK", "aws:ap-east-1": "HK", "TW": "TW", "RU": "RU",
    "BR": "BR", "CA": "CA", "AE": "AE", "VN": "VN", "SA": "SA", "AU": "AU", "MY": "MY",
}
COUNTRY = {**CN_LOCATIONS, **OTHER_LOCATIONS}
EU = {"DE", "FR", "IE", "NL", "PL"}
CATEGORIES = ["personal", "geolocation", "vehicle-exterior-video", "biometric", "health", "financial",
              "coarse-location", "personal-identifiers", "vehicle-telemetry", "non-personal", "technical-data",
              "sensitive-personal", "vehicle-cabin-audio-video"]
PURPOSES = ["fsd-training", "analytics", "support", "backup", "hr", "marketing"]
GPUS = ["NVIDIA H100 SXM", "nvidia-h100-sxm", "A100", "NVIDIA H20", "NVIDIA L20", "NVIDIA A30",
        "Huawei Ascend 910B", "NVIDIA T4", "Acme Tensor X9"]   # the last is not in the catalog
KINDS_BY_ORIGIN = {"CN": ["cn-security-assessment", "cn-standard-contract", "cn-certification", "other"],
                   "EU": ["eu-scc", "eu-bcr", "consent", "other"]}


def generate(n_flows: int, seed: int = SEED) -> dict:
    rng = random.Random(seed)
    n_systems = max(30, n_flows // 8)
    n_datasets = max(10, n_flows // 4)

    systems, system_country = [], []
    for i in range(n_systems):
        location = rng.choice(list(CN_LOCATIONS)) if rng.random() < 0.2 else rng.choice(list(OTHER_LOCATIONS))
        kind = rng.choices(["device-fleet", "storage", "compute", "service", "vendor"], [2, 3, 3, 1, 1])[0]
        system = {"id": f"sys-{i:07d}", "kind": kind, "location": location}
        if COUNTRY[location] == "US" and rng.random() < 0.3:
            system["certifications"] = ["eu-us-dpf"]
        if kind == "compute" and rng.random() < 0.25:
            system["accelerators"] = [{"model": rng.choice(GPUS), "count": rng.choice([8, 64, 512, 2048])}
                                      for _ in range(rng.choice([1, 1, 2]))]
        systems.append(system)
        system_country.append(COUNTRY[location])
    by_country: dict[str, list[int]] = {}
    for index, country in enumerate(system_country):
        by_country.setdefault(country, []).append(index)
    countries = sorted(by_country)

    datasets, approvals, flows = [], [], []
    outgoing: dict[int, list[int]] = {}          # system index -> flow indexes leaving it
    reached: list[list[int]] = []                 # dataset -> system indexes it reaches
    as_of_year = int(AS_OF[:4])

    def approval_dates() -> dict:
        roll = rng.random()
        if roll < 0.65:
            return {"valid_from": f"{as_of_year - 1}-01-15", "expires": f"{as_of_year + 2}-01-15"}
        if roll < 0.80:
            return {"valid_from": f"{as_of_year - 3}-03-01", "expires": f"{as_of_year - 1}-03-01"}   # expired
        if roll < 0.90:
            return {"valid_from": f"{as_of_year - 1}-05-01", "expires": f"{as_of_year}-07-15"}      # expiring soon
        return {"valid_from": f"{as_of_year + 1}-01-01"}                                              # not yet valid

    def new_approval(kind: str, **fields) -> str:
        ident = f"ap-{len(approvals):07d}"
        approvals.append({"id": ident, "kind": kind, **fields, **approval_dates()})
        return ident

    for d in range(n_datasets):
        dataset = {"id": f"ds-{d:07d}"}
        derived = d > 10 and rng.random() < 0.2
        if derived:
            parent = rng.randrange(d)
            dataset["derived_from"] = [datasets[parent]["id"]]
            dataset["transform"] = rng.choices(["none", "pseudonymized", "anonymized", "aggregated",
                                                "model-weights"], [3, 2, 2, 1, 1])[0]
            home = rng.choice(reached[parent]) if reached[parent] else rng.randrange(n_systems)
            if rng.random() < 0.3:
                dataset["origin"] = system_country[home]
        else:
            home = rng.randrange(n_systems)
            dataset["origin"] = system_country[home]
        dataset["categories"] = rng.sample(CATEGORIES, rng.choice([1, 2, 2, 3]))
        if rng.random() < 0.8:
            dataset["subjects"] = rng.choice([500, 5_000, 50_000, 500_000, 5_000_000])
        if rng.random() < 0.1:
            dataset["important"] = True
        datasets.append(dataset)
        reached.append([home])

    # Journeys: each dataset leaves its home and travels 2-6 hops; a third of hops reuse a flow
    # already leaving that system (so flows carry several datasets); some come back in a ring.
    order = list(range(n_datasets))
    rng.shuffle(order)
    cursor = 0
    while len(flows) < n_flows:
        d = order[cursor % n_datasets]
        cursor += 1
        ident = datasets[d]["id"]
        here = reached[d][0]
        origin = datasets[d].get("origin") or system_country[here]
        for hop in range(rng.randint(2, 6)):
            if len(flows) >= n_flows:
                break
            existing = outgoing.get(here)
            if existing and rng.random() < 0.33:
                f = rng.choice(existing)
                if ident not in flows[f]["datasets"]:
                    flows[f]["datasets"].append(ident)
                there = flows[f]["_to"]
            else:
                domestic = rng.random() < 0.55
                pool = by_country[system_country[here]] if domestic else by_country[rng.choice(countries)]
                there = rng.choice(pool)
                if there == here:
                    continue
                f = len(flows)
                flow = {"id": f"fl-{f:08d}", "from": systems[here]["id"], "to": systems[there]["id"],
                        "datasets": [ident], "_to": there}
                if rng.random() < 0.7:
                    flow["purpose"] = rng.choice(PURPOSES)
                flow["encrypted"] = rng.random() < 0.75
                flow["mode"] = rng.choices(["copy", "replication", "backup", "remote-access"], [6, 2, 1, 1])[0]
                if rng.random() < 0.3:
                    flow["transaction"] = rng.choice(["vendor", "employment", "internal", "investment"])
                # approvals: a cross-border hop often relies on one, with mixed coverage
                if system_country[there] != system_country[here] and rng.random() < 0.45:
                    group = "CN" if origin == "CN" else "EU" if origin in EU else None
                    kind = rng.choice(KINDS_BY_ORIGIN[group]) if group else "other"
                    destination = system_country[there] if rng.random() < 0.8 else rng.choice(countries)
                    purposes = [] if rng.random() < 0.5 else \
                        [flow.get("purpose") or "analytics"] if rng.random() < 0.8 else ["marketing"]
                    flow["approvals"] = [new_approval(kind, datasets=[ident], destinations=[destination],
                                                      purposes=purposes)]
                flows.append(flow)
                outgoing.setdefault(here, []).append(f)
            reached[d].append(there)
            here = there
        if rng.random() < 0.05 and len(flows) < n_flows and here != reached[d][0]:   # a replication ring
            f = len(flows)
            flows.append({"id": f"fl-{f:08d}", "from": systems[here]["id"], "to": systems[reached[d][0]]["id"],
                          "datasets": [ident], "mode": "replication", "encrypted": True,
                          "_to": reached[d][0]})
            outgoing.setdefault(here, []).append(f)

    # Export licences for GPU systems (some expired, some naming the wrong country), a few unused approvals.
    for index, system in enumerate(systems):
        if "accelerators" in system and rng.random() < 0.5:
            destination = system_country[index] if rng.random() < 0.85 else rng.choice(countries)
            system["approvals"] = [new_approval("us-export-license", issuer="BIS", systems=[system["id"]],
                                                destinations=[destination])]
    for _ in range(max(1, n_flows // 200)):
        new_approval("cn-standard-contract", datasets=[datasets[rng.randrange(n_datasets)]["id"]],
                     destinations=[rng.choice(countries)])
    for flow in flows:
        del flow["_to"]
    return {"version": 1, "name": f"synthetic-{n_flows}",
            "description": f"dlc benchmark input: {n_flows} flows, seed {seed}",
            "organization": {"ciio": False, "headquarters": "US"},
            "systems": systems, "datasets": datasets, "flows": flows, "approvals": approvals}


def path_for(n_flows: int, fmt: str) -> str:
    return os.path.join(DATA, f"spec-{n_flows}.{fmt}")


def write(n_flows: int, fmt: str = "json") -> str:
    """Generate (once) and return the path; the JSON twin is always written for the Rego engines."""
    os.makedirs(DATA, exist_ok=True)
    path = path_for(n_flows, fmt)
    json_path = path_for(n_flows, "json")
    if os.path.exists(path) and os.path.exists(json_path):
        return path
    spec = generate(n_flows)
    with open(json_path, "w", encoding="utf-8") as handle:
        json.dump(spec, handle, separators=(",", ":"))
    if fmt == "yaml":
        import yaml
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(spec, handle, sort_keys=False, default_flow_style=None, width=120)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int, help="number of flows")
    parser.add_argument("--format", choices=("json", "yaml"), default="json")
    args = parser.parse_args()
    for size in args.sizes:
        print(write(size, args.format), file=sys.stderr)


if __name__ == "__main__":
    main()
