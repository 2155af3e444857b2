"""OpenLineage run events as an input (`--input-type openlineage`, auto-detected) and `dlc import
openlineage`: namespaces are systems, cross-system jobs are flows, jobs within one system are
lineage, repeated events change nothing, errors name the file and line of the event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.adapters.openlineage import events_to_spec
from checker.cli import main
from checker.config import Classification, Infrastructure
from checker.errors import InputError
from checker.load.documents import DEFAULT_LIMITS
from reports import findings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "openlineage"
EXAMPLE = ROOT / "examples" / "openlineage"
AS_OF = "2026-11-25"

NAMESPACES = (
    ("postgres://*.cn-shanghai.internal:*", "CN"),
    ("s3://acme-us", "aws:us-east-1"),
    ("gs://acme-eu", "gcp:europe-west3"),
    ("bigquery", "gcp:europe-west1"),
    ("snowflake://xy12345", "aws:us-west-2"),
    ("kafka://*", "DE"),
)


def event(
    job: str,
    inputs: list[tuple],
    outputs: list[tuple],
    kind: str = "COMPLETE",
    run: str = "r1",
    **facets,
) -> dict:
    def dataset(pair):
        body = {"namespace": pair[0], "name": pair[1]}
        if pair in facets.get("dataset_facets", {}):
            body["facets"] = facets["dataset_facets"][pair]
        return body

    return {
        "eventType": kind,
        "eventTime": "2026-11-30T01:00:00Z",
        "producer": "https://example.com/test",
        "run": {"runId": run},
        "job": {"namespace": "airflow", "name": job},
        "inputs": [dataset(p) for p in inputs],
        "outputs": [dataset(p) for p in outputs],
    }


def write_log(path: Path, events: list[dict]) -> str:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return str(path)


def spec_of(path: str, **settings):
    return events_to_spec(
        [path], Infrastructure(openlineage_namespaces=NAMESPACES, **settings), DEFAULT_LIMITS
    )


def run(*args: str, config: str = "none"):
    return CliRunner().invoke(
        main, [*args[:1], "--config", config, *args[1:]], env={"DLC_CONFIG": "none"}
    )


ORDERS = ("postgres://orders.cn-shanghai.internal:5432", "shop.public.orders")
RAW = ("s3://acme-us", "raw/orders")
CLEAN = ("s3://acme-us", "clean/orders")


def test_every_namespace_scheme_is_a_system_placed_by_the_first_matching_glob(tmp_path):
    path = write_log(
        tmp_path / "e.ndjson",
        [
            event("a", [ORDERS], [RAW]),
            event("b", [RAW], [("gs://acme-eu", "copy/orders")]),
            event("c", [("gs://acme-eu", "copy/orders")], [("bigquery", "proj.ds.orders")]),
            event(
                "d", [("bigquery", "proj.ds.orders")], [("snowflake://xy12345", "DB.PUBLIC.ORDERS")]
            ),
            event("e", [("kafka://broker.example:9092", "clicks")], [("s3://acme-us", "clicks")]),
        ],
    )
    spec = spec_of(path)
    assert {s.id: s.location for s in spec.systems} == {
        "postgres://orders.cn-shanghai.internal:5432": "CN",
        "s3://acme-us": "aws:us-east-1",
        "gs://acme-eu": "gcp:europe-west3",
        "bigquery": "gcp:europe-west1",
        "snowflake://xy12345": "aws:us-west-2",
        "kafka://broker.example:9092": "DE",
    }
    assert [(f.id, f.source, f.target, list(f.datasets), f.purpose) for f in spec.flows] == [
        ("airflow/a", ORDERS[0], "s3://acme-us", [f"{ORDERS[0]}/{ORDERS[1]}"], "airflow/a"),
        ("airflow/b", "s3://acme-us", "gs://acme-eu", ["s3://acme-us/raw/orders"], "airflow/b"),
        ("airflow/c", "gs://acme-eu", "bigquery", ["gs://acme-eu/copy/orders"], "airflow/c"),
        ("airflow/d", "bigquery", "snowflake://xy12345", ["bigquery/proj.ds.orders"], "airflow/d"),
        (
            "airflow/e",
            "kafka://broker.example:9092",
            "s3://acme-us",
            ["kafka://broker.example:9092/clicks"],
            "airflow/e",
        ),
    ]


def test_a_job_within_one_system_is_lineage_not_a_flow(tmp_path):
    spec = spec_of(
        write_log(
            tmp_path / "e.ndjson", [event("load", [ORDERS], [RAW]), event("clean", [RAW], [CLEAN])]
        )
    )
    assert [f.id for f in spec.flows] == ["airflow/load"]
    derived = {d.id: d.derived_from for d in spec.datasets}
    assert derived["s3://acme-us/clean/orders"] == ("s3://acme-us/raw/orders",)
    assert derived["s3://acme-us/raw/orders"] == (f"{ORDERS[0]}/{ORDERS[1]}",)
    assert spec.holders == {
        f"{ORDERS[0]}/{ORDERS[1]}": ORDERS[0]
    }  # the only dataset derived from nothing


def test_a_job_writing_to_several_systems_has_a_flow_to_each(tmp_path):
    spec = spec_of(
        write_log(
            tmp_path / "e.ndjson", [event("fan", [ORDERS], [RAW, ("gs://acme-eu", "orders")])]
        )
    )
    assert [(f.id, f.target) for f in spec.flows] == [
        (f"airflow/fan[{ORDERS[0]}->gs://acme-eu]", "gs://acme-eu"),
        (f"airflow/fan[{ORDERS[0]}->s3://acme-us]", "s3://acme-us"),
    ]


def test_column_lineage_names_the_inputs_an_output_derives_from(tmp_path):
    lineage = {
        "columnLineage": {
            "fields": {
                "total": {
                    "inputFields": [
                        {"namespace": "s3://acme-us", "name": "raw/orders", "field": "amount"}
                    ]
                }
            }
        }
    }
    spec = spec_of(
        write_log(
            tmp_path / "e.ndjson",
            [
                event(
                    "join",
                    [RAW, ("s3://acme-us", "raw/fx")],
                    [CLEAN],
                    dataset_facets={CLEAN: lineage},
                )
            ],
        )
    )
    assert {d.id: d.derived_from for d in spec.datasets}["s3://acme-us/clean/orders"] == (
        "s3://acme-us/raw/orders",
    )


def test_repeated_events_change_nothing(tmp_path):
    once = [event("load", [ORDERS], [RAW]), event("clean", [RAW], [CLEAN])]
    repeated = [
        event("load", [ORDERS], [], "START"),
        event("load", [ORDERS], [RAW], "RUNNING"),
        event("load", [ORDERS], [RAW], "FAIL"),
        event("load", [ORDERS], [RAW], "START", run="r2"),
        event("load", [ORDERS], [RAW], "COMPLETE", run="r2"),
        *once,
        *once,
    ]
    config = tmp_path / "dlc.yaml"
    config.write_text(
        "openlineage:\n  namespaces:\n" + "".join(f"    '{g}': {loc}\n" for g, loc in NAMESPACES)
    )
    results = [
        run(
            "check",
            write_log(tmp_path / name, events),
            "--format",
            "json",
            "--as-of",
            AS_OF,
            config=str(config),
        )
        for name, events in (("once.ndjson", once), ("repeated.ndjson", repeated))
    ]
    assert [r.exit_code for r in results] == [1, 1]
    assert findings(results[0]) == findings(results[1])
    assert [f[0] for f in findings(results[0])] == ["UNCLASSIFIED-DATA-CROSSES-BORDER"]


def test_an_unmapped_namespace_is_an_input_error_naming_it_and_the_config_key(tmp_path):
    path = write_log(
        tmp_path / "e.ndjson",
        [event("a", [ORDERS], [RAW]), event("b", [RAW], [("wasbs://c@acct", "x")])],
    )
    result = run("check", path)
    assert result.exit_code == 2
    assert f"e.ndjson:1: OpenLineage namespace '{ORDERS[0]}' has no location" in result.output
    assert (
        "openlineage.namespaces" in result.output
        and "also unmapped: s3://acme-us, wasbs://c@acct" in result.output
    )
    with pytest.raises(InputError, match="namespace 'wasbs://c@acct' has no location") as raised:
        spec_of(path)
    assert raised.value.line == 2
    assert spec_of(path, default_location="DE").systems[-1].location == "DE"


@pytest.mark.parametrize(
    "line, message",
    [
        (
            '{"eventType": "START", "eventTime": "t", "run": {}, "job": {"namespace": "a"',
            "malformed JSON: Input data was truncated",
        ),
        (
            '{"eventType": "START", "eventTime": "t", "run": {}, "job": {"namespace": "a"}}',
            "not an OpenLineage run event: Object missing required field `name` - at `$.job`",
        ),
        (
            '{"eventType": "START", "inputs": [{"namespace": 1, "name": "x"}], "job": {"namespace": "a", "name": "b"}}',
            "not an OpenLineage run event: Expected `str`, got `int` - at `$.inputs[0].namespace`",
        ),
        (
            '{"eventTime": "t", "producer": "p"}',
            "not an OpenLineage event: it names neither a job nor a dataset",
        ),
    ],
)
def test_a_malformed_event_is_an_input_error_at_its_line(tmp_path, line, message):
    path = tmp_path / "e.ndjson"
    path.write_text(json.dumps(event("a", [ORDERS], [RAW])) + "\n\n" + line + "\n")
    result = run("check", str(path), "--input-type", "openlineage", "--default-location", "DE")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].endswith(f"e.ndjson:3: {message}")
    assert "Traceback" not in result.output


def test_a_json_array_is_streamed_and_findings_point_at_the_event_line(tmp_path):
    events = [
        event(
            "load",
            [ORDERS],
            [RAW],
            dataset_facets={ORDERS: {"tags": {"tags": [{"key": "pii", "value": "true"}]}}},
        )
    ]
    path = tmp_path / "events.json"
    path.write_text(json.dumps([event("noop", [], []), *events], indent=2))
    config = tmp_path / "dlc.yaml"
    config.write_text(
        "openlineage:\n  namespaces:\n    'postgres://*': CN\n    's3://*': US\n"
        "classification:\n  - match: {tag: pii, value: 'TRUE'}\n    categories: [personal]\n"
    )
    result = run(
        "check", str(path), "--format", "json", "--as-of", AS_OF, config=str(config)
    )  # detected
    report = json.loads(result.output)
    second_event_line = path.read_text().splitlines().index("  {", 2) + 1
    assert {(v["rule"], v["location"]["line"]) for v in report["violations"]} >= {
        ("CN-PI-EXPORT", second_event_line),
        ("CN-XBORDER-SECURITY-ASSESSMENT", second_event_line),
    }
    assert "UNCLASSIFIED-DATA-CROSSES-BORDER" not in {v["rule"] for v in report["violations"]}


def test_the_location_facet_places_a_namespace_and_must_agree_with_itself(tmp_path):
    placed = {RAW: {"location": {"location": "aws:eu-west-1"}}}
    spec = spec_of(
        write_log(tmp_path / "e.ndjson", [event("a", [ORDERS], [RAW], dataset_facets=placed)])
    )
    assert {s.id: s.location for s in spec.systems}["s3://acme-us"] == "aws:eu-west-1"
    other = {CLEAN: {"location": {"location": "US"}}}
    with pytest.raises(
        InputError, match=r"placed in both aws:eu-west-1 .line 1. and US: a namespace is one system"
    ):
        spec_of(
            write_log(
                tmp_path / "f.ndjson",
                [
                    event("a", [ORDERS], [RAW], dataset_facets=placed),
                    event("b", [RAW], [CLEAN], dataset_facets=other),
                ],
            )
        )


def test_classification_by_name_over_the_marquez_seed():
    infrastructure = Infrastructure(
        openlineage_namespaces=(("food_*", "DE"),),
        classification=(
            Classification("openlineage.name", "public.customers", ("personal-identifiers",)),
            Classification("openlineage.name", "public.drivers", ("geolocation",), origin="FR"),
        ),
    )
    spec = events_to_spec(
        [str(DATA / "marquez-seed-metadata.template.json")], infrastructure, DEFAULT_LIMITS
    )
    assert len(spec.systems) == 1 and not spec.flows  # one namespace: lineage only
    by_id = {d.id: d for d in spec.datasets}
    assert (
        by_id["food_delivery/public.customers"].origin,
        by_id["food_delivery/public.customers"].categories,
    ) == ("DE", ("personal-identifiers",))  # origin: the store's country
    assert (
        by_id["food_delivery/public.drivers"].origin,
        by_id["food_delivery/public.drivers"].categories,
    ) == ("FR", ("geolocation",))
    assert by_id["food_delivery/public.orders_7_days"].derived_from == (
        "food_delivery/public.categories",
        "food_delivery/public.menu_items",
        "food_delivery/public.menus",
        "food_delivery/public.orders",
    )


def test_classification_reads_dataset_tags_and_schema_field_tags(tmp_path):
    facets = {
        ORDERS: {
            "schema": {
                "fields": [
                    {"name": "phone", "type": "VARCHAR", "tags": ["PII"]},
                    {"name": "id", "type": "INT", "tags": [{"key": "gdpr", "value": "art9"}]},
                ]
            }
        },
        RAW: {"tags": {"tags": [{"key": "pii", "value": "false"}]}},
    }
    infrastructure = Infrastructure(
        openlineage_namespaces=NAMESPACES,
        classification=(
            Classification("PII", "*", ("personal-identifiers",)),
            Classification("gdpr", "art9", ("health",)),
            Classification("pii", "true", ("personal",)),
        ),
    )
    spec = events_to_spec(
        [write_log(tmp_path / "e.ndjson", [event("a", [ORDERS], [RAW], dataset_facets=facets)])],
        infrastructure,
        DEFAULT_LIMITS,
    )
    by_id = {d.id: d for d in spec.datasets}
    assert by_id[f"{ORDERS[0]}/{ORDERS[1]}"].categories == ("personal-identifiers", "health")
    assert by_id[f"{ORDERS[0]}/{ORDERS[1]}"].origin == "CN"
    assert by_id["s3://acme-us/raw/orders"].categories == ()  # pii=false matches no entry


# fixture file -> (systems, flows, datasets derived from others)
FIXTURES = {
    "marquez-seed-metadata.template.json": (["food_delivery"], [], 5),
    "marquez-event_namespace_naming.json": (
        ["s3://blob-sink", "s3://blob-source"],
        [("my-scheduler-namespace/myjob.mytask", "s3://blob-source", "s3://blob-sink")],
        1,
    ),
    "marquez-event_full.json": (
        ["my-datasource-namespace"],
        [],
        0,
    ),  # reads and writes one table: no self-lineage
    "marquez-event_unicode.json": (["my-datasource-namespace"], [], 1),
    "ol-python-job-event.json": (["openlineage"], [], 1),
    "ol-python-dataset-event.json": (["openlineage"], [], 0),
    "ol-dbt-bigquery-run-events.json": (["bigquery"], [], 1),
    "ol-hive-cll-cte-joins-complete.json": (["hive://localhost:9083"], [], 1),
    "ol-flink-expected-kafka.json": (["kafka://kafka-cluster-prod:9092"], [], 1),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_events_written_by_the_projects_themselves(name):
    systems, flows, derived = FIXTURES[name]
    spec = events_to_spec([str(DATA / name)], Infrastructure(default_location="DE"), DEFAULT_LIMITS)
    assert [s.id for s in spec.systems] == systems
    assert [(f.id, f.source, f.target) for f in spec.flows] == flows
    assert sum(1 for d in spec.datasets if d.derived_from) == derived


def test_hive_column_lineage_and_symlinks():
    spec = events_to_spec(
        [str(DATA / "ol-hive-cll-cte-joins-complete.json")],
        Infrastructure(default_location="DE"),
        DEFAULT_LIMITS,
    )
    output = {d.id: d for d in spec.datasets}["hive://localhost:9083/test.xxx"]
    assert output.derived_from == (
        "hive://localhost:9083/test.t1",
        "hive://localhost:9083/test.t2",
        "hive://localhost:9083/test.t3",
    )
    assert output.description == "also known as file//opt/hive/data/warehouse/test.db/xxx"


def test_several_logs_are_one_spec(tmp_path):
    first = write_log(tmp_path / "a.ndjson", [event("load", [ORDERS], [RAW])])
    second = write_log(tmp_path / "b.ndjson", [event("clean", [RAW], [CLEAN])])
    spec = events_to_spec(
        [first, second], Infrastructure(openlineage_namespaces=NAMESPACES), DEFAULT_LIMITS
    )
    assert len(spec.datasets) == 3 and spec.files == [first, second]
    assert spec.location_of("datasets", "s3://acme-us/clean/orders") == (second, 1, None)


def test_the_example_and_its_imported_spec_give_the_same_findings(tmp_path):
    config = str(EXAMPLE / "dlc.yaml")
    direct = run(
        "check", str(EXAMPLE / "events.ndjson"), "--format", "json", "--as-of", AS_OF, config=config
    )
    written = tmp_path / "spec.yaml"
    imported = run(
        "import", "openlineage", str(EXAMPLE / "events.ndjson"), "-o", str(written), config=config
    )
    assert imported.exit_code == 0, imported.output
    again = run("check", str(written), "--format", "json", "--as-of", AS_OF)
    assert direct.exit_code == again.exit_code == 1
    assert findings(direct) == findings(again)
    rules = {f[0] for f in findings(direct)}
    assert {"CN-PI-EXPORT", "EU-GDPR-TRANSFER", "SPEC-PI-UNENCRYPTED-BORDER"} <= rules
    text = written.read_text()
    assert (
        "# " + str(EXAMPLE / "events.ndjson") + ":1: OpenLineage namespace; location from dlc.yaml "
        "openlineage.namespaces 'postgres://*.cn-shanghai.internal:*'" in text
    )
    second = tmp_path / "again.yaml"
    run("import", "openlineage", str(EXAMPLE / "events.ndjson"), "-o", str(second), config=config)
    assert second.read_bytes() == written.read_bytes()  # deterministic


def test_unclassified_data_keeps_its_origin_in_the_imported_spec(tmp_path):
    """A table derived within its system from a table no job moves: the written spec cannot say who
    holds the parent, and resolve finds it where the derived table is first sent from."""
    path = write_log(
        tmp_path / "e.ndjson",
        [
            event("clean", [ORDERS], [(ORDERS[0], "shop.public.clean")]),
            event("ship", [(ORDERS[0], "shop.public.clean")], [RAW]),
        ],
    )
    config = tmp_path / "dlc.yaml"
    config.write_text("openlineage:\n  namespaces:\n    'postgres://*': CN\n    's3://*': US\n")
    direct = run("check", path, "--format", "json", "--as-of", AS_OF, config=str(config))
    run("import", "openlineage", path, "-o", str(tmp_path / "spec.yaml"), config=str(config))
    again = run("check", str(tmp_path / "spec.yaml"), "--format", "json", "--as-of", AS_OF)
    assert findings(direct) == findings(again)
    assert "stored in CN" in findings(direct)[0][-1]


def test_a_json_array_is_cut_into_events_across_chunks_with_their_lines(tmp_path, monkeypatch):
    from checker.adapters.openlineage import events as reader

    monkeypatch.setattr(reader, "_CHUNK", 16)  # events and strings much longer than a chunk
    long_name = "x" * 200 + "é"
    events = [
        event("a", [ORDERS], [RAW]),
        event("b", [RAW], [("s3://acme-us", long_name)]),
        event("c", [], []),
    ]
    path = tmp_path / "events.json"
    path.write_text(
        "\ufeff[\n" + ",\n".join(json.dumps(e, indent=1) for e in events) + "\n]\n",
        encoding="utf-8",
    )
    read = list(reader.read_events(str(path), DEFAULT_LIMITS))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line for line, _ in read] == [
        number for number, text in enumerate(lines, 1) if text == "{"
    ]
    assert [e.job.name for _, e in read] == ["a", "b", "c"]
    assert reader.datasets(bytes(read[1][1].outputs), "outputs", "f", 1)[0].name == long_name
    path.write_text("[" + json.dumps(events[0]) + ",\n" + json.dumps(events[1])[:-1] + "]")
    with pytest.raises(InputError, match="malformed JSON") as raised:
        list(reader.read_events(str(path), DEFAULT_LIMITS))
    assert raised.value.line == 2
    path.write_text("[" + json.dumps(events[0]) + "] {}")
    with pytest.raises(InputError, match="content after the end of the JSON array"):
        list(reader.read_events(str(path), DEFAULT_LIMITS))


def test_events_are_read_one_at_a_time(tmp_path):
    """A log is never read whole: the first event comes out before a broken line further on is read."""
    from checker.adapters.openlineage.events import read_events

    path = tmp_path / "e.ndjson"
    path.write_text(json.dumps(event("a", [ORDERS], [RAW])) + "\n" + "{broken\n")
    events = read_events(str(path), DEFAULT_LIMITS)
    assert next(events)[1].job.name == "a"
    with pytest.raises(InputError, match=r"e.ndjson:2: malformed JSON"):
        next(events)


def test_the_file_size_limit_holds_for_event_logs(tmp_path):
    path = write_log(tmp_path / "e.ndjson", [event("a", [ORDERS], [RAW])])
    result = run("check", path, "--max-file-bytes", "100", "--default-location", "DE")
    assert (
        result.exit_code == 2
        and "over the limit of 100 (raise it with --max-file-bytes)" in result.output
    )


def test_newline_delimited_json_that_is_not_events_is_named_and_not_guessed(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"metric": "cpu", "value": 1}\n')
    result = run("check", str(path))
    assert result.exit_code == 2
    assert (
        "metrics.jsonl:1:1: newline-delimited JSON that is not OpenLineage run events"
        in result.output
    )
    spec = ROOT / "examples" / "fsd-export.yaml"
    assert (
        run("check", str(spec), "--input-type", "openlineage").exit_code == 2
    )  # a spec is no event log


@pytest.mark.parametrize(
    "fmt, marker",
    [
        ("sarif", '"ruleId": "CN-PI-EXPORT"'),
        ("junit", 'classname="CN-PI-EXPORT"'),
        ("markdown", "flowchart LR"),
        ("html", "CN-PI-EXPORT"),
        ("text", "CN-PI-EXPORT"),
    ],
)
def test_every_report_format_works_on_events(fmt, marker):
    result = run(
        "check",
        str(EXAMPLE / "events.ndjson"),
        "--format",
        fmt,
        "--as-of",
        AS_OF,
        config=str(EXAMPLE / "dlc.yaml"),
    )
    assert result.exit_code == 1 and marker in result.output


def test_validate_and_import_report_input_errors_with_exit_2(tmp_path):
    path = write_log(tmp_path / "e.ndjson", [event("a", [ORDERS], [RAW])])
    assert run("validate", path, "--default-location", "DE").exit_code == 0
    for command in (
        ["validate", path],
        ["import", "openlineage", path, "-o", str(tmp_path / "out.yaml")],
    ):
        result = run(*command)
        assert result.exit_code == 2 and "has no location" in result.output
    assert not (tmp_path / "out.yaml").exists()


def test_a_chunk_may_end_anywhere_in_an_event(tmp_path, monkeypatch):
    """Literals, numbers and strings cut by a chunk's end are read on, never taken for an error."""
    from checker.adapters.openlineage import events as reader

    body = event(
        "job",
        [ORDERS],
        [RAW],
        dataset_facets={
            RAW: {"stats": {"ok": True, "none": None, "rows": 12345678901234, "ratio": -1.5e-3}}
        },
    )
    path = tmp_path / "events.json"
    path.write_text(json.dumps([body] * 3))
    for chunk in range(2, 160):
        monkeypatch.setattr(reader, "_CHUNK", chunk)
        assert [line for line, _ in reader.read_events(str(path), DEFAULT_LIMITS)] == [1] * 3, chunk


def test_a_namespace_written_out_in_the_config_matches_itself_even_with_brackets(tmp_path):
    ipv6 = ("postgres://[2001:db8::1]:5432", "db.public.t")
    spec = events_to_spec(
        [write_log(tmp_path / "e.ndjson", [event("a", [ipv6], [RAW])])],
        Infrastructure(openlineage_namespaces=((ipv6[0], "JP"), ("s3://*", "US"))),
        DEFAULT_LIMITS,
    )
    assert {s.id: s.location for s in spec.systems} == {ipv6[0]: "JP", "s3://acme-us": "US"}


def test_an_unknown_location_in_a_location_facet_is_an_error_at_its_event(tmp_path):
    placed = {RAW: {"location": {"location": "aws:mars-north-1"}}}
    path = write_log(
        tmp_path / "e.ndjson",
        [event("a", [ORDERS], []), event("b", [ORDERS], [RAW], dataset_facets=placed)],
    )
    with pytest.raises(InputError, match=r"namespace s3://acme-us: .*aws:mars-north-1") as raised:
        spec_of(path)
    assert raised.value.line == 2


def test_memory_follows_the_graph_not_the_events(tmp_path):
    """Ten times the events over the same jobs and datasets: about the same peak of Python memory."""
    import tracemalloc

    from checker.adapters.openlineage import read_logs

    jobs = [
        event(
            f"job{n}", [(f"s3://b{n % 7}", f"in{n}")], [(f"gs://c{n % 5}", f"out{n}")], run=str(n)
        )
        for n in range(200)
    ]
    peaks = []
    for repeats in (2, 20):
        path = tmp_path / f"e{repeats}.ndjson"
        with path.open("w") as handle:
            for round_ in range(repeats):
                for body in jobs:
                    handle.write(
                        json.dumps({**body, "eventType": ("START", "COMPLETE")[round_ % 2]}) + "\n"
                    )
        tracemalloc.start()
        lineage = read_logs([str(path)], DEFAULT_LIMITS)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert (lineage.events, len(lineage.datasets), len(lineage.edges)) == (
            200 * repeats,
            400,
            200,
        )
    assert peaks[1] < peaks[0] * 1.3


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_fixture_round_trips_through_an_imported_spec(tmp_path, name):
    config = tmp_path / "dlc.yaml"
    config.write_text(
        "default_location: DE\nopenlineage:\n  namespaces:\n    's3://blob-sink': US\n"
        "    'hive://*': CN\n    'bigquery': gcp:us-central1\n"
    )
    direct = run(
        "check",
        str(DATA / name),
        "--input-type",
        "openlineage",
        "--format",
        "json",
        "--as-of",
        AS_OF,
        config=str(config),
    )
    written = tmp_path / "spec.yaml"
    assert (
        run(
            "import", "openlineage", str(DATA / name), "-o", str(written), config=str(config)
        ).exit_code
        == 0
    )
    again = run("check", str(written), "--format", "json", "--as-of", AS_OF)
    assert (direct.exit_code, findings(direct)) == (again.exit_code, findings(again))


def test_a_one_line_json_array_is_read_as_events(tmp_path, monkeypatch):
    from checker.adapters.openlineage import events as reader

    monkeypatch.setattr(
        reader, "_CHUNK", 64
    )  # the first line is never read whole to tell the format
    path = tmp_path / "events.json"
    path.write_text(json.dumps([event("a", [ORDERS], [RAW]), event("b", [RAW], [CLEAN])]))
    assert [(line, e.job.name) for line, e in reader.read_events(str(path), DEFAULT_LIMITS)] == [
        (1, "a"),
        (1, "b"),
    ]


def test_names_yaml_would_read_as_numbers_round_trip(tmp_path):
    path = write_log(
        tmp_path / "e.ndjson", [event("a", [("1e3", "t")], [("0o17", "t"), ("NO", "t")])]
    )
    config = tmp_path / "dlc.yaml"
    config.write_text(
        "openlineage:\n  namespaces:\n    '1e3': CN\n    '0o17': US\n    'NO': 'NO'\n"
    )
    direct = run("check", path, "--format", "json", "--as-of", AS_OF, config=str(config))
    written = tmp_path / "spec.yaml"
    assert run("import", "openlineage", path, "-o", str(written), config=str(config)).exit_code == 0
    assert "- id: '1e3'" in written.read_text() and "location: 'NO'" in written.read_text()
    again = run("check", str(written), "--format", "json", "--as-of", AS_OF)
    assert direct.exit_code == again.exit_code == 1
    assert findings(direct) == findings(again)
