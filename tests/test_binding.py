"""Binding a spec to infrastructure (DESIGN.md, "Binding a spec to infrastructure"): globs over
resource addresses, a bound resource judged where it stands, infrastructure flows through the
same rules as declared ones, and the binding's own findings with both sides' places."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.resolve.binding import Globs, glob_regex

AWS = "registry.terraform.io/hashicorp/aws"
REPO = Path(__file__).resolve().parent.parent


def _module_of(address: str) -> str:
    """`module.a[0].module.b` of `module.a[0].module.b.aws_s3_bucket.x` ("" at the root)."""
    match = re.match(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)", address)
    return match[1].rstrip(".")


def plan(*resources: dict) -> dict:
    """A plan as `terraform show -json` writes it: resources in the module tree of planned_values."""
    root: dict = {"resources": []}
    modules = {"": root}
    for resource in resources:
        module = _module_of(resource["address"])
        parts = re.findall(r"module\.[^.\[]+(?:\[[^\]]*\])?", module)
        parent = root
        for depth in range(len(parts)):
            address = ".".join(parts[: depth + 1])
            if address not in modules:
                modules[address] = {"address": address, "resources": []}
                parent.setdefault("child_modules", []).append(modules[address])
            parent = modules[address]
        name = resource["address"].rsplit(".", 1)[1].split("[")[0]
        item = {
            "address": resource["address"],
            "mode": "managed",
            "type": resource["type"],
            "name": name,
            "provider_name": AWS,
            "schema_version": 0,
            "values": resource["values"],
            "sensitive_values": {},
        }
        index = re.search(r"\[([^\]]*)\]$", resource["address"])
        if index:
            item["index"] = json.loads(index[1])
        parent["resources"].append(item)
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": root},
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": AWS}},
            "root_module": {},
        },
    }


def bucket(address: str, region: str, name: str | None = None, **tags: str) -> dict:
    values = {
        "bucket": name
        or address.replace(".", "-").replace("[", "-").replace("]", "").replace('"', ""),
        "region": region,
        "tags": {key.replace("_", "-"): value for key, value in tags.items()} or None,
    }
    return {"address": address, "type": "aws_s3_bucket", "values": values}


def replication(address: str, source: dict, target: dict) -> dict:
    """S3 replication from one bucket of the plan to another (destination by ARN)."""
    return {
        "address": address,
        "type": "aws_s3_bucket_replication_configuration",
        "values": {
            "bucket": source["values"]["bucket"],
            "region": source["values"]["region"],
            "rule": [
                {
                    "id": "all",
                    "status": "Enabled",
                    "destination": [{"bucket": f"arn:aws:s3:::{target['values']['bucket']}"}],
                }
            ],
        },
    }


def spec(
    systems: list[dict],
    flows: list[dict] = (),
    approvals: list[dict] = (),
    datasets: list[dict] | None = None,
):
    return {
        "version": 1,
        "name": "bound",
        "systems": [{"id": "fleet", "kind": "device-fleet", "location": "CN"}, *systems],
        "datasets": datasets
        if datasets is not None
        else [
            {
                "id": "fleet-video",
                "origin": "CN",
                "categories": ["personal", "vehicle-exterior-video"],
                "subjects": 2_000_000,
            }
        ],
        "flows": [
            {"id": "collect", "from": "fleet", "to": "shanghai-dc", "datasets": ["fleet-video"]},
            *flows,
        ],
        "approvals": list(approvals),
    }


def run(
    tmp_path, spec_data: dict | None, plan_data: dict | None, *args: str, command: str = "check"
):
    paths = []
    if spec_data is not None:
        (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec_data, sort_keys=False))
        paths.append(str(tmp_path / "spec.yaml"))
    if plan_data is not None:
        (tmp_path / "plan.json").write_text(json.dumps(plan_data, indent=1))
        paths.append(str(tmp_path / "plan.json"))
    extra = (
        ("--format", "json", "--as-of", "2026-06-01")
        if command == "check" and "--format" not in args
        else ()
    )
    result = CliRunner().invoke(main, [command, *paths, *extra, *args])
    return result


def report(tmp_path, spec_data, plan_data, *args: str) -> tuple[int, dict]:
    result = run(tmp_path, spec_data, plan_data, *args)
    return result.exit_code, json.loads(result.stdout)


def findings(data: dict, rule: str | None = None, key: str = "violations") -> list[dict]:
    return [f for f in data[key] if rule is None or f["rule"] == rule]


def subjects(data: dict, rule: str, key: str = "violations") -> list[tuple]:
    return sorted((f["subject"]["id"], f["dataset"]) for f in findings(data, rule, key))


# --- globs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, address, expected",
    [
        ("aws_s3_bucket.x", "aws_s3_bucket.x", True),
        ("aws_s3_bucket.x", "aws_s3_bucket.x[0]", True),  # every instance
        ("aws_s3_bucket.x", 'aws_s3_bucket.x["a"]', True),  # for_each keys too
        ("aws_s3_bucket.x", 'aws_s3_bucket.x["a]b"]', True),  # a key holding a bracket
        ("aws_s3_bucket.x", "aws_s3_bucket.xy", False),
        ("aws_s3_bucket.x[0]", "aws_s3_bucket.x[0]", True),  # [ and ] are literal
        ("aws_s3_bucket.x[0]", "aws_s3_bucket.x[1]", False),
        ('aws_s3_bucket.x["a"]', 'aws_s3_bucket.x["a"]', True),
        ('aws_s3_bucket.x["a"]', 'aws_s3_bucket.x["b"]', False),
        ("aws_s3_bucket.x[*]", "aws_s3_bucket.x[7]", True),
        ("aws_s3_bucket.x[*]", "aws_s3_bucket.x", False),
        ("module.cn.aws_s3_bucket.fleet_*", "module.cn.aws_s3_bucket.fleet_raw", True),
        ("module.cn.aws_s3_bucket.fleet_*", "module.cn.aws_s3_bucket.fleet_raw[0]", True),
        ("module.cn.aws_s3_bucket.fleet_*", "module.us.aws_s3_bucket.fleet_raw", False),
        ("module.cn.aws_s3_bucket.fleet_*", "aws_s3_bucket.fleet_raw", False),
        (
            "module.cn.aws_s3_bucket.fleet_*",
            'module.cn["prod"].aws_s3_bucket.fleet_raw',
            True,
        ),  # module instances
        ("module.a[0].module.b.aws_s3_bucket.x", "module.a[0].module.b.aws_s3_bucket.x", True),
        ("module.a[0].module.b.aws_s3_bucket.x", "module.a[1].module.b.aws_s3_bucket.x", False),
        ("module.a.module.b.aws_s3_bucket.x", 'module.a[1].module.b["k"].aws_s3_bucket.x[2]', True),
        ("*.aws_s3_bucket.x", "module.a.module.b.aws_s3_bucket.x", True),  # * crosses dots
        ("aws_s3_bucket.*", "aws_s3_bucket.a.b", True),
        ("aws_s3_bucket.x.y", "aws_s3_bucketXx.y", False),  # . is literal
        ("StatefulSet/data/postgres-*", "StatefulSet/data/postgres-main", True),
        ("StatefulSet/data/postgres-*", "Deployment/data/postgres-main", False),
        ("StatefulSet/*", "StatefulSet/data/postgres-main", True),  # * crosses slashes
        ("statefulset/data/postgres-main", "StatefulSet/data/postgres-main", False),  # case matters
        ("Deployment/ns/my.app", "Deployment/ns/my.app", True),
    ],
)
def test_glob(pattern, address, expected):
    assert bool(re.fullmatch(glob_regex(pattern), address)) is expected
    assert bool(Globs([("s", 0, pattern)]).matches(address)) is expected


def test_one_match_tells_every_pattern_that_holds_in_spec_order():
    globs = Globs(
        [
            ("a", 0, "aws_s3_bucket.*"),
            ("b", 0, "aws_s3_bucket.x"),
            ("c", 0, "module.*"),
            ("d", 0, "*.x"),
            ("e", 0, "module.m.*"),
            ("f", 0, "aws_s3*"),
        ]
    )
    assert [owner[0] for owner in globs.matches("aws_s3_bucket.x[0]")] == ["a", "b", "d", "f"]
    assert [owner[0] for owner in globs.matches("module.m.aws_s3_bucket.x")] == ["c", "d", "e"]
    assert [owner[0] for owner in globs.matches('module.m["k.x"].aws_s3_bucket.y')] == ["c", "e"]
    assert globs.matches("aws_instance.y") == []


# --- the motivating case ----------------------------------------------------------------------

RAW = bucket("module.cn.aws_s3_bucket.fleet_raw", "cn-north-1")
CN_COPY = bucket("module.cn.aws_s3_bucket.fleet_copy", "cn-northwest-1")
US = bucket("aws_s3_bucket.us_replica", "us-east-1")
DE = bucket("aws_s3_bucket.clips_de", "eu-central-1")
SHANGHAI = {
    "id": "shanghai-dc",
    "kind": "storage",
    "location": "aws:cn-north-1",
    "resources": ["module.cn.aws_s3_bucket.fleet_*"],
}
FRANKFURT = {
    "id": "frankfurt",
    "kind": "storage",
    "location": "aws:eu-central-1",
    "resources": ["aws_s3_bucket.clips_de"],
}


def test_replication_within_one_country_binds_without_findings(tmp_path):
    code, data = report(
        tmp_path,
        spec([SHANGHAI]),
        plan(RAW, CN_COPY, replication("aws_s3_bucket_replication_configuration.cn", RAW, CN_COPY)),
    )
    assert code == 0, data["violations"]
    assert (
        findings(data, "SPEC-LOCATION-DRIFT") == [] and findings(data, "SPEC-UNDECLARED-FLOW") == []
    )


def test_undeclared_replication_abroad_is_reported_and_judged(tmp_path):
    code, data = report(
        tmp_path,
        spec([SHANGHAI]),
        plan(RAW, US, replication("aws_s3_bucket_replication_configuration.to_us", RAW, US)),
    )
    assert code == 1
    [undeclared] = findings(data, "SPEC-UNDECLARED-FLOW")
    assert undeclared["severity"] == "high"
    assert undeclared["subject"] == {
        "kind": "flow",
        "id": "aws_s3_bucket_replication_configuration.to_us",
    }
    assert undeclared["path"] == ["shanghai-dc", "aws_s3_bucket.us_replica"]
    assert undeclared["location"]["file"].endswith("plan.json")
    [related] = undeclared["related"]
    assert related["file"].endswith("spec.yaml") and related["line"] == 7  # the system shanghai-dc
    # the rule library judges the replication, carrying the spec's dataset along the spec's path
    [export] = [f for f in findings(data, "CN-PI-EXPORT") if f["dataset"] == "fleet-video"]
    assert export["subject"]["id"] == "aws_s3_bucket_replication_configuration.to_us"
    assert export["path"] == ["fleet", "shanghai-dc", "aws_s3_bucket.us_replica"]
    # the bound bucket's own (untagged) data is the spec's: not reported as unclassified
    assert findings(data, "UNCLASSIFIED-DATA-CROSSES-BORDER") == []


def test_declared_flow_lends_approvals_to_the_replication_it_realises(tmp_path):
    us_dc = {
        "id": "us-dc",
        "kind": "storage",
        "location": "aws:us-east-1",
        "resources": ["aws_s3_bucket.us_replica"],
    }
    approval = {
        "id": "cac-sa-1",
        "kind": "cn-security-assessment",
        "datasets": ["fleet-video"],
        "destinations": ["US"],
        "purposes": ["training"],
        "valid_from": "2025-01-01",
        "expires": "2028-01-01",
    }
    declared = {
        "id": "replicate",
        "from": "shanghai-dc",
        "to": "us-dc",
        "datasets": ["fleet-video"],
        "purpose": "training",
        "mode": "replication",
        "encrypted": True,
        "approvals": ["cac-sa-1"],
    }
    infra = plan(RAW, US, replication("aws_s3_bucket_replication_configuration.to_us", RAW, US))
    code, data = report(tmp_path, spec([SHANGHAI, us_dc], [declared], [approval]), infra)
    assert findings(data, "SPEC-UNDECLARED-FLOW") == []
    assert (
        findings(data, "CN-PI-EXPORT") == []
        and findings(data, "CN-XBORDER-SECURITY-ASSESSMENT") == []
    )
    # the same approval on an earlier hop covers the undeclared replication too (coverage along the
    # path), but the flow is still not in the design
    collect = {
        "id": "collect",
        "from": "fleet",
        "to": "shanghai-dc",
        "datasets": ["fleet-video"],
        "approvals": ["cac-sa-1"],
    }
    undeclared_spec = spec([SHANGHAI, us_dc], [], [{**approval, "purposes": []}])
    undeclared_spec["flows"] = [collect]
    code, data = report(tmp_path, undeclared_spec, infra)
    assert code == 1
    assert subjects(data, "SPEC-UNDECLARED-FLOW") == [
        ("aws_s3_bucket_replication_configuration.to_us", None)
    ]
    assert findings(data, "CN-PI-EXPORT") == []


def test_lineage_is_carried_onto_infrastructure_flows(tmp_path):
    datasets = [
        {
            "id": "fleet-video",
            "origin": "CN",
            "categories": ["personal", "vehicle-exterior-video"],
            "subjects": 2_000_000,
        },
        {"id": "clips", "derived_from": ["fleet-video"], "transform": "pseudonymized"},
    ]
    to_de = {"id": "clips-out", "from": "shanghai-dc", "to": "frankfurt", "datasets": ["clips"]}
    code, data = report(
        tmp_path,
        spec([SHANGHAI, FRANKFURT], [to_de], datasets=datasets),
        plan(RAW, DE, US, replication("aws_s3_bucket_replication_configuration.to_us", RAW, US)),
    )
    assert code == 1
    # the replication carries what the bucket holds: the raw video and the clips derived from it,
    # which inherit its origin and categories
    assert {
        f["dataset"]
        for f in findings(data, "CN-PI-EXPORT")
        if f["subject"]["id"] == "aws_s3_bucket_replication_configuration.to_us"
    } == {"fleet-video", "clips"}


# --- drift ------------------------------------------------------------------------------------


def test_drift_across_a_border_is_a_finding_and_the_rules_judge_where_it_stands(tmp_path):
    moved = bucket("module.cn.aws_s3_bucket.fleet_raw", "ap-southeast-1")
    code, data = report(tmp_path, spec([SHANGHAI]), plan(moved))
    assert code == 1
    [drift] = findings(data, "SPEC-LOCATION-DRIFT")
    assert (
        drift["subject"] == {"kind": "system", "id": "shanghai-dc"} and drift["severity"] == "high"
    )
    # at the system's location in the spec
    assert drift["location"]["file"].endswith("spec.yaml") and drift["location"]["line"] == 9
    [related] = drift["related"]
    assert related["file"].endswith("plan.json") and "ap-southeast-1" in related["message"]
    assert "SG" in drift["message"] and "CN" in drift["message"]
    # the declared collection now takes the data to Singapore, and carries the system's id
    [export] = [f for f in findings(data, "CN-PI-EXPORT") if f["dataset"] == "fleet-video"]
    assert export["subject"] == {"kind": "flow", "id": "collect"} and export["path"] == [
        "fleet",
        "shanghai-dc",
    ]


def test_drift_within_one_country_is_no_finding(tmp_path):
    moved = bucket("module.cn.aws_s3_bucket.fleet_raw", "cn-northwest-1")  # Ningxia, still CN
    code, data = report(tmp_path, spec([SHANGHAI]), plan(moved))
    assert code == 0 and findings(data) == []


def test_each_resource_is_judged_on_its_own(tmp_path):
    stays = bucket("module.cn.aws_s3_bucket.fleet_raw", "cn-north-1")
    moved = bucket("module.cn.aws_s3_bucket.fleet_copy", "ap-southeast-1")
    code, data = report(tmp_path, spec([SHANGHAI]), plan(stays, moved))
    assert code == 1
    [drift] = findings(data, "SPEC-LOCATION-DRIFT")
    assert "module.cn.aws_s3_bucket.fleet_copy" in drift["message"]
    # the part in China receives the collection lawfully; only the part in Singapore is an export
    exports = [f for f in findings(data, "CN-PI-EXPORT") if f["dataset"] == "fleet-video"]
    assert [f["subject"]["id"] for f in exports] == ["collect"]
    assert "SG" in exports[0]["message"]


# --- unbound and double binding -----------------------------------------------------------------


def test_system_matching_nothing_is_a_notice(tmp_path):
    nowhere = {
        "id": "archive",
        "kind": "storage",
        "location": "CN",
        "resources": ["aws_s3_bucket.archive_*"],
    }
    code, data = report(tmp_path, spec([SHANGHAI, nowhere]), plan(RAW))
    assert code == 0
    [notice] = findings(data, "SPEC-UNBOUND-SYSTEM", "notices")
    assert (
        notice["subject"] == {"kind": "system", "id": "archive"} and notice["severity"] == "notice"
    )
    assert notice["location"]["line"] == 16  # its resources
    assert subjects(data, "SPEC-UNBOUND-SYSTEM", "notices") == [("archive", None)]


def test_resource_matched_by_two_systems_is_an_input_error_naming_both_lines(tmp_path):
    other = {"id": "backup", "kind": "storage", "location": "CN", "resources": ["module.cn.*"]}
    result = run(tmp_path, spec([SHANGHAI, other]), plan(RAW), "--format", "text")
    assert result.exit_code == 2
    assert re.search(
        r"module\.cn\.aws_s3_bucket\.fleet_raw is bound by two systems: 'shanghai-dc' "
        r"\(.*spec\.yaml:11\) and 'backup' \(.*spec\.yaml:16\)",
        result.output,
    ), result.output
    code, data = report(tmp_path, spec([SHANGHAI, other]), plan(RAW))
    assert code == 2 and data["errors"][0]["line"] == 16


def test_no_infrastructure_no_binding(tmp_path):
    result = run(tmp_path, spec([SHANGHAI]), None)
    assert result.exit_code == 0 and "SPEC-UNBOUND-SYSTEM" not in result.stdout


# --- invariance --------------------------------------------------------------------------------


def test_binding_a_plan_that_realises_the_spec_adds_no_finding(tmp_path):
    de_approval = {
        "id": "scc",
        "kind": "cn-standard-contract",
        "datasets": ["fleet-video"],
        "destinations": ["DE"],
        "valid_from": "2025-01-01",
        "expires": "2029-01-01",
    }
    declared = {
        "id": "to-de",
        "from": "shanghai-dc",
        "to": "frankfurt",
        "datasets": ["fleet-video"],
        "mode": "replication",
        "encrypted": True,
        "approvals": ["scc"],
    }
    design = spec([SHANGHAI, FRANKFURT], [declared], [de_approval])
    alone = tmp_path / "alone"
    alone.mkdir()
    expected_code, expected = report(alone, design, None)
    code, data = report(
        tmp_path,
        design,
        plan(RAW, DE, replication("aws_s3_bucket_replication_configuration.de", RAW, DE)),
    )

    def essence(found: list[dict]) -> list[tuple]:
        return sorted(
            (f["rule"], f["subject"]["id"], f["dataset"], tuple(f["path"]), f["message"])
            for f in found
        )

    assert code == expected_code == 1
    assert essence(data["violations"]) == essence(expected["violations"])
    assert essence(data["notices"]) == essence(expected["notices"])
    assert expected["violations"], (
        "the design has findings of its own, which binding must neither add to nor hide"
    )
    # and the realising replication is named beside the declared flow
    related = [f["related"] for f in data["violations"] if f["subject"]["id"] == "to-de"]
    assert related and all(
        "aws_s3_bucket_replication_configuration.de" in r[0]["message"] for r in related
    )


# --- reports and validate ----------------------------------------------------------------------


def test_sarif_related_locations(tmp_path):
    from jsonschema import Draft4Validator

    schema = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())  # OASIS
    moved = bucket("module.cn.aws_s3_bucket.fleet_raw", "ap-southeast-1")
    result = run(
        tmp_path, spec([SHANGHAI]), plan(moved), "--format", "sarif", "--as-of", "2026-06-01"
    )
    log = json.loads(result.stdout)
    assert [error.message for error in Draft4Validator(schema).iter_errors(log)] == []
    [drift] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "SPEC-LOCATION-DRIFT"]
    [related] = drift["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"].endswith("plan.json")
    assert "ap-southeast-1" in related["message"]["text"]
    assert drift["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "spec.yaml"
    )


def test_validate_reports_binding_problems_without_rules(tmp_path):
    nowhere = {
        "id": "archive",
        "kind": "storage",
        "location": "CN",
        "resources": ["aws_s3_bucket.archive_*"],
    }
    result = run(
        tmp_path,
        spec([SHANGHAI, nowhere]),
        plan(RAW, US, replication("aws_s3_bucket_replication_configuration.to_us", RAW, US)),
        command="validate",
    )
    assert result.exit_code == 0, result.output
    assert "SPEC-UNBOUND-SYSTEM" in result.output and "archive" in result.output
    assert "CN-PI-EXPORT" not in result.output and "SPEC-UNDECLARED-FLOW" not in result.output
    other = {"id": "backup", "kind": "storage", "location": "CN", "resources": ["module.cn.*"]}
    result = run(tmp_path, spec([SHANGHAI, other]), plan(RAW), command="validate")
    assert result.exit_code == 2 and "bound by two systems" in result.output


# --- where the infrastructure does not say, Kubernetes, several inputs ----------------------------


def test_a_resource_whose_location_cannot_be_derived_takes_the_declared_one(tmp_path):
    unplaced = {
        "address": "module.cn.aws_s3_bucket.fleet_raw",
        "type": "aws_s3_bucket",
        "values": {"bucket": "fleet-raw", "tags": None},
    }  # no region, no provider region
    alone = tmp_path / "alone"
    alone.mkdir()
    result = run(alone, None, plan(unplaced), "--format", "text")
    assert result.exit_code == 2 and "cannot tell where" in result.output
    code, data = report(tmp_path, spec([SHANGHAI]), plan(unplaced))
    assert code == 0 and data["errors"] == [] and findings(data) == []
    # the same when the plan is named (or found) before the spec that binds it
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(tmp_path / "plan.json"),
            str(tmp_path / "spec.yaml"),
            "--format",
            "json",
            "--as-of",
            "2026-06-01",
        ],
    )
    assert result.exit_code == 0 and json.loads(result.stdout)["errors"] == []


POSTGRES = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres-main
  namespace: data
  annotations: {ANNOTATIONS}
spec:
  serviceName: postgres
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec: {containers: [{name: pg, image: "postgres:16"}]}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
"""


@pytest.mark.parametrize(
    "annotations, drift",
    [
        ('{"dlc.io/location": "aws:ap-southeast-1"}', True),
        ('{"dlc.io/location": "alibaba:cn-shanghai"}', False),
        ("{}", False),  # no location anywhere: the declared one
    ],
)
def test_kubernetes_workloads_bind_by_kind_namespace_and_name(tmp_path, annotations, drift):
    database = {
        "id": "shanghai-db",
        "kind": "storage",
        "location": "CN",
        "resources": ["StatefulSet/data/postgres-*"],
    }
    design = spec(
        [{**SHANGHAI, "resources": []}, database],
        [{"id": "to-db", "from": "shanghai-dc", "to": "shanghai-db", "datasets": ["fleet-video"]}],
    )
    design["systems"][1].pop("resources")
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(design, sort_keys=False))
    (tmp_path / "db.yaml").write_text(POSTGRES.replace("{ANNOTATIONS}", annotations))
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(tmp_path / "spec.yaml"),
            str(tmp_path / "db.yaml"),
            "--format",
            "json",
            "--as-of",
            "2026-06-01",
        ],
    )
    data = json.loads(result.stdout)
    assert data["errors"] == []
    assert subjects(data, "SPEC-LOCATION-DRIFT") == ([("shanghai-db", None)] if drift else [])
    assert [
        f["related"][0]["file"].endswith("db.yaml") for f in findings(data, "SPEC-LOCATION-DRIFT")
    ] == ([True] if drift else [])
    assert {f["subject"]["id"] for f in findings(data, "CN-PI-EXPORT")} == (
        {"to-db"} if drift else set()
    )
    assert result.exit_code == (1 if drift else 0)


def test_a_plan_nothing_binds_is_checked_alone(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    logs = bucket("aws_s3_bucket.logs_cn", "cn-north-1")
    (other / "plan.json").write_text(
        json.dumps(
            plan(logs, US, replication("aws_s3_bucket_replication_configuration.to_us", logs, US))
        )
    )
    # the same address as in the other plan, which nothing binds
    run(tmp_path, spec([SHANGHAI]), plan(RAW, US))
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(tmp_path / "spec.yaml"),
            str(tmp_path / "plan.json"),
            str(other / "plan.json"),
            "--format",
            "json",
            "--as-of",
            "2026-06-01",
        ],
    )
    data = json.loads(result.stdout)
    assert data["errors"] == [] and data["summary"]["specs"] == 2
    assert findings(data, "SPEC-UNDECLARED-FLOW") == []
    assert findings(data, "SPEC-PI-UNENCRYPTED-BORDER") == []  # replication is encrypted
    assert {f["subject"]["id"] for f in findings(data, "UNCLASSIFIED-DATA-CROSSES-BORDER")} == {
        "aws_s3_bucket_replication_configuration.to_us"
    }


def test_a_bound_resource_in_two_inputs_is_an_input_error(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "plan.json").write_text(json.dumps(plan(RAW)))
    run(tmp_path, spec([SHANGHAI]), plan(RAW))
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(tmp_path / "spec.yaml"),
            str(tmp_path / "plan.json"),
            str(other / "plan.json"),
        ],
    )
    assert result.exit_code == 2
    assert "module.cn.aws_s3_bucket.fleet_raw' is declared in both" in result.output


# --- real plans (tests/data/real/SOURCES.yaml says where each comes from) --------------------------

REAL = REPO / "tests" / "data" / "real" / "terraform"


def check_real(tmp_path, design: dict, plan_name: str) -> tuple[int, dict]:
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(design, sort_keys=False))
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(tmp_path / "spec.yaml"),
            str(REAL / plan_name),
            "--format",
            "json",
            "--as-of",
            "2026-06-01",
        ],
    )
    return result.exit_code, json.loads(result.stdout)


def test_real_plan_module_paths_and_instances(tmp_path):
    """Checkov's nested-modules plan: buckets at the root, in a module with count, in a module and
    in a module's module, all in us-west-2."""

    def design(location: str) -> dict:
        return {
            "version": 1,
            "name": "modules",
            "systems": [
                {
                    "id": "counted",
                    "kind": "storage",
                    "location": location,
                    "resources": ["module.s3_bucket.aws_s3_bucket.this"],
                },  # matches this[0]
                {
                    "id": "modules",
                    "kind": "storage",
                    "location": location,
                    "resources": ["module.s3_module.*"],
                },  # the module and its submodule
                {
                    "id": "root",
                    "kind": "storage",
                    "location": location,
                    "resources": ["aws_s3_bucket.root_bucket"],
                },
                {
                    "id": "gone",
                    "kind": "storage",
                    "location": location,
                    "resources": ["aws_s3_bucket.other_*"],
                },
            ],
        }

    code, data = check_real(tmp_path, design("aws:us-east-1"), "ckv-nested-modules.json")
    assert code == 0 and data["violations"] == []
    assert subjects(data, "SPEC-UNBOUND-SYSTEM", "notices") == [("gone", None)]
    code, data = check_real(tmp_path, design("DE"), "ckv-nested-modules.json")
    assert code == 1
    assert sorted(
        re.match(r"Resource (\S+),", f["message"])[1] for f in findings(data, "SPEC-LOCATION-DRIFT")
    ) == [
        "aws_s3_bucket.root_bucket",
        "module.s3_bucket.aws_s3_bucket.this[0]",
        "module.s3_module.aws_s3_bucket.module_bucket",
        "module.s3_module.module.s3_submodule.aws_s3_bucket.submodule_bucket",
    ]
    assert subjects(data, "SPEC-LOCATION-DRIFT") == [
        ("counted", None),
        ("modules", None),
        ("modules", None),
        ("root", None),
    ]


def test_real_plan_geo_redundant_copy_is_the_systems_own_drift(tmp_path):
    """An Azure GRS storage account in West Europe (NL) keeps a copy in North Europe (IE): bound to a
    system declared in NL, the copy drifts; it is no undeclared flow of the spec."""
    design = {
        "version": 1,
        "name": "grs",
        "systems": [
            {
                "id": "eu-store",
                "kind": "storage",
                "location": "NL",
                "resources": ["azurerm_storage_account.main"],
            }
        ],
    }
    code, data = check_real(tmp_path, design, "rg-azure-grs.json")
    assert code == 1
    [drift] = findings(data, "SPEC-LOCATION-DRIFT")
    assert (
        drift["subject"]["id"] == "eu-store"
        and "azurerm_storage_account.main@IE" in drift["message"]
    )
    assert findings(data, "SPEC-UNDECLARED-FLOW") == []


# --- loaders, scans, Kubernetes flows, exemptions --------------------------------------------------


def test_json_and_yaml_specs_bind_alike(tmp_path):
    """The fast JSON path and the YAML loader read `resources` from the one model."""
    moved = bucket("module.cn.aws_s3_bucket.fleet_raw", "ap-southeast-1")
    _, from_yaml = report(tmp_path, spec([SHANGHAI]), plan(moved))
    (tmp_path / "spec.json").write_text(json.dumps(spec([SHANGHAI])))
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(tmp_path / "spec.json"),
            str(tmp_path / "plan.json"),
            "--format",
            "json",
            "--as-of",
            "2026-06-01",
        ],
    )
    from_json = json.loads(result.stdout)

    def essence(data: dict) -> list[tuple]:
        return sorted(
            (
                f["rule"],
                f["subject"]["id"],
                f["dataset"],
                tuple(f["path"]),
                f["message"],
                tuple((r["line"], r["message"]) for r in f.get("related", ())),
            )
            for f in data["violations"] + data["notices"]
        )

    assert essence(from_json) == essence(from_yaml)
    drifts = findings(from_json, "SPEC-LOCATION-DRIFT")
    assert [f["location"]["line"] for f in drifts] == [1]  # the JSON spec is one line
    bad = {**SHANGHAI, "resources": ["aws_s3_bucket.x", "aws_s3_bucket.x"]}
    for name, text in (
        ("bad.json", json.dumps(spec([bad]))),
        ("bad.yaml", yaml.safe_dump(spec([bad]))),
    ):
        (tmp_path / name).write_text(text)
        result = CliRunner().invoke(main, ["validate", str(tmp_path / name)])
        assert result.exit_code == 2 and "listed twice" in result.output


def test_a_scan_binds_a_spec_to_the_plan_beside_it(tmp_path):
    moved = bucket("module.cn.aws_s3_bucket.fleet_raw", "ap-southeast-1")
    folder = tmp_path / "estate"
    folder.mkdir()
    (folder / "a-plan.json").write_text(json.dumps(plan(moved)))  # read before the spec
    (folder / "z-spec.yaml").write_text(yaml.safe_dump(spec([SHANGHAI])))
    result = CliRunner().invoke(
        main, ["check", str(folder), "--format", "json", "--as-of", "2026-06-01"]
    )
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["summary"]["specs"] == 1
    assert subjects(data, "SPEC-LOCATION-DRIFT") == [("shanghai-dc", None)]


TRAINER = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: trainer
  namespace: ml
  annotations: {"dlc.io/location": "alibaba:cn-shanghai", "dlc.io/sends-to": "StatefulSet/data/postgres-main"}
spec:
  selector: {matchLabels: {app: t}}
  template:
    metadata: {labels: {app: t}}
    spec: {containers: [{name: t, image: "trainer:1"}]}
---
"""


def test_kubernetes_sends_to_an_unbound_store_abroad_is_undeclared(tmp_path):
    trainer = {
        "id": "trainer",
        "kind": "compute",
        "location": "CN",
        "resources": ["Deployment/ml/trainer"],
    }
    design = spec(
        [{**SHANGHAI, "resources": []}, trainer],
        [{"id": "to-trainer", "from": "shanghai-dc", "to": "trainer", "datasets": ["fleet-video"]}],
    )
    design["systems"][1].pop("resources")
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(design, sort_keys=False))
    (tmp_path / "k8s.yaml").write_text(
        TRAINER + POSTGRES.replace("{ANNOTATIONS}", '{"dlc.io/location": "aws:eu-central-1"}')
    )
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(tmp_path / "spec.yaml"),
            str(tmp_path / "k8s.yaml"),
            "--format",
            "json",
            "--as-of",
            "2026-06-01",
        ],
    )
    data = json.loads(result.stdout)
    flow = "Deployment/ml/trainer->StatefulSet/data/postgres-main"
    assert subjects(data, "SPEC-UNDECLARED-FLOW") == [(flow, None)]
    assert ("CN-PI-EXPORT", flow, "fleet-video") in {
        (f["rule"], f["subject"]["id"], f["dataset"]) for f in data["violations"]
    }


def test_binding_findings_take_exemptions(tmp_path):
    moved = bucket("module.cn.aws_s3_bucket.fleet_raw", "cn-north-1")
    (tmp_path / "exemptions.yaml").write_text(
        yaml.safe_dump(
            {
                "exemptions": [
                    {
                        "rule": "SPEC-UNDECLARED-FLOW",
                        "subject": "flow/aws_s3_bucket_replication_configuration.*",
                        "justification": "replica under review",
                        "owner": "dpo@example.com",
                        "granted": "2026-01-01",
                        "expires": "2027-01-01",
                    }
                ]
            }
        )
    )
    code, data = report(
        tmp_path,
        spec([SHANGHAI]),
        plan(moved, US, replication("aws_s3_bucket_replication_configuration.to_us", moved, US)),
        "--exemptions",
        str(tmp_path / "exemptions.yaml"),
    )
    assert code == 1  # the transfer rules still judge the replication
    assert findings(data, "SPEC-UNDECLARED-FLOW") == []
    assert [f["subject"]["id"] for f in findings(data, "SPEC-UNDECLARED-FLOW", "suppressed")] == [
        "aws_s3_bucket_replication_configuration.to_us"
    ]


def test_rules_show_describes_the_binding_checks():
    result = CliRunner().invoke(main, ["rules", "show", "SPEC-LOCATION-DRIFT"])
    assert result.exit_code == 0
    assert "severity: high" in result.output and "GDPR art. 30(1)(e)" in result.output


@pytest.mark.parametrize("output_format", ["markdown", "html"])
def test_review_reports_name_both_sides(tmp_path, output_format):
    moved = bucket("module.cn.aws_s3_bucket.fleet_raw", "ap-southeast-1")
    result = run(
        tmp_path, spec([SHANGHAI]), plan(moved), "--format", output_format, "--as-of", "2026-06-01"
    )
    assert result.exit_code == 1
    text = result.stdout
    assert "SPEC-LOCATION-DRIFT" in text
    assert re.search(
        r"spec\.yaml:9</code><br><code>[^<]*plan\.json:\d+</code>"
        if output_format == "html"
        else r"spec\.yaml:9<br/>[^|]*plan\.json:\d+",
        text,
    )


def test_the_spec_classifies_what_it_binds(tmp_path):
    """A bound bucket's tags say what the plan alone would judge; bound, the spec's data replaces them."""
    tagged = bucket(
        "module.cn.aws_s3_bucket.fleet_raw",
        "cn-north-1",
        data_origin="CN",
        data_categories="personal, geolocation",
        data_subjects="5000000",
    )
    alone = tmp_path / "alone"
    alone.mkdir()
    _, plan_alone = report(alone, None, plan(tagged))
    assert findings(plan_alone, "CN-AUTO-IMPORTANT-DATA-IDENTIFY", "notices")
    _, data = report(tmp_path, spec([SHANGHAI]), plan(tagged))
    assert {f["dataset"] for f in data["violations"] + data["notices"]} <= {"fleet-video", None}


def test_explain_says_what_a_binding_check_is(tmp_path):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec([SHANGHAI])))
    result = CliRunner().invoke(
        main, ["explain", str(tmp_path / "spec.yaml"), "--rule", "SPEC-UNDECLARED-FLOW"]
    )
    assert result.exit_code == 2 and "a check of binding a spec to infrastructure" in result.output
