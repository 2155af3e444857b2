"""The Terraform plan adapter: resources to systems, tags to datasets, replication to flows, GPUs to accelerators."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.adapters import load_input
from checker.adapters.terraform import plan_to_spec
from checker.cli import main
from checker.errors import InputError
from checker.load.documents import DEFAULT_LIMITS, load_file
from checker.resolve.instance_types import gpus_for
from checker.resolve.resolver import resolve

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "terraform"
AWS = "registry.terraform.io/hashicorp/aws"
AZURE = "registry.terraform.io/hashicorp/azurerm"
GOOGLE = "registry.terraform.io/hashicorp/google"
ALIBABA = "registry.terraform.io/aliyun/alicloud"


def load(path) -> object:
    return load_input(str(path), "auto", DEFAULT_LIMITS, True)


def load_error(path, match: str | None = None) -> InputError:
    """The error of the one resource that has one: reported in the spec's coverage (the other
    resources are still evaluated), not raised."""
    spec = load(path)
    [error] = spec.coverage.errors
    if match is not None:
        assert re.search(match, error.message), error.message
    return error


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def resource(address, kind, values, provider=AWS):
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": address.rsplit(".", 1)[-1],
        "provider_name": provider,
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }


def write_plan(
    tmp_path,
    resources,
    providers=None,
    config_resources=None,
    child_modules=None,
    variables=None,
    name="plan.json",
):
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {
            "root_module": {
                "resources": resources,
                **({"child_modules": child_modules} if child_modules else {}),
            }
        },
        "resource_changes": [],
        "configuration": {
            "provider_config": providers or {},
            "root_module": {"resources": config_resources or []},
        },
    }
    if variables:
        plan["variables"] = variables
    path = tmp_path / name
    path.write_text(json.dumps(plan, indent=2))
    return path


def aws_provider(region, alias=None):
    config = {
        "name": "aws",
        "full_name": AWS,
        "expressions": {"region": {"constant_value": region}},
    }
    if alias:
        config["alias"] = alias
    return config


def run(*args):
    return CliRunner().invoke(main, ["check", "--as-of", "2026-11-25", *args])


# --- the examples ------------------------------------------------------------------------------


def test_bucket_replication_example_builds_systems_dataset_and_flow():
    spec = load(EXAMPLES / "cn-bucket-replication.json")
    systems = {s.id: s for s in spec.systems}
    assert set(systems) == {
        "aws_s3_bucket.fleet_video",
        "aws_s3_bucket.fleet_video_us",
    }  # IAM, versioning skipped
    assert (
        systems["aws_s3_bucket.fleet_video"].location == "aws:cn-north-1"
    )  # provider region via var
    assert (
        systems["aws_s3_bucket.fleet_video_us"].location == "aws:us-west-2"
    )  # aliased provider aws.us
    assert systems["aws_s3_bucket.fleet_video"].kind == "storage"
    [dataset, unclassified] = spec.datasets
    assert unclassified.id == "aws_s3_bucket.fleet_video_us#data" and unclassified.origin is None
    assert spec.holders == {"aws_s3_bucket.fleet_video_us#data": "aws_s3_bucket.fleet_video_us"}
    assert dataset.id == "aws_s3_bucket.fleet_video#data"
    assert dataset.origin == "CN" and dataset.subjects == 1_500_000 and dataset.important is False
    assert dataset.categories == ("personal", "vehicle-exterior-video", "geolocation")
    [flow] = spec.flows
    assert flow.id == "aws_s3_bucket_replication_configuration.fleet_video_to_us"
    assert (flow.source, flow.target, flow.mode) == (
        "aws_s3_bucket.fleet_video",
        "aws_s3_bucket.fleet_video_us",
        "replication",
    )
    assert flow.datasets == ("aws_s3_bucket.fleet_video#data",)
    resolved = resolve(spec)
    assert resolved.country == {
        "aws_s3_bucket.fleet_video": "CN",
        "aws_s3_bucket.fleet_video_us": "US",
    }


def test_bucket_replication_example_reports_cn_export_at_the_resource_line():
    path = EXAMPLES / "cn-bucket-replication.json"
    result = run(str(path), "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    pi = [v for v in report["violations"] if v["rule"] == "CN-PI-EXPORT"]
    assert len(pi) == 1
    assert pi[0]["subject"] == {
        "kind": "flow",
        "id": "aws_s3_bucket_replication_configuration.fleet_video_to_us",
    }
    assert pi[0]["path"] == ["aws_s3_bucket.fleet_video", "aws_s3_bucket.fleet_video_us"]
    assert pi[0]["dataset"] == "aws_s3_bucket.fleet_video#data"
    assert pi[0]["location"]["line"] == line_of(
        path, '"address": "aws_s3_bucket_replication_configuration.fleet_video_to_us"'
    )


def test_gpu_cluster_example_reports_export_licence_on_the_node_group():
    path = EXAMPLES / "cn-gpu-cluster.json"
    spec = load(path)
    systems = {s.id: s for s in spec.systems}
    node_group = systems["module.gpu_nodes.aws_eks_node_group.this"]
    assert node_group.location == "aws:cn-northwest-1"
    assert [(a.model, a.count) for a in node_group.accelerators] == [
        ("NVIDIA H100 SXM", 128)
    ]  # 8 x 16 nodes
    assert systems["aws_eks_cluster.training"].accelerators == ()
    result = run(str(path), "--format", "json")
    assert result.exit_code == 1, result.output
    [violation] = [
        v for v in json.loads(result.stdout)["violations"] if v["rule"] == "US-EAR-AC-LICENCE"
    ]
    assert violation["subject"] == {
        "kind": "system",
        "id": "module.gpu_nodes.aws_eks_node_group.this",
    }
    assert violation["location"]["line"] == line_of(
        path, '"address": "module.gpu_nodes.aws_eks_node_group.this"'
    )


def test_input_type_forces_terraform(tmp_path):
    plan = (EXAMPLES / "cn-gpu-cluster.json").read_text()
    path = tmp_path / "plan.txt"
    path.write_text(plan)
    result = run(str(path), "--input-type", "terraform", "--format", "json")
    assert result.exit_code == 1
    assert any(v["rule"] == "US-EAR-AC-LICENCE" for v in json.loads(result.stdout)["violations"])


# --- locations ---------------------------------------------------------------------------------


def test_locations_from_arguments_modules_and_providers(tmp_path):
    resources = [
        resource(
            "azurerm_storage_account.sh",
            "azurerm_storage_account",
            {"location": "China East 2", "name": "sh"},
            "registry.terraform.io/hashicorp/azurerm",
        ),
        resource(
            "google_storage_bucket.us",
            "google_storage_bucket",
            {"location": "US-CENTRAL1", "name": "b"},
            "registry.terraform.io/hashicorp/google",
        ),
        resource(
            "google_storage_bucket.multi",
            "google_storage_bucket",
            {"location": "US", "name": "m"},
            "registry.terraform.io/hashicorp/google",
        ),
        resource(
            "alicloud_oss_bucket.sh",
            "alicloud_oss_bucket",
            {"bucket": "x"},
            "registry.terraform.io/aliyun/alicloud",
        ),
        resource(
            "aws_dynamodb_table.v6", "aws_dynamodb_table", {"region": "eu-central-1", "name": "t"}
        ),
        resource("aws_s3_bucket.tagged", "aws_s3_bucket", {"tags": {"dlc-location": "HK"}}),
        resource("aws_iam_role.r", "aws_iam_role", {"name": "r"}),
        resource(
            "random_id.x", "random_id", {"byte_length": 4}, "registry.terraform.io/hashicorp/random"
        ),
        resource("aws_mystery_thing.x", "aws_mystery_thing", {}),
    ]
    child = {
        "address": "module.eu",
        "resources": [resource("module.eu.aws_s3_bucket.b", "aws_s3_bucket", {})],
    }
    providers = {
        "aws": aws_provider("cn-north-1"),
        "module.eu:aws": {**aws_provider("eu-west-1"), "module_address": "module.eu"},
        "alicloud": {
            "name": "alicloud",
            "expressions": {"region": {"references": ["var.ali_region"]}},
        },
    }
    config = [
        {
            "address": "alicloud_oss_bucket.sh",
            "mode": "managed",
            "type": "alicloud_oss_bucket",
            "name": "sh",
            "provider_config_key": "alicloud",
        }
    ]
    path = write_plan(
        tmp_path,
        resources,
        providers,
        config,
        [child],
        variables={"ali_region": {"value": "cn-shanghai"}},
    )
    # the module's resource names the module's provider configuration
    plan = json.loads(path.read_text())
    plan["configuration"]["root_module"]["module_calls"] = {
        "eu": {
            "source": "./eu",
            "module": {
                "resources": [
                    {
                        "address": "aws_s3_bucket.b",
                        "mode": "managed",
                        "type": "aws_s3_bucket",
                        "name": "b",
                        "provider_config_key": "module.eu:aws",
                    }
                ]
            },
        }
    }
    path.write_text(json.dumps(plan, indent=2))
    spec = load(path)
    locations = {s.id: (s.location, s.kind) for s in spec.systems}
    assert locations == {
        "azurerm_storage_account.sh": ("azure:chinaeast2", "storage"),
        "google_storage_bucket.us": ("gcp:us-central1", "storage"),
        "google_storage_bucket.multi": ("gcp:us-central1", "storage"),  # US multi-region: US only
        "alicloud_oss_bucket.sh": ("alibaba:cn-shanghai", "storage"),
        "aws_dynamodb_table.v6": ("aws:eu-central-1", "storage"),
        "aws_s3_bucket.tagged": ("HK", "storage"),
        "module.eu.aws_s3_bucket.b": ("aws:eu-west-1", "storage"),
    }
    assert resolve(spec).country["azurerm_storage_account.sh"] == "CN"
    # IAM and random_* hold nothing; an unknown type is skipped with a notice
    assert (spec.coverage.seen, spec.coverage.evaluated) == (10, 7)
    assert spec.coverage.skipped == {"no-data": 2, "unknown-type": 1}
    [notice] = spec.coverage.notices
    assert (notice.rule, notice.subject_id) == ("DLC-UNKNOWN-RESOURCE-TYPE", "aws_mystery_thing")


def test_missing_location_is_an_input_error_naming_the_resource(tmp_path):
    path = write_plan(
        tmp_path, [resource("aws_s3_bucket.nowhere", "aws_s3_bucket", {"bucket": "b"})]
    )
    error = load_error(path)
    assert "aws_s3_bucket.nowhere: cannot tell where" in error.message
    assert error.line == line_of(path, '"address": "aws_s3_bucket.nowhere"')
    result = run(str(path))
    assert result.exit_code == 2
    assert "aws_s3_bucket.nowhere: cannot tell where" in result.stderr


def test_unknown_region_exits_2_with_its_line(tmp_path):
    path = write_plan(
        tmp_path, [resource("aws_s3_bucket.b", "aws_s3_bucket", {"region": "cn-nrth-1"})]
    )
    result = run(str(path), "--format", "json")
    assert result.exit_code == 2
    [error] = json.loads(result.stdout)["errors"]
    assert "unknown location 'aws:cn-nrth-1'" in error["message"]
    assert error["line"] == line_of(path, '"region": "cn-nrth-1"')


def test_gcp_multi_region_is_a_system_in_each_of_its_countries(tmp_path):
    path = write_plan(
        tmp_path,
        [resource("google_storage_bucket.eu", "google_storage_bucket", {"location": "EU"}, GOOGLE)],
    )
    spec = load(path)
    countries = resolve(spec).country
    assert countries["google_storage_bucket.eu"] == "BE"
    members = sorted(s.id for s in spec.systems if s.id != "google_storage_bucket.eu")
    assert members == [
        f"google_storage_bucket.eu@{c}" for c in ("DE", "ES", "FI", "FR", "IT", "NL", "PL", "SE")
    ]
    assert all(countries[m] == m[-2:] for m in members)
    flows = {f.target: f for f in spec.flows}
    assert set(flows) == set(members)
    assert all(
        f.source == "google_storage_bucket.eu"
        and f.mode == "replication"
        and f.encrypted
        and f.datasets == ("google_storage_bucket.eu#data",)
        for f in flows.values()
    )


def test_gcp_multi_region_on_a_type_that_is_not_read_there_fails_closed(tmp_path):
    path = write_plan(
        tmp_path,
        [resource("google_redis_instance.r", "google_redis_instance", {"location": "EU"}, GOOGLE)],
    )
    load_error(path, "'EU' is a Google Cloud multi-region")


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format_version": "1.2", "planned_values": ', "malformed JSON"),
        (
            '{"format_version": "1.2", "planned_values": {"root_module": {"resources": {}}}}',
            "'resources' must be a list",
        ),
        (
            '{"format_version": "2.0", "planned_values": {}}',
            "unsupported Terraform JSON format_version 2.0",
        ),
    ],
)
def test_malformed_plans_exit_2(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    result = run(str(path), "--input-type", "terraform")
    assert result.exit_code == 2
    assert message in result.stderr


def test_bad_tags_are_input_errors(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_s3_bucket.b",
                "aws_s3_bucket",
                {"tags": {"data-origin": "CN", "data-subjects": "lots"}},
            )
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    load_error(path, "data-subjects' must be a whole number")
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_s3_bucket.b",
                "aws_s3_bucket",
                {"tags": {"data-origin": "CN", "data-categories": "personal, dashcam"}},
            )
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    result = run(str(path))
    assert result.exit_code == 2
    assert "dashcam" in result.stderr


def test_tag_prefix_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DLC_TAG_PREFIX", "acme:")
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_s3_bucket.b",
                "aws_s3_bucket",
                {
                    "tags": {
                        "acme:data-origin": "CN",
                        "acme:data-categories": "personal",
                        "data-origin": "US",
                    }
                },
            )
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    [dataset] = load(path).datasets
    assert dataset.origin == "CN"


# --- flows ---------------------------------------------------------------------------------------


def test_inline_replication_rds_replica_and_backup_copy(tmp_path):
    cn = {"tags": {"data-origin": "CN", "data-categories": "personal"}}
    resources = [
        resource(
            "aws_s3_bucket.src",
            "aws_s3_bucket",
            {
                **cn,
                "bucket": "src",
                "replication_configuration": [
                    {
                        "role": "arn:aws-cn:iam::1:role/r",
                        "rules": [
                            {
                                "id": "all",
                                "status": "Enabled",
                                "destination": [
                                    {"bucket": "arn:aws:s3:::dst", "storage_class": "STANDARD"}
                                ],
                            }
                        ],
                    }
                ],
            },
        ),
        resource("aws_s3_bucket.dst", "aws_s3_bucket", {"bucket": "dst", "region": "us-east-1"}),
        resource("aws_db_instance.main", "aws_db_instance", {**cn, "identifier": "main"}),
        resource(
            "aws_db_instance.replica",
            "aws_db_instance",
            {
                "identifier": "replica",
                "region": "ap-southeast-1",
                "replicate_source_db": "arn:aws-cn:rds:cn-north-1:123456789012:db:main",
            },
        ),
        resource(
            "aws_db_instance.far",
            "aws_db_instance",
            {
                "identifier": "far",
                "replicate_source_db": "arn:aws:rds:us-west-2:123456789012:db:elsewhere",
            },
        ),
        resource("aws_backup_vault.cn", "aws_backup_vault", {"name": "cn-vault"}),
        resource(
            "aws_backup_plan.p",
            "aws_backup_plan",
            {
                "name": "p",
                "rule": [
                    {
                        "rule_name": "daily",
                        "target_vault_name": "cn-vault",
                        "schedule": "cron(0 5 * * ? *)",
                        "copy_action": [
                            {
                                "destination_vault_arn": "arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
                                "lifecycle": [],
                            }
                        ],
                    }
                ],
            },
        ),
    ]
    path = write_plan(tmp_path, resources, {"aws": aws_provider("cn-north-1")})
    spec = load(path)
    flows = {f.id: (f.source, f.target, f.mode, list(f.datasets)) for f in spec.flows}
    assert flows["aws_s3_bucket.src"] == (
        "aws_s3_bucket.src",
        "aws_s3_bucket.dst",
        "replication",
        ["aws_s3_bucket.src#data"],
    )
    assert flows["aws_db_instance.replica"] == (
        "aws_db_instance.main",
        "aws_db_instance.replica",
        "replication",
        ["aws_db_instance.main#data"],
    )
    external = "external:arn:aws:rds:us-west-2:123456789012:db:elsewhere"
    assert flows["aws_db_instance.far"][:3] == (external, "aws_db_instance.far", "replication")
    assert flows["aws_backup_plan.p"][:3] == (
        "aws_backup_vault.cn",
        "external:arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
        "backup",
    )
    assert resolve(spec).country[external] == "US"


def test_unmatched_replication_target_without_region_is_an_error(tmp_path):
    resources = [
        resource("aws_s3_bucket.src", "aws_s3_bucket", {"bucket": "src"}),
        resource(
            "aws_s3_bucket_replication_configuration.r",
            "aws_s3_bucket_replication_configuration",
            {
                "bucket": "src",
                "rule": [{"status": "Enabled", "destination": [{"bucket": "arn:aws:s3:::gone"}]}],
            },
        ),
    ]
    path = write_plan(tmp_path, resources, {"aws": aws_provider("cn-north-1")})
    error = load_error(path)
    assert (
        "aws_s3_bucket_replication_configuration.r: the destination bucket 'arn:aws:s3:::gone'"
        in error.message
    )
    assert error.line == line_of(path, '"bucket": "arn:aws:s3:::gone"')


def test_gcs_transfer_and_cloud_sql_replica(tmp_path):
    google = "registry.terraform.io/hashicorp/google"
    resources = [
        resource(
            "google_storage_bucket.hk",
            "google_storage_bucket",
            {
                "name": "hk",
                "location": "ASIA-EAST2",
                "labels": {"data-origin": "cn", "data-categories": "personal_geolocation"},
            },
            google,
        ),
        resource(
            "google_storage_bucket.us",
            "google_storage_bucket",
            {"name": "us", "location": "US"},
            google,
        ),
        resource(
            "google_storage_transfer_job.copy",
            "google_storage_transfer_job",
            {
                "transfer_spec": [
                    {
                        "gcs_data_source": [{"bucket_name": "hk", "path": ""}],
                        "gcs_data_sink": [{"bucket_name": "us", "path": ""}],
                    }
                ]
            },
            google,
        ),
        resource(
            "google_sql_database_instance.main",
            "google_sql_database_instance",
            {"name": "main", "region": "asia-east2"},
            google,
        ),
        resource(
            "google_sql_database_instance.replica",
            "google_sql_database_instance",
            {"name": "replica", "region": "us-central1", "master_instance_name": "proj:main"},
            google,
        ),
    ]
    spec = load(write_plan(tmp_path, resources))
    datasets = {d.id: d for d in spec.datasets}
    dataset = datasets["google_storage_bucket.hk#data"]
    assert dataset.origin == "CN" and dataset.categories == ("personal", "geolocation")
    assert datasets["google_storage_bucket.us#data"].origin is None  # unclassified
    flows = {f.id: (f.source, f.target, f.mode) for f in spec.flows}
    assert flows == {
        "google_storage_transfer_job.copy": (
            "google_storage_bucket.hk",
            "google_storage_bucket.us",
            "copy",
        ),
        "google_sql_database_instance.replica": (
            "google_sql_database_instance.main",
            "google_sql_database_instance.replica",
            "replication",
        ),
    }


def test_azure_object_replication_database_copies_and_failover_group(tmp_path):
    cn = {"tags": {"data-origin": "CN", "data-categories": "personal"}}
    resources = [
        resource(
            "azurerm_storage_account.cn",
            "azurerm_storage_account",
            {**cn, "name": "cn", "id": "/sa/cn", "location": "China North 3"},
            AZURE,
        ),
        resource(
            "azurerm_storage_account.eu",
            "azurerm_storage_account",
            {"name": "eu", "id": "/sa/eu", "location": "westeurope"},
            AZURE,
        ),
        resource(
            "azurerm_storage_object_replication.o",
            "azurerm_storage_object_replication",
            {"source_storage_account_id": "/sa/cn", "destination_storage_account_id": "/sa/eu"},
            AZURE,
        ),
        resource(
            "azurerm_mssql_server.cn",
            "azurerm_mssql_server",
            {"name": "cn", "id": "/sql/cn", "location": "chinaeast2"},
            AZURE,
        ),
        resource(
            "azurerm_mssql_server.us",
            "azurerm_mssql_server",
            {"name": "us", "id": "/sql/us", "location": "eastus"},
            AZURE,
        ),
        resource(
            "azurerm_mssql_database.db",
            "azurerm_mssql_database",
            {**cn, "name": "db", "id": "/sql/cn/db", "server_id": "/sql/cn"},
            AZURE,
        ),
        resource(
            "azurerm_mssql_database.copy",
            "azurerm_mssql_database",
            {
                "name": "copy",
                "server_id": "/sql/us",
                "create_mode": "Copy",
                "creation_source_database_id": "/sql/cn/db",
            },
            AZURE,
        ),
        resource(
            "azurerm_mssql_database.secondary",
            "azurerm_mssql_database",
            {
                "name": "secondary",
                "server_id": "/sql/us",
                "create_mode": "OnlineSecondary",
                "creation_source_database_id": "/sql/cn/db",
            },
            AZURE,
        ),
        resource(
            "azurerm_mssql_failover_group.f",
            "azurerm_mssql_failover_group",
            {"server_id": "/sql/cn", "partner_server": [{"id": "/sql/us"}]},
            AZURE,
        ),
    ]
    config = [
        {
            "address": "azurerm_mssql_failover_group.f",
            "mode": "managed",
            "type": "azurerm_mssql_failover_group",
            "name": "f",
            "provider_config_key": "azurerm",
            "expressions": {
                "databases": {
                    "references": ["azurerm_mssql_database.db.id", "azurerm_mssql_database.db"]
                }
            },
        }
    ]
    spec = load(write_plan(tmp_path, resources, config_resources=config))
    flows = {f.id: (f.source, f.target, f.mode) for f in spec.flows}
    assert flows == {
        "azurerm_storage_object_replication.o": (
            "azurerm_storage_account.cn",
            "azurerm_storage_account.eu",
            "replication",
        ),
        "azurerm_mssql_database.copy": (
            "azurerm_mssql_database.db",
            "azurerm_mssql_database.copy",
            "copy",
        ),
        "azurerm_mssql_database.secondary": (
            "azurerm_mssql_database.db",
            "azurerm_mssql_database.secondary",
            "replication",
        ),
        # the group replicates the primary server, and the databases in it live there
        "azurerm_mssql_failover_group.f->azurerm_mssql_server.us": (
            "azurerm_mssql_server.cn",
            "azurerm_mssql_server.us",
            "replication",
        ),
        "azurerm_mssql_failover_group.f->azurerm_mssql_server.cn": (
            "azurerm_mssql_database.db",
            "azurerm_mssql_server.cn",
            "replication",
        ),
    }


def test_backup_plan_keeps_a_flow_from_every_resource_it_backs_up(tmp_path):
    cn = {"data-origin": "CN", "data-categories": "personal"}
    resources = [
        resource(
            "aws_s3_bucket.photos",
            "aws_s3_bucket",
            {"bucket": "photos", "tags": cn, "arn": "arn:aws-cn:s3:::photos"},
        ),
        resource(
            "aws_db_instance.users",
            "aws_db_instance",
            {"identifier": "users", "arn": "arn:aws-cn:rds:cn-north-1:1:db:users", "tags": cn},
        ),
        resource(
            "aws_backup_vault.sg", "aws_backup_vault", {"name": "sg", "region": "ap-southeast-1"}
        ),
        resource(
            "aws_backup_plan.p",
            "aws_backup_plan",
            {"name": "p", "id": "plan-1", "rule": [{"target_vault_name": "sg"}]},
        ),
        resource(
            "aws_backup_selection.s",
            "aws_backup_selection",
            {
                "plan_id": "plan-1",
                "resources": ["arn:aws-cn:s3:::photos", "arn:aws-cn:rds:cn-north-1:1:db:users"],
            },
        ),
    ]
    spec = load(write_plan(tmp_path, resources, {"aws": aws_provider("cn-north-1")}))
    # both go into the same vault: each flow is named by its source too, and neither is lost
    flows = {f.id: (f.source, f.target, f.mode, list(f.datasets)) for f in spec.flows}
    assert flows == {
        "aws_backup_plan.p:aws_s3_bucket.photos->aws_backup_vault.sg": (
            "aws_s3_bucket.photos",
            "aws_backup_vault.sg",
            "backup",
            ["aws_s3_bucket.photos#data"],
        ),
        "aws_backup_plan.p:aws_db_instance.users->aws_backup_vault.sg": (
            "aws_db_instance.users",
            "aws_backup_vault.sg",
            "backup",
            ["aws_db_instance.users#data"],
        ),
    }


def test_aurora_global_database_replicates_from_its_writer(tmp_path):
    resources = [
        resource(
            "aws_rds_global_cluster.g",
            "aws_rds_global_cluster",
            {"global_cluster_identifier": "g", "id": "g"},
        ),
        resource(
            "aws_rds_cluster.cn",
            "aws_rds_cluster",
            {
                "cluster_identifier": "cn",
                "global_cluster_identifier": "g",
                "master_username": "admin",
            },
        ),
        resource(
            "aws_rds_cluster.us",
            "aws_rds_cluster",
            {"cluster_identifier": "us", "global_cluster_identifier": "g", "region": "us-east-1"},
        ),
    ]
    spec = load(write_plan(tmp_path, resources, {"aws": aws_provider("cn-north-1")}))
    assert [(f.id, f.source, f.target) for f in spec.flows] == [
        ("aws_rds_global_cluster.g", "aws_rds_cluster.cn", "aws_rds_cluster.us")
    ]


# --- accelerators ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "provider, instance_type, expected",
    [
        ("aws", "p4d.24xlarge", ("NVIDIA A100 40GB", 8)),
        ("aws", "p4de.24xlarge", ("NVIDIA A100 80GB", 8)),
        ("aws", "p5.48xlarge", ("NVIDIA H100 SXM", 8)),
        ("aws", "p5en.48xlarge", ("NVIDIA H200 SXM", 8)),
        ("aws", "p6-b200.48xlarge", ("NVIDIA B200", 8)),
        ("aws", "g5.12xlarge", ("NVIDIA A10G", 4)),
        ("aws", "g6.xlarge", ("NVIDIA L4", 1)),
        ("aws", "g6e.48xlarge", ("NVIDIA L40S", 8)),
        ("aws", "m7i.4xlarge", None),
        ("aws", "p7.96xlarge", ("unrecognised GPU instance type aws:p7.96xlarge", 1)),
        ("gcp", "a3-highgpu-8g", ("NVIDIA H100 SXM", 8)),
        ("gcp", "a2-ultragpu-4g", ("NVIDIA A100 80GB", 4)),
        ("gcp", "a3-ultragpu-8g", ("NVIDIA H200 SXM", 8)),
        ("gcp", "g2-standard-48", ("NVIDIA L4", 4)),
        ("gcp", "n2-standard-8", None),
        ("azure", "Standard_ND96isr_H100_v5", ("NVIDIA H100 SXM", 8)),
        ("azure", "Standard_ND96amsr_A100_v4", ("NVIDIA A100 80GB", 8)),
        ("azure", "Standard_NC48ads_A100_v4", ("NVIDIA A100 80GB", 2)),
        ("azure", "Standard_NC40ads_H100_v5", ("NVIDIA H100 NVL", 1)),
        ("azure", "Standard_D8s_v5", None),
        ("alibaba", "ecs.gn7i-c8g1.2xlarge", ("NVIDIA A10", 1)),
        ("alibaba", "ecs.gn7e-c16g1.4xlarge", ("NVIDIA A100 80GB", 1)),
        (
            "alibaba",
            "ecs.gn8v.6xlarge",
            ("unrecognised GPU instance type alibaba:ecs.gn8v.6xlarge", 1),
        ),
        ("alibaba", "ecs.gn7e.32xlarge", ("NVIDIA A100 80GB", 1)),  # '.' straight after the family
        (
            "alibaba",
            "ecs.ebmgn7e.32xlarge",
            ("unrecognised GPU instance type alibaba:ecs.ebmgn7e.32xlarge", 1),
        ),
        (
            "alibaba",
            "ecs.gn8is.2xlarge",
            ("unrecognised GPU instance type alibaba:ecs.gn8is.2xlarge", 1),
        ),
        ("aws", "ml.p5.48xlarge", ("NVIDIA H100 SXM", 8)),  # SageMaker
        (
            "alibaba",
            "ecs.gn8is-2x.8xlarge",
            ("unrecognised GPU instance type alibaba:ecs.gn8is-2x.8xlarge", 1),
        ),
        ("alibaba", "ecs.g7.large", None),
    ],
)
def test_instance_type_to_gpus(provider, instance_type, expected):
    assert gpus_for(provider, instance_type) == expected


def test_node_pools_and_instances_multiply_counts(tmp_path):
    google = "registry.terraform.io/hashicorp/google"
    azure = "registry.terraform.io/hashicorp/azurerm"
    resources = [
        resource(
            "google_container_node_pool.h100",
            "google_container_node_pool",
            {
                "location": "us-central1",
                "node_count": 2,
                "node_locations": ["us-central1-a", "us-central1-b"],
                "node_config": [{"machine_type": "a3-highgpu-8g", "guest_accelerator": []}],
            },
            google,
        ),
        resource(
            "google_compute_instance.t4",
            "google_compute_instance",
            {
                "zone": "asia-east2-a",
                "machine_type": "n1-standard-8",
                "guest_accelerator": [{"type": "nvidia-tesla-t4", "count": 2}],
            },
            google,
        ),
        resource(
            "azurerm_kubernetes_cluster_node_pool.nd",
            "azurerm_kubernetes_cluster_node_pool",
            {"vm_size": "Standard_ND96isr_H100_v5", "node_count": 4},
            azure,
        ),
        resource(
            "azurerm_kubernetes_cluster.aks",
            "azurerm_kubernetes_cluster",
            {
                "location": "chinanorth3",
                "default_node_pool": [{"vm_size": "Standard_D4s_v5", "node_count": 3}],
            },
            azure,
        ),
        resource("aws_instance.gpu[0]", "aws_instance", {"instance_type": "g6e.12xlarge"}),
        resource("aws_instance.gpu[1]", "aws_instance", {"instance_type": "g6e.12xlarge"}),
    ]
    config = [
        {
            "address": "azurerm_kubernetes_cluster_node_pool.nd",
            "mode": "managed",
            "type": "azurerm_kubernetes_cluster_node_pool",
            "name": "nd",
            "provider_config_key": "azurerm",
            "expressions": {
                "kubernetes_cluster_id": {
                    "references": [
                        "azurerm_kubernetes_cluster.aks.id",
                        "azurerm_kubernetes_cluster.aks",
                    ]
                }
            },
        }
    ]
    spec = load(write_plan(tmp_path, resources, {"aws": aws_provider("cn-north-1")}, config))
    hardware = {
        s.id: (s.location, [(a.model, a.count) for a in s.accelerators]) for s in spec.systems
    }
    assert hardware["google_container_node_pool.h100"] == (
        "gcp:us-central1",
        [("NVIDIA H100 SXM", 32)],
    )
    assert hardware["google_compute_instance.t4"] == ("gcp:asia-east2-a", [("NVIDIA T4", 2)])
    # the node pool has no location of its own: it is where its cluster is
    assert hardware["azurerm_kubernetes_cluster_node_pool.nd"] == (
        "azure:chinanorth3",
        [("NVIDIA H100 SXM", 32)],
    )
    assert hardware["azurerm_kubernetes_cluster.aks"] == ("azure:chinanorth3", [])
    assert hardware["aws_instance.gpu[0]"] == ("aws:cn-north-1", [("NVIDIA L40S", 4)])


def test_autoscaling_group_takes_gpus_from_its_launch_template(tmp_path):
    resources = [
        resource(
            "aws_launch_template.gpu",
            "aws_launch_template",
            {"name": "gpu", "instance_type": "p4de.24xlarge"},
        ),
        resource(
            "aws_autoscaling_group.gpu",
            "aws_autoscaling_group",
            {
                "desired_capacity": 3,
                "max_size": 4,
                "min_size": 0,
                "launch_template": [{"version": "$Latest"}],
            },
        ),
    ]
    config = [
        {
            "address": "aws_autoscaling_group.gpu",
            "mode": "managed",
            "type": "aws_autoscaling_group",
            "name": "gpu",
            "provider_config_key": "aws",
            "expressions": {
                "launch_template": [
                    {
                        "id": {
                            "references": ["aws_launch_template.gpu.id", "aws_launch_template.gpu"]
                        }
                    }
                ]
            },
        }
    ]
    spec = load(write_plan(tmp_path, resources, {"aws": aws_provider("cn-northwest-1")}, config))
    assert [s.id for s in spec.systems] == [
        "aws_autoscaling_group.gpu"
    ]  # the template runs nothing itself
    # the most it may scale to: 4 machines of 8 GPUs
    assert [(a.model, a.count) for a in spec.systems[0].accelerators] == [("NVIDIA A100 80GB", 32)]


@pytest.mark.parametrize(
    "kind, values, provider, expected",
    [
        ("aws_spot_instance_request", {"instance_type": "g5.12xlarge"}, AWS, [("NVIDIA A10G", 4)]),
        (
            "aws_eks_node_group",
            {"instance_types": ["p5.48xlarge"], "scaling_config": [{"desired_size": 4}]},
            AWS,
            [("NVIDIA H100 SXM", 32)],
        ),
        (
            "aws_autoscaling_group",
            {
                "max_size": 5,
                "mixed_instances_policy": [
                    {
                        "launch_template": [
                            {
                                "override": [
                                    {"instance_type": "p5.48xlarge"},
                                    {"instance_type": "p4de.24xlarge"},
                                ]
                            }
                        ]
                    }
                ],
            },
            AWS,
            [("NVIDIA H100 SXM", 40), ("NVIDIA A100 80GB", 40)],
        ),
        (
            "google_container_cluster",
            {
                "location": "asia-east2",
                "initial_node_count": 3,
                "node_config": [{"machine_type": "a3-megagpu-8g"}],
            },
            GOOGLE,
            [("NVIDIA H100 SXM", 72)],
        ),  # a regional cluster: 3 nodes in each of the region's 3 default zones
        (
            "google_container_node_pool",
            {
                "location": "asia-east2",
                "node_locations": ["asia-east2-a", "asia-east2-b"],
                "autoscaling": [{"max_node_count": 5, "total_max_node_count": 30}],
                "node_config": [
                    {
                        "machine_type": "n1-standard-8",
                        "guest_accelerator": [{"type": "nvidia-tesla-t4", "count": 1}],
                    }
                ],
            },
            GOOGLE,
            [("NVIDIA T4", 30)],
        ),
        (
            "azurerm_virtual_machine",
            {"location": "eastus", "vm_size": "Standard_NC12s_v3"},
            AZURE,
            [("NVIDIA V100 SXM2", 2)],
        ),
        (
            "azurerm_linux_virtual_machine_scale_set",
            {"location": "eastus", "sku": "Standard_ND96isr_MI300X_v5", "instances": 3},
            AZURE,
            [("AMD Instinct MI300X", 24)],
        ),
        (
            "azurerm_kubernetes_cluster",
            {
                "location": "chinaeast3",
                "default_node_pool": [
                    {"vm_size": "Standard_ND96asr_v4", "node_count": 2, "max_count": 6}
                ],
            },
            AZURE,
            [("NVIDIA A100 40GB", 48)],
        ),
        (
            "alicloud_instance",
            {"region": "cn-shanghai", "instance_type": "ecs.gn7-c12g1.3xlarge", "amount": 2},
            ALIBABA,
            [("NVIDIA A100 40GB", 2)],
        ),
        (
            "alicloud_cs_kubernetes_node_pool",
            {
                "region": "cn-shanghai",
                "instance_types": ["ecs.gn7i-c16g1.4xlarge"],
                "desired_size": 2,
                "scaling_config": [{"max_size": 9}],
            },
            ALIBABA,
            [("NVIDIA A10", 9)],
        ),
        ("aws_lambda_function", {"function_name": "f"}, AWS, []),
        # scale-from-zero pools: the maximum, and a GPU model never vanishes
        (
            "aws_eks_node_group",
            {
                "instance_types": ["p5.48xlarge"],
                "scaling_config": [{"desired_size": 0, "max_size": 16}],
            },
            AWS,
            [("NVIDIA H100 SXM", 128)],
        ),
        (
            "aws_eks_node_group",
            {"instance_types": ["p5.48xlarge"], "scaling_config": [{"desired_size": 0}]},
            AWS,
            [("NVIDIA H100 SXM", 8)],
        ),
        (
            "azurerm_linux_virtual_machine_scale_set",
            {"location": "eastus", "sku": "Standard_ND96isr_H100_v5", "instances": 0},
            AZURE,
            [("NVIDIA H100 SXM", 8)],
        ),
        (
            "aws_autoscaling_group",
            {
                "desired_capacity": 0,
                "max_size": 0,
                "mixed_instances_policy": [
                    {"launch_template": [{"override": [{"instance_type": "p5.48xlarge"}]}]}
                ],
            },
            AWS,
            [("NVIDIA H100 SXM", 8)],
        ),
        (
            "google_compute_instance",
            {
                "zone": "asia-east2-a",
                "machine_type": "n1-standard-8",
                "guest_accelerator": [{"type": "nvidia-tesla-t4", "count": 0}],
            },
            GOOGLE,
            [("NVIDIA T4", 1)],
        ),
        # compute types read since the review
        (
            "alicloud_instance",
            {"region": "cn-shanghai", "instance_type": "ecs.gn7e.32xlarge"},
            ALIBABA,
            [("NVIDIA A100 80GB", 1)],
        ),
        (
            "aws_sagemaker_notebook_instance",
            {"instance_type": "ml.p5.48xlarge"},
            AWS,
            [("NVIDIA H100 SXM", 8)],
        ),
        (
            "aws_batch_compute_environment",
            {"compute_resources": [{"instance_type": ["p5.48xlarge"], "max_vcpus": 1536}]},
            AWS,
            [("NVIDIA H100 SXM", 8)],
        ),
        (
            "aws_emr_cluster",
            {
                "master_instance_group": [{"instance_type": "m5.xlarge"}],
                "core_instance_group": [{"instance_type": "p4d.24xlarge", "instance_count": 4}],
            },
            AWS,
            [("NVIDIA A100 40GB", 32)],
        ),
        (
            "google_container_cluster",
            {
                "location": "asia-east2",
                "node_pool": [
                    {
                        "name": "gpu",
                        "node_count": 4,
                        "node_config": [{"machine_type": "a3-highgpu-8g"}],
                    }
                ],
            },
            GOOGLE,
            [("NVIDIA H100 SXM", 96)],
        ),  # 4 nodes in each of 3 zones
        (
            "google_workbench_instance",
            {"location": "asia-east2-a", "gce_setup": [{"machine_type": "a3-highgpu-8g"}]},
            GOOGLE,
            [("NVIDIA H100 SXM", 8)],
        ),
        (
            "azurerm_orchestrated_virtual_machine_scale_set",
            {"location": "chinanorth3", "instances": 4, "sku_name": "Standard_ND96isr_H100_v5"},
            AZURE,
            [("NVIDIA H100 SXM", 32)],
        ),
        (
            "azurerm_machine_learning_compute_cluster",
            {
                "location": "chinanorth3",
                "vm_size": "Standard_ND96isr_H100_v5",
                "scale_settings": [{"max_node_count": 4}],
            },
            AZURE,
            [("NVIDIA H100 SXM", 32)],
        ),
        (
            "alicloud_cs_managed_kubernetes",
            {
                "region": "cn-shanghai",
                "worker_number": 3,
                "worker_instance_types": ["ecs.gn7e-c16g1.32xlarge"],
            },
            ALIBABA,
            [("NVIDIA A100 80GB", 3)],
        ),
    ],
)
def test_gpus_times_the_machines_each_compute_type_may_run(
    tmp_path, kind, values, provider, expected
):
    """Node pools and scale sets count their largest size: the GPUs that may run there."""
    spec = load(
        write_plan(
            tmp_path,
            [resource(f"{kind}.x", kind, values, provider)],
            {"aws": aws_provider("cn-north-1")},
        )
    )
    assert [(a.model, a.count) for a in spec.systems[0].accelerators] == expected


def test_launch_template_of_a_spot_request_is_counted_once(tmp_path):
    resources = [
        resource(
            "aws_launch_template.gpu",
            "aws_launch_template",
            {"name": "gpu", "instance_type": "p5.48xlarge"},
        ),
        resource(
            "aws_spot_instance_request.s",
            "aws_spot_instance_request",
            {"launch_template": [{"name": "gpu"}]},
        ),
    ]
    spec = load(write_plan(tmp_path, resources, {"aws": aws_provider("cn-north-1")}))
    assert [(s.id, [(a.model, a.count) for a in s.accelerators]) for s in spec.systems] == [
        ("aws_spot_instance_request.s", [("NVIDIA H100 SXM", 8)])
    ]


def test_unknown_gpu_instance_is_reported_not_ignored(tmp_path):
    path = write_plan(
        tmp_path,
        [resource("aws_instance.future", "aws_instance", {"instance_type": "p7.48xlarge"})],
        {"aws": aws_provider("cn-north-1")},
    )
    result = run(str(path), "--format", "json")
    assert result.exit_code == 1
    # whichever export-control rule judges unclassifiable hardware, it names the system and the type
    assert any(
        v["rule"].startswith("US-EAR")
        and v["subject"] == {"kind": "system", "id": "aws_instance.future"}
        and "p7.48xlarge" in v["message"]
        for v in json.loads(result.stdout)["violations"]
    )


def test_plan_in_a_directory_is_found_by_detection(tmp_path):
    (tmp_path / "plan.json").write_text((EXAMPLES / "cn-gpu-cluster.json").read_text())
    documents = load_file(str(tmp_path / "plan.json"))
    assert plan_to_spec(documents[0]).name == "terraform plan plan"
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert "US-EAR-AC-LICENCE" in result.stdout


def test_compute_without_a_reader_naming_a_gpu_type_fails_closed(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "google_dataproc_cluster.d",
                "google_dataproc_cluster",
                {
                    "region": "asia-east2",
                    "cluster_config": [{"worker_config": [{"machine_type": "a3-highgpu-8g"}]}],
                },
                GOOGLE,
            )
        ],
    )
    error = load_error(path, "runs GPU machine type 'a3-highgpu-8g'")
    assert error.line == line_of(path, '"machine_type": "a3-highgpu-8g"')
    # a CPU type is no error
    load(
        write_plan(
            tmp_path,
            [
                resource(
                    "google_dataproc_cluster.d",
                    "google_dataproc_cluster",
                    {
                        "region": "asia-east2",
                        "cluster_config": [{"worker_config": [{"machine_type": "n2-standard-8"}]}],
                    },
                    GOOGLE,
                )
            ],
        )
    )


# --- review fixes: locations ------------------------------------------------------------------------


def test_conditional_provider_region_cannot_be_told(tmp_path):
    providers = {
        "aws": {
            "name": "aws",
            "expressions": {
                "region": {"references": ["var.use_us", "var.us_region", "var.cn_region"]}
            },
        }
    }
    variables = {
        "use_us": {"value": False},
        "us_region": {"value": "us-west-2"},
        "cn_region": {"value": "cn-northwest-1"},
    }
    path = write_plan(
        tmp_path,
        [resource("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "b"})],
        providers,
        variables=variables,
    )
    load_error(path, "cannot tell where this aws_s3_bucket is")
    providers["aws"]["expressions"]["region"]["references"] = ["var.cn_region"]
    path = write_plan(
        tmp_path,
        [resource("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "b"})],
        providers,
        variables=variables,
    )
    assert load(path).systems[0].location == "aws:cn-northwest-1"


def test_nested_module_variable_set_by_its_caller(tmp_path):
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "child_modules": [
                    {
                        "address": "module.a",
                        "child_modules": [
                            {
                                "address": "module.a.module.b",
                                "resources": [
                                    resource(
                                        "module.a.module.b.aws_s3_bucket.x",
                                        "aws_s3_bucket",
                                        {"bucket": "x"},
                                    )
                                ],
                            }
                        ],
                    }
                ]
            }
        },
        "configuration": {
            "provider_config": {
                "module.a.module.b:aws": {
                    "name": "aws",
                    "module_address": "module.a.module.b",
                    "expressions": {"region": {"references": ["var.region"]}},
                }
            },
            "root_module": {
                "module_calls": {
                    "a": {
                        "module": {
                            "module_calls": {
                                "b": {
                                    "expressions": {"region": {"constant_value": "cn-north-1"}},
                                    "module": {
                                        "resources": [
                                            {
                                                "address": "aws_s3_bucket.x",
                                                "mode": "managed",
                                                "type": "aws_s3_bucket",
                                                "provider_config_key": "module.a.module.b:aws",
                                            }
                                        ]
                                    },
                                }
                            }
                        }
                    }
                }
            },
        },
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    assert load(path).systems[0].location == "aws:cn-north-1"


def test_node_pools_pointing_at_each_other_have_no_location(tmp_path):
    pools = [
        resource(
            f"azurerm_kubernetes_cluster_node_pool.{a}",
            "azurerm_kubernetes_cluster_node_pool",
            {"name": a, "id": f"/x/{a}", "kubernetes_cluster_id": f"/x/{b}", "vm_size": size},
            AZURE,
        )
        for a, b, size in (
            ("a", "b", "Standard_ND96isr_H100_v5"),
            ("b", "a", "Standard_ND96isr_H100_v5"),
            ("c", "a", "Standard_D4s_v5"),
        )
    ]
    spec = load(write_plan(tmp_path, pools))
    errors = spec.coverage.errors
    assert [e.message.split(":")[0] for e in errors] == [
        f"azurerm_kubernetes_cluster_node_pool.{a}" for a in "ab"
    ]
    assert all(
        "cannot tell where this azurerm_kubernetes_cluster_node_pool" in e.message for e in errors
    )
    # compute holding no accelerators and no data needs no location: skipped, not an error
    assert spec.coverage.skipped == {"error": 2, "no-location": 1}


def test_plan_without_planned_values_is_an_input_error(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps({"format_version": "1.2", "resource_changes": [], "configuration": {}})
    )
    with pytest.raises(InputError, match="no 'planned_values'"):
        load(path)


def test_cloud_sql_user_labels_and_gcp_effective_labels_declare_data(tmp_path):
    cn = {"data-origin": "CN", "data-categories": "personal"}
    resources = [
        resource(
            "google_sql_database_instance.a",
            "google_sql_database_instance",
            {
                "name": "a",
                "region": "asia-east2",
                "settings": [{"tier": "db-f1-micro", "user_labels": cn}],
            },
            GOOGLE,
        ),
        resource(
            "google_storage_bucket.b",
            "google_storage_bucket",
            {"name": "b", "location": "ASIA-EAST2", "effective_labels": cn},
            GOOGLE,
        ),
        resource(
            "google_storage_bucket.c",
            "google_storage_bucket",
            {"name": "c", "location": "ASIA-EAST2", "terraform_labels": cn},
            GOOGLE,
        ),
    ]
    spec = load(write_plan(tmp_path, resources))
    assert sorted(d.id for d in spec.datasets) == [
        "google_sql_database_instance.a#data",
        "google_storage_bucket.b#data",
        "google_storage_bucket.c#data",
    ]


# --- review fixes: flows -----------------------------------------------------------------------------


def _backup(selection_values, config=None, extra=()):
    return [
        resource(
            "aws_s3_bucket.data",
            "aws_s3_bucket",
            {"bucket": "fleet-video", "tags": {"data-origin": "DE", "data-categories": "personal"}},
        ),
        resource("aws_backup_vault.main", "aws_backup_vault", {"name": "main"}),
        resource(
            "aws_backup_plan.p",
            "aws_backup_plan",
            {"name": "p", "id": "plan-1", "rule": [{"target_vault_name": "main"}]},
        ),
        resource(
            "aws_backup_selection.s",
            "aws_backup_selection",
            {"plan_id": "plan-1", **selection_values},
        ),
        *extra,
    ]


@pytest.mark.parametrize(
    "selection",
    [
        {
            "resources": [],
            "selection_tag": [{"type": "STRINGEQUALS", "key": "backup", "value": "true"}],
        },
        {
            "resources": [],
            "condition": [
                {
                    "string_equals": [{"key": "aws:ResourceTag/backup", "value": "true"}],
                    "string_like": [],
                }
            ],
        },
        {"resources": ["*"]},
        {"resources": ["arn:aws:s3:::fleet-*"]},
    ],
)
def test_backup_selection_by_tag_condition_or_wildcard_fails_closed(tmp_path, selection):
    path = write_plan(tmp_path, _backup(selection), {"aws": aws_provider("eu-central-1")})
    load_error(path, "aws_backup_selection.s: dlc cannot tell which resources")


def test_backup_selection_whose_plan_is_not_in_the_plan_json_fails_closed(tmp_path):
    resources = _backup({"resources": ["arn:aws:s3:::fleet-video"]})
    resources[3]["values"]["plan_id"] = "plan-elsewhere"
    load_error(
        write_plan(tmp_path, resources, {"aws": aws_provider("eu-central-1")}),
        "aws_backup_selection.s: its backup plan is not in this plan JSON",
    )


def test_backup_selection_names_the_bucket_not_a_sub_resource_sharing_its_name(tmp_path):
    hardening = {
        "address": "module.hardening",
        "resources": [
            resource(
                "module.hardening.aws_s3_bucket_public_access_block.this",
                "aws_s3_bucket_public_access_block",
                {"bucket": "fleet-video"},
            )
        ],
    }
    plan = write_plan(
        tmp_path,
        _backup({"resources": ["arn:aws:s3:::fleet-video"]}),
        {"aws": aws_provider("eu-central-1")},
        child_modules=[hardening],
    )
    assert [(f.source, f.target) for f in load(plan).flows] == [
        ("aws_s3_bucket.data", "aws_backup_vault.main")
    ]


def test_backup_copy_to_an_arn_in_another_region_is_not_the_local_vault_of_that_name(tmp_path):
    resources = _backup({"resources": ["arn:aws:s3:::fleet-video"]})
    resources[2]["values"]["rule"][0]["copy_action"] = [
        {"destination_vault_arn": "arn:aws:backup:us-east-1:111122223333:backup-vault:main"}
    ]
    flows = {
        (f.source, f.target)
        for f in load(write_plan(tmp_path, resources, {"aws": aws_provider("eu-central-1")})).flows
    }
    assert (
        "aws_backup_vault.main",
        "external:arn:aws:backup:us-east-1:111122223333:backup-vault:main",
    ) in flows
    # in its own region it is that vault, whatever location tag it carries
    resources[1]["values"]["tags"] = {"dlc-location": "DE"}
    resources[2]["values"]["rule"][0]["copy_action"] = [
        {"destination_vault_arn": "arn:aws:backup:eu-central-1:111122223333:backup-vault:main"}
    ]
    flows = {
        (f.source, f.target)
        for f in load(write_plan(tmp_path, resources, {"aws": aws_provider("eu-central-1")})).flows
    }
    assert flows == {("aws_s3_bucket.data", "aws_backup_vault.main")}


def test_replica_of_a_module_output_fails_closed(tmp_path):
    config = [
        _config(
            "aws_db_instance.r",
            "aws_db_instance",
            {"replicate_source_db": {"references": ["module.db.arn", "module.db"]}},
        )
    ]
    path = write_plan(
        tmp_path,
        [resource("aws_db_instance.r", "aws_db_instance", {"identifier": "r"})],
        {"aws": aws_provider("eu-central-1")},
        config_resources=config,
    )
    load_error(path, "the replication source database is not a resource in this plan")


def _module_plan(tmp_path, module_resources, module_config, root_resources=()):
    child = {"address": "module.m", "resources": module_resources}
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {"resources": list(root_resources), "child_modules": [child]}
        },
        "configuration": {
            "provider_config": {"aws": aws_provider("eu-central-1")},
            "root_module": {"module_calls": {"m": {"module": {"resources": module_config}}}},
        },
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    return path


def _config(address, kind, expressions):
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "provider_config_key": "aws",
        "expressions": expressions,
    }


@pytest.mark.parametrize(
    "kind, values, expressions, message",
    [
        (
            "aws_db_instance",
            {"identifier": "r"},
            {"replicate_source_db": {"references": ["var.source_arn"]}},
            "the replication source database is not a resource in this plan",
        ),
        (
            "aws_rds_cluster",
            {"cluster_identifier": "s"},
            {"global_cluster_identifier": {"references": ["var.id"]}},
            "the global database is not a resource in this plan",
        ),
        (
            "aws_backup_plan",
            {"name": "p", "rule": [{"target_vault_name": "v", "copy_action": [{}]}]},
            {
                "rule": [
                    {
                        "copy_action": [
                            {"destination_vault_arn": {"references": ["var.copy_vault_arn"]}}
                        ]
                    }
                ]
            },
            "the backup copy destination vault is not a resource in this plan",
        ),
    ],
)
def test_attributes_known_only_after_apply_are_set_and_fail_closed(
    tmp_path, kind, values, expressions, message
):
    extra = (
        [resource("aws_backup_vault.v", "aws_backup_vault", {"name": "v"})]
        if kind == "aws_backup_plan"
        else []
    )
    path = _module_plan(
        tmp_path,
        [resource(f"module.m.{kind}.x", kind, values)],
        [_config(f"{kind}.x", kind, expressions)],
        extra,
    )
    load_error(path, message)


# --- set-typed blocks: paired with their configuration by key, never by index ------------------------


def _inline_rules(tmp_path, value_rules, config_rules):
    """A DE bucket with inline replication rules (a set), and buckets in the US and in the EU."""
    resources = [
        resource(
            "aws_s3_bucket.src",
            "aws_s3_bucket",
            {
                "bucket": "src-b",
                "tags": {"data-origin": "DE", "data-categories": "personal"},
                "replication_configuration": [{"rules": value_rules}],
            },
        ),
        resource("aws_s3_bucket.us", "aws_s3_bucket", {"bucket": "us-b", "region": "us-east-1"}),
        resource("aws_s3_bucket.eu2", "aws_s3_bucket", {"bucket": "eu2-b"}),
    ]
    config = [
        _config(
            "aws_s3_bucket.src",
            "aws_s3_bucket",
            {"replication_configuration": [{"rules": config_rules}]},
        )
    ]
    return write_plan(
        tmp_path, resources, {"aws": aws_provider("eu-central-1")}, config_resources=config
    )


def _config_rule(status, target, rule_id=None):
    rule = {
        "status": {"constant_value": status},
        "destination": [
            {"bucket": {"references": [f"aws_s3_bucket.{target}.arn", f"aws_s3_bucket.{target}"]}}
        ],
    }
    return {"id": {"constant_value": rule_id}, **rule} if rule_id else rule


def test_inline_replication_rules_in_another_order_than_configured_are_paired_by_id(tmp_path):
    # Terraform lists the set's rules in another order than the configuration
    path = _inline_rules(
        tmp_path,
        [
            {"id": "to-eu2", "status": "Disabled", "destination": [{}]},
            {"id": "to-us", "status": "Enabled", "destination": [{}]},
        ],
        [_config_rule("Enabled", "us", "to-us"), _config_rule("Disabled", "eu2", "to-eu2")],
    )
    assert [(f.source, f.target) for f in load(path).flows] == [
        ("aws_s3_bucket.src", "aws_s3_bucket.us")
    ]


def test_inline_replication_rules_that_cannot_be_paired_fail_closed(tmp_path):
    path = _inline_rules(
        tmp_path,
        [{"status": "Disabled", "destination": [{}]}, {"status": "Enabled", "destination": [{}]}],
        [_config_rule("Enabled", "us"), _config_rule("Disabled", "eu2")],
    )
    error = load_error(
        path,
        r"aws_s3_bucket.src: cannot tell the destination bucket of this "
        r"replication rule: .*unique constant 'id'",
    )
    assert error.line == line_of(path, '"status": "Enabled"') - 1
    result = run(str(path), "--format", "json")
    assert result.exit_code == 2 and "cannot tell the destination bucket" in result.output


def test_inline_replication_rules_that_cannot_be_paired_use_the_destination_in_values(tmp_path):
    # ids computed (var.*): no pairing, so the configuration's references are not used, only the values
    path = _inline_rules(
        tmp_path,
        [
            {"status": "Disabled", "destination": [{"bucket": "arn:aws:s3:::eu2-b"}]},
            {"status": "Enabled", "destination": [{"bucket": "arn:aws:s3:::us-b"}]},
        ],
        [_config_rule("Enabled", "us"), _config_rule("Disabled", "eu2")],
    )
    assert [(f.source, f.target) for f in load(path).flows] == [
        ("aws_s3_bucket.src", "aws_s3_bucket.us")
    ]


def _backup_rules(tmp_path, value_rules, config_rules):
    resources = _backup(
        {"resources": ["arn:aws:s3:::fleet-video"]},
        extra=[
            resource("aws_backup_vault.archive", "aws_backup_vault", {"name": "archive"}),
            resource(
                "aws_backup_vault.us", "aws_backup_vault", {"name": "us", "region": "us-east-1"}
            ),
        ],
    )
    resources[2]["values"]["rule"] = value_rules
    config = [_config("aws_backup_plan.p", "aws_backup_plan", {"rule": config_rules})]
    return write_plan(
        tmp_path, resources, {"aws": aws_provider("eu-central-1")}, config_resources=config
    )


def _copy_to(vault):
    return {
        "destination_vault_arn": {
            "references": [f"aws_backup_vault.{vault}.arn", f"aws_backup_vault.{vault}"]
        }
    }


def test_backup_rules_in_another_order_than_configured_are_paired_by_rule_name(tmp_path):
    path = _backup_rules(
        tmp_path,
        [
            {"rule_name": "daily", "target_vault_name": "main", "copy_action": [{"lifecycle": []}]},
            {"rule_name": "weekly", "target_vault_name": "archive", "copy_action": []},
        ],
        [
            {"rule_name": {"constant_value": "weekly"}},
            {"rule_name": {"constant_value": "daily"}, "copy_action": [_copy_to("us")]},
        ],
    )
    flows = {(f.source, f.target) for f in load(path).flows}
    assert flows == {
        ("aws_s3_bucket.data", "aws_backup_vault.main"),
        ("aws_s3_bucket.data", "aws_backup_vault.archive"),
        ("aws_backup_vault.main", "aws_backup_vault.us"),
    }


@pytest.mark.parametrize(
    "daily_name, message",
    [
        (
            {"references": ["var.daily"]},
            r"cannot tell the destination vault of this copy_action: .*'rule_name'",
        ),
        ({"constant_value": "daily"}, None),
    ],
)
def test_backup_rules_or_copy_actions_that_cannot_be_paired_fail_closed(
    tmp_path, daily_name, message
):
    rules = [
        {"rule_name": "daily", "target_vault_name": "main", "copy_action": [{"lifecycle": []}]},
        {"rule_name": "weekly", "target_vault_name": "archive", "copy_action": []},
    ]
    config = [
        {"rule_name": {"constant_value": "weekly"}},
        {"rule_name": daily_name, "copy_action": [_copy_to("us")]},
    ]
    if (
        message is None
    ):  # rules paired, but two copy actions whose destinations are known only after apply
        rules[0]["copy_action"].append({"lifecycle": [{"delete_after": 30}]})
        config[1]["copy_action"].append(_copy_to("archive"))
        message = r"cannot tell the destination vault of this copy_action: (?!.*rule_name)"
    path = _backup_rules(tmp_path, rules, config)
    load_error(path, message)


def test_backup_copy_actions_that_cannot_be_paired_use_the_destination_in_values(tmp_path):
    us = "arn:aws:backup:us-east-1:1:backup-vault:us"
    path = _backup_rules(
        tmp_path,
        [
            {"rule_name": "weekly", "target_vault_name": "archive", "copy_action": []},
            {
                "rule_name": "daily",
                "target_vault_name": "main",
                "copy_action": [{"destination_vault_arn": us}],
            },
        ],
        [
            {"rule_name": {"references": ["var.daily"]}, "copy_action": [_copy_to("us")]},
            {"rule_name": {"references": ["var.weekly"]}},
        ],
    )
    flows = {(f.source, f.target) for f in load(path).flows}  # the weekly rule copies nothing
    assert flows == {
        ("aws_s3_bucket.data", "aws_backup_vault.main"),
        ("aws_s3_bucket.data", "aws_backup_vault.archive"),
        ("aws_backup_vault.main", "aws_backup_vault.us"),
    }
