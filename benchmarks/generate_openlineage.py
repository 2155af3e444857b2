"""OpenLineage event logs for the importer benchmark (fixed seed: the same size is the same file).

    python benchmarks/generate_openlineage.py 1000000   -> benchmarks/data/openlineage-1000000.ndjson
                                                          and benchmarks/data/openlineage-dlc.yaml
    python benchmarks/generate_openlineage.py 1000000 --jobs 100000 --datasets 400000   (a larger graph)

A lineage graph of 20,000 datasets in 60 namespaces (Postgres, MySQL, S3, GCS, BigQuery, Snowflake,
Kafka) in 12 countries and cloud regions, written by 5,000 jobs (1-3 inputs, 1-2 outputs, seven in
ten reading within their own namespace); a fifth of the root tables carry a `pii` tag, outputs a
schema facet. The log is runs of those jobs, START then COMPLETE, as a scheduler emits them day
after day: the events grow with N, the datasets and edges do not (from about 100k events on, all
jobs have run), which is what the importer's memory must follow.
"""

from __future__ import annotations

import argparse
import json
import os
import random

SEED = 20261202
DATASETS, JOBS = 20_000, 5_000
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
LOCATIONS = ["CN", "aws:cn-north-1", "US", "aws:us-east-1", "DE", "gcp:europe-west3", "IN", "SG", "JP", "FR",
             "aws:eu-west-1", "BR"]
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/airflow"


def namespaces() -> list[str]:
    schemes = ["postgres://db-{}.internal:5432", "mysql://mysql-{}.internal:3306", "s3://bucket-{}",
               "gs://lake-{}", "bigquery-{}", "snowflake://account-{}", "kafka://broker-{}.internal:9092"]
    return [schemes[i % len(schemes)].format(i) for i in range(60)]


def config_text() -> str:
    lines = ["# namespace -> location for the OpenLineage benchmark (generated)", "openlineage:", "  namespaces:"]
    lines += [f"    '{namespace}': {LOCATIONS[i % len(LOCATIONS)]}" for i, namespace in enumerate(namespaces())]
    lines += ["classification:", "  - match: {tag: pii, value: 'true'}", "    categories: [personal]"]
    return "\n".join(lines) + "\n"


def jobs(rng: random.Random, count: int, datasets: int) -> list[tuple[str, list[int], list[int]]]:
    """(name, input dataset indexes, output dataset indexes); inputs rank below outputs: no lineage cycle."""
    out = []
    for number in range(count):
        first = rng.randrange(200, datasets)
        outputs = sorted({first, min(datasets - 1, first + rng.randrange(60, 600, 60))} if rng.random() < 0.2
                         else {first})
        inputs = set()
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.7:     # same namespace: lineage, not a flow
                inputs.add(first - 60 * rng.randint(1, first // 60))
            else:
                inputs.add(rng.randrange(0, first))
        out.append((f"etl_{number:05d}", sorted(inputs), outputs))
    return out


def dataset(index: int, names: list[str], with_schema: bool) -> dict:
    body = {"namespace": names[index % 60], "name": f"warehouse.schema_{index % 97}.table_{index}"}
    facets = {}
    if index % 5 == 0 and index < 2000:
        facets["tags"] = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/TagsDatasetFacet.json",
                          "tags": [{"key": "pii", "value": "true", "source": "USER"}]}
    if with_schema:
        facets["schema"] = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
                            "fields": [{"name": "id", "type": "BIGINT"}, {"name": "updated_at", "type": "TIMESTAMP"},
                                       {"name": "payload", "type": "VARCHAR"}]}
    if facets:
        body["facets"] = facets
    return body


def generate(size: int, path: str, job_count: int = JOBS, dataset_count: int = DATASETS) -> None:
    rng = random.Random(SEED)
    names = namespaces()
    planned = jobs(rng, job_count, dataset_count)
    with open(path, "w", encoding="utf-8") as handle:
        for run in range((size + 1) // 2):
            name, inputs, outputs = planned[run if run < job_count else rng.randrange(job_count)]
            run_id = f"0193e0d6-{run // 65536:04x}-7{run % 4096:03x}-8000-{run:012x}"
            for kind, second in (("START", 0), ("COMPLETE", 40)):
                if kind == "COMPLETE" and run * 2 + 1 >= size:
                    break
                event = {"eventType": kind, "eventTime": f"2026-11-{1 + run % 28:02d}T{run % 24:02d}:00:{second:02d}Z",
                         "producer": PRODUCER,
                         "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                         "run": {"runId": run_id}, "job": {"namespace": "airflow-prod", "name": name},
                         "inputs": [dataset(i, names, False) for i in inputs],
                         "outputs": [dataset(o, names, kind == "COMPLETE") for o in outputs]}
                handle.write(json.dumps(event, separators=(",", ":")) + "\n")


def path_for(size: int, job_count: int = JOBS, dataset_count: int = DATASETS) -> str:
    graph = "" if (job_count, dataset_count) == (JOBS, DATASETS) else f"-{job_count}jobs-{dataset_count}datasets"
    return os.path.join(DATA, f"openlineage-{size}{graph}.ndjson")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int)
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--datasets", type=int, default=DATASETS)
    args = parser.parse_args()
    os.makedirs(DATA, exist_ok=True)
    with open(os.path.join(DATA, "openlineage-dlc.yaml"), "w", encoding="utf-8") as handle:
        handle.write(config_text())
    path = path_for(args.events, args.jobs, args.datasets)
    generate(args.events, path, args.jobs, args.datasets)
    print(path)


if __name__ == "__main__":
    main()
