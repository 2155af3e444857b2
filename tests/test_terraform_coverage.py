"""The Terraform adapter on estates as teams have them: every way the clouds copy data as a flow
(cross-border ones reported, in-country ones not), multi-regions and region pairs as systems in
each country, classification without dlc tags, and a plan whose unknown or broken resources never
hide the findings of the others."""

from __future__ import annotations

import json

import pytest

from checker.resolve.resolver import resolve
from test_terraform import (
    ALIBABA,
    AWS,
    AZURE,
    GOOGLE,
    aws_provider,
    line_of,
    load,
    resource,
    run,
    write_plan,
)

CN_PERSONAL = {"data-origin": "CN", "data-categories": "personal"}
UNCLASSIFIED = "UNCLASSIFIED-DATA-CROSSES-BORDER"


def report(path, *args):
    result = run(str(path), "--format", "json", *args)
    assert result.exit_code in (0, 1, 2), result.output
    return result.exit_code, json.loads(result.stdout)


def findings(data, rule) -> list[str]:
    return sorted(v["subject"]["id"] for v in data["violations"] if v["rule"] == rule)


def provider(name, region):
    full = {"aws": AWS, "azurerm": AZURE, "google": GOOGLE, "alicloud": ALIBABA}[name]
    return {"name": name, "full_name": full, "expressions": {"region": {"constant_value": region}}}


# --- AWS -------------------------------------------------------------------------------------


def test_s3_replication_of_china_personal_data_is_an_export_carried_encrypted(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource("aws_s3_bucket.cn", "aws_s3_bucket", {"bucket": "cn", "tags": CN_PERSONAL}),
            resource("aws_s3_bucket.us", "aws_s3_bucket", {"bucket": "us", "region": "us-east-1"}),
            resource(
                "aws_s3_bucket_replication_configuration.r",
                "aws_s3_bucket_replication_configuration",
                {
                    "bucket": "cn",
                    "rule": [{"status": "Enabled", "destination": [{"bucket": "arn:aws:s3:::us"}]}],
                },
            ),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    [flow] = load(path).flows
    assert (flow.mode, flow.encrypted) == ("replication", True)
    code, data = report(path)
    assert code == 1
    assert findings(data, "CN-PI-EXPORT") == ["aws_s3_bucket_replication_configuration.r"]
    assert findings(data, "SPEC-PI-UNENCRYPTED-BORDER") == []


def test_rds_replica_of_a_source_outside_the_plan_named_by_arn(tmp_path):
    def plan(arn):
        return write_plan(
            tmp_path,
            [
                resource(
                    "aws_db_instance.replica",
                    "aws_db_instance",
                    {"identifier": "replica", "replicate_source_db": arn},
                )
            ],
            {"aws": aws_provider("us-east-1")},
        )

    code, data = report(plan("arn:aws-cn:rds:cn-north-1:123456789012:db:orders"))
    assert code == 1
    assert findings(data, UNCLASSIFIED) == ["aws_db_instance.replica"]
    [violation] = data["violations"]
    assert violation["path"] == [
        "external:arn:aws-cn:rds:cn-north-1:123456789012:db:orders",
        "aws_db_instance.replica",
    ]
    code, data = report(plan("arn:aws:rds:us-west-2:123456789012:db:orders"))  # stays in the US
    assert (code, data["violations"]) == (0, [])


def test_aurora_global_database_with_a_primary_outside_the_plan(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_rds_global_cluster.g",
                "aws_rds_global_cluster",
                {
                    "global_cluster_identifier": "g",
                    "source_db_cluster_identifier": "arn:aws-cn:rds:cn-northwest-1:123456789012:cluster:main",
                },
            ),
            resource(
                "aws_rds_cluster.eu",
                "aws_rds_cluster",
                {
                    "cluster_identifier": "eu",
                    "region": "eu-west-1",
                    "global_cluster_identifier": "g",
                },
            ),
        ],
        {"aws": aws_provider("us-east-1")},
    )
    code, data = report(path)
    assert findings(data, UNCLASSIFIED) == ["aws_rds_global_cluster.g"]
    assert data["violations"][0]["path"][-1] == "aws_rds_cluster.eu"


@pytest.mark.parametrize(
    "resources, flow",
    [
        (
            [
                resource(
                    "aws_dynamodb_table.t",
                    "aws_dynamodb_table",
                    {
                        "name": "t",
                        "tags": CN_PERSONAL,
                        "replica": [
                            {"region_name": "cn-northwest-1"},
                            {"region_name": "ap-southeast-1"},
                        ],
                    },
                )
            ],
            "aws_dynamodb_table.t",
        ),
        (
            [
                resource(
                    "aws_dynamodb_global_table.t",
                    "aws_dynamodb_global_table",
                    {
                        "name": "t",
                        "tags": CN_PERSONAL,
                        "replica": [
                            {"region_name": "cn-north-1"},
                            {"region_name": "ap-southeast-1"},
                        ],
                    },
                )
            ],
            "aws_dynamodb_global_table.t",
        ),
        (
            [
                resource(
                    "aws_dynamodb_table.t",
                    "aws_dynamodb_table",
                    {
                        "name": "t",
                        "tags": CN_PERSONAL,
                        "arn": "arn:aws-cn:dynamodb:cn-north-1:1:table/t",
                    },
                ),
                resource(
                    "aws_dynamodb_table_replica.sg",
                    "aws_dynamodb_table_replica",
                    {
                        "region": "ap-southeast-1",
                        "global_table_arn": "arn:aws-cn:dynamodb:cn-north-1:1:table/t",
                    },
                ),
            ],
            "aws_dynamodb_table_replica.sg",
        ),
    ],
)
def test_dynamodb_global_tables_replicate_abroad(tmp_path, resources, flow):
    path = write_plan(tmp_path, resources, {"aws": aws_provider("cn-north-1")})
    code, data = report(path)
    assert code == 1
    [subject] = findings(data, "CN-PI-EXPORT")
    assert subject.startswith(flow)
    assert findings(data, "SPEC-PI-UNENCRYPTED-BORDER") == []


def test_dynamodb_replica_in_the_same_country_is_no_finding(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_dynamodb_table.t",
                "aws_dynamodb_table",
                {"name": "t", "tags": CN_PERSONAL, "replica": [{"region_name": "cn-northwest-1"}]},
            )
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    spec = load(path)
    assert [s.id for s in spec.systems] == ["aws_dynamodb_table.t"]  # one country: one system
    code, data = report(path)
    assert (code, data["violations"]) == (0, [])


def test_elasticache_global_datastore_secondary_receives_the_primary(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_elasticache_replication_group.primary",
                "aws_elasticache_replication_group",
                {"replication_group_id": "primary", "tags": CN_PERSONAL},
            ),
            resource(
                "aws_elasticache_global_replication_group.g",
                "aws_elasticache_global_replication_group",
                {
                    "global_replication_group_id_suffix": "g",
                    "global_replication_group_id": "abc-g",
                    "primary_replication_group_id": "primary",
                },
            ),
            resource(
                "aws_elasticache_replication_group.secondary",
                "aws_elasticache_replication_group",
                {
                    "replication_group_id": "secondary",
                    "region": "eu-central-1",
                    "global_replication_group_id": "abc-g",
                },
            ),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    [flow] = load(path).flows
    assert (flow.source, flow.target, flow.mode) == (
        "aws_elasticache_replication_group.primary",
        "aws_elasticache_replication_group.secondary",
        "replication",
    )
    assert findings(report(path)[1], "CN-PI-EXPORT") == [
        "aws_elasticache_replication_group.secondary"
    ]


def test_ecr_replication_copies_the_registry_s_repositories_to_each_destination_region(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource("aws_ecr_repository.models", "aws_ecr_repository", {"name": "models"}),
            resource("aws_ecr_repository.other", "aws_ecr_repository", {"name": "web"}),
            resource(
                "aws_ecr_replication_configuration.r",
                "aws_ecr_replication_configuration",
                {
                    "replication_configuration": [
                        {
                            "rule": [
                                {
                                    "destination": [{"region": "us-west-2", "registry_id": "1"}],
                                    "repository_filter": [
                                        {"filter": "mod", "filter_type": "PREFIX_MATCH"}
                                    ],
                                }
                            ]
                        }
                    ]
                },
            ),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    spec = load(path)
    [flow] = spec.flows
    assert (flow.source, flow.target) == (
        "aws_ecr_repository.models",
        "aws_ecr_replication_configuration.r@us-west-2",
    )
    assert resolve(spec).country[flow.target] == "US"
    assert findings(report(path)[1], UNCLASSIFIED) == ["aws_ecr_replication_configuration.r"]


def test_backup_copy_to_another_country_is_a_backup_flow_carried_encrypted(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_s3_bucket.cn",
                "aws_s3_bucket",
                {"bucket": "cn", "arn": "arn:aws-cn:s3:::cn", "tags": CN_PERSONAL},
            ),
            resource("aws_backup_vault.main", "aws_backup_vault", {"name": "main"}),
            resource(
                "aws_backup_plan.p",
                "aws_backup_plan",
                {
                    "name": "p",
                    "id": "p1",
                    "rule": [
                        {
                            "rule_name": "daily",
                            "target_vault_name": "main",
                            "copy_action": [
                                {
                                    "destination_vault_arn": "arn:aws:backup:us-east-1:1:backup-vault:dr"
                                }
                            ],
                        }
                    ],
                },
            ),
            resource(
                "aws_backup_selection.s",
                "aws_backup_selection",
                {"plan_id": "p1", "resources": ["arn:aws-cn:s3:::cn"]},
            ),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    flows = {f.target: f for f in load(path).flows}
    assert {f.mode for f in flows.values()} == {"backup"} and all(
        f.encrypted for f in flows.values()
    )
    data = report(path)[1]
    assert findings(data, "CN-PI-EXPORT") == [
        "aws_backup_plan.p->external:arn:aws:backup:us-east-1:1:backup-vault:dr"
    ]
    assert findings(data, "SPEC-PI-UNENCRYPTED-BORDER") == []


# --- Google Cloud -------------------------------------------------------------------------


def test_gcs_eu_bucket_receiving_china_data_sends_it_to_every_eu_country(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_s3_bucket.cn", "aws_s3_bucket", {"bucket": "cn", "tags": CN_PERSONAL}, AWS
            ),
            resource(
                "google_storage_bucket.eu",
                "google_storage_bucket",
                {"name": "eu", "location": "EU"},
                GOOGLE,
            ),
            resource(
                "google_storage_transfer_job.copy",
                "google_storage_transfer_job",
                {
                    "transfer_spec": [
                        {
                            "aws_s3_data_source": [{"bucket_name": "cn"}],
                            "gcs_data_sink": [{"bucket_name": "eu"}],
                        }
                    ]
                },
                GOOGLE,
            ),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    spec = load(path)
    members = {f.target: f for f in spec.flows if f.source == "google_storage_bucket.eu"}
    assert len(members) == 8 and "google_storage_bucket.eu@DE" in members
    assert all("aws_s3_bucket.cn#data" in f.datasets for f in members.values())
    data = report(path)[1]
    # the transfer takes the data out of China, and the bucket's replication on to each EU country
    assert findings(data, "CN-PI-EXPORT") == [
        f"google_storage_bucket.eu->{member}" for member in sorted(members)
    ] + ["google_storage_transfer_job.copy"]
    [onward] = [
        v
        for v in data["violations"]
        if v["subject"]["id"] == "google_storage_bucket.eu->google_storage_bucket.eu@DE"
        and v["rule"] == "CN-PI-EXPORT"
    ]
    assert onward["path"] == [
        "aws_s3_bucket.cn",
        "google_storage_bucket.eu",
        "google_storage_bucket.eu@DE",
    ]


@pytest.mark.parametrize(
    "values, countries",
    [
        ({"location": "NAM4"}, ["US"]),
        ({"location": "EUR4"}, ["FI", "NL"]),
        (
            {
                "location": "US",
                "custom_placement_config": [{"data_locations": ["US-EAST1", "EUROPE-WEST3"]}],
            },
            ["DE", "US"],
        ),
    ],
)
def test_gcs_dual_regions(tmp_path, values, countries):
    spec = load(
        write_plan(
            tmp_path, [resource("google_storage_bucket.b", "google_storage_bucket", values, GOOGLE)]
        )
    )
    assert sorted(resolve(spec).country.values()) == countries


@pytest.mark.parametrize(
    "kind, values, countries",
    [
        ("google_bigquery_dataset", {"location": "US"}, ["US"]),
        ("google_bigquery_dataset", {"location": "asia-east2"}, ["HK"]),
        ("google_spanner_instance", {"config": "regional-asia-east2"}, ["HK"]),
        ("google_spanner_instance", {"config": "projects/p/instanceConfigs/nam3"}, ["US"]),
        ("google_spanner_instance", {"config": "nam-eur-asia1"}, ["BE", "TW", "US"]),
        ("google_spanner_instance", {"config": "eur3"}, ["BE", "FI", "NL"]),
        (
            "google_bigtable_instance",
            {"cluster": [{"zone": "asia-east2-a"}, {"zone": "asia-east1-b"}]},
            ["HK", "TW"],
        ),
        ("google_firestore_database", {"location_id": "nam5"}, ["US"]),
    ],
)
def test_google_multi_region_stores_stand_in_each_country(tmp_path, kind, values, countries):
    spec = load(
        write_plan(tmp_path, [resource(f"{kind}.x", kind, {"name": "x", **values}, GOOGLE)])
    )
    assert sorted(resolve(spec).country.values()) == countries


def test_bigquery_eu_dataset_of_china_data_and_an_unknown_spanner_config(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "google_bigquery_dataset.d",
                "google_bigquery_dataset",
                {
                    "location": "asia-east2",
                    "labels": {"data-origin": "cn", "data-categories": "personal"},
                },
                GOOGLE,
            ),
            resource(
                "google_bigquery_dataset.eu", "google_bigquery_dataset", {"location": "EU"}, GOOGLE
            ),
            resource(
                "google_spanner_instance.s", "google_spanner_instance", {"config": "mars1"}, GOOGLE
            ),
        ],
    )
    spec = load(path)
    [error] = spec.coverage.errors
    assert "Spanner instance configuration 'mars1' is not one dlc knows" in error.message
    assert error.line == line_of(path, '"config": "mars1"')
    code, data = report(path)
    assert code == 2
    # the EU dataset's own (unclassified) data leaves Belgium for the other EU countries
    assert findings(data, UNCLASSIFIED)[0].startswith(
        "google_bigquery_dataset.eu->google_bigquery_dataset.eu@"
    )


def test_google_global_location_asks_for_a_label(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "google_logging_project_bucket_config.b",
                "google_logging_project_bucket_config",
                {"location": "global", "bucket_id": "b"},
                GOOGLE,
            ),
            resource(
                "google_logging_project_bucket_config.eu",
                "google_logging_project_bucket_config",
                {
                    "location": "global",
                    "bucket_id": "eu",
                    "labels": {"dlc-location": "gcp:europe-west3"},
                },
                GOOGLE,
            ),
        ],
    )
    spec = load(path)
    [error] = spec.coverage.errors
    assert error.message.startswith(
        "google_logging_project_bucket_config.b: location 'global' is no one place"
    )
    assert [s.id for s in spec.systems] == ["google_logging_project_bucket_config.eu"]


def test_cloud_sql_replica_abroad(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "google_sql_database_instance.main",
                "google_sql_database_instance",
                {
                    "name": "main",
                    "region": "asia-east2",
                    "settings": [
                        {"user_labels": {"data-origin": "hk", "data-categories": "personal"}}
                    ],
                },
                GOOGLE,
            ),
            resource(
                "google_sql_database_instance.replica",
                "google_sql_database_instance",
                {"name": "replica", "region": "us-central1", "master_instance_name": "main"},
                GOOGLE,
            ),
        ],
    )
    [flow] = load(path).flows
    assert (flow.id, flow.encrypted) == ("google_sql_database_instance.replica", True)


# --- Azure ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "region, replication, members",
    [
        ("chinanorth", "GRS", []),  # its pair, chinaeast, is in China too
        ("eastasia", "RAGRS", ["azurerm_storage_account.a@SG"]),  # Hong Kong -> Singapore
        ("southeastasia", "GZRS", ["azurerm_storage_account.a@HK"]),
        ("eastasia", "ZRS", []),  # zone-redundant: one region
    ],
)
def test_azure_geo_redundant_storage_copies_to_the_paired_region(
    tmp_path, region, replication, members
):
    path = write_plan(
        tmp_path,
        [
            resource(
                "azurerm_storage_account.a",
                "azurerm_storage_account",
                {"name": "a", "location": region, "account_replication_type": replication},
                AZURE,
            )
        ],
    )
    spec = load(path)
    assert sorted(s.id for s in spec.systems if s.id != "azurerm_storage_account.a") == members
    code, data = report(path)
    assert findings(data, UNCLASSIFIED) == (["azurerm_storage_account.a"] if members else [])
    assert code == (1 if members else 0)


def test_azure_grs_in_a_region_without_a_pair_is_an_error(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "azurerm_storage_account.a",
                "azurerm_storage_account",
                {"name": "a", "location": "polandcentral", "account_replication_type": "GRS"},
                AZURE,
            )
        ],
    )
    [error] = load(path).coverage.errors
    assert "knows no pair" in error.message and error.line == line_of(
        path, '"account_replication_type": "GRS"'
    )


def test_cosmos_db_geo_locations(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "azurerm_cosmosdb_account.db",
                "azurerm_cosmosdb_account",
                {
                    "name": "db",
                    "location": "westeurope",
                    "tags": {"data-origin": "CN", "data-categories": "personal"},
                    "geo_location": [
                        {"location": "westus", "failover_priority": 1},
                        {"location": "chinanorth2", "failover_priority": 0},
                    ],
                },
                AZURE,
            )
        ],
    )
    spec = load(path)
    countries = resolve(spec).country
    assert countries["azurerm_cosmosdb_account.db"] == "CN"  # the write region (priority 0)
    assert countries["azurerm_cosmosdb_account.db@US"] == "US"
    assert findings(report(path)[1], "CN-PI-EXPORT") == ["azurerm_cosmosdb_account.db"]


def test_azure_sql_geo_replica_abroad(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "azurerm_mssql_server.cn",
                "azurerm_mssql_server",
                {"name": "cn", "location": "chinaeast2", "id": "/s/cn"},
                AZURE,
            ),
            resource(
                "azurerm_mssql_database.db",
                "azurerm_mssql_database",
                {"name": "db", "server_id": "/s/cn", "id": "/s/cn/db", "tags": CN_PERSONAL},
                AZURE,
            ),
            resource(
                "azurerm_mssql_server.sg",
                "azurerm_mssql_server",
                {"name": "sg", "location": "southeastasia", "id": "/s/sg"},
                AZURE,
            ),
            resource(
                "azurerm_mssql_database.geo",
                "azurerm_mssql_database",
                {
                    "name": "db",
                    "server_id": "/s/sg",
                    "create_mode": "Secondary",
                    "creation_source_database_id": "/s/cn/db",
                },
                AZURE,
            ),
        ],
    )
    assert findings(report(path)[1], "CN-PI-EXPORT") == ["azurerm_mssql_database.geo"]


# --- more replicas, one per family ------------------------------------------------------------


@pytest.mark.parametrize(
    "resources, providers, flow, source, target",
    [
        (
            [
                resource(
                    "aws_docdb_global_cluster.g",
                    "aws_docdb_global_cluster",
                    {"global_cluster_identifier": "g"},
                ),
                resource(
                    "aws_docdb_cluster.cn",
                    "aws_docdb_cluster",
                    {
                        "cluster_identifier": "cn",
                        "master_username": "a",
                        "global_cluster_identifier": "g",
                    },
                ),
                resource(
                    "aws_docdb_cluster.us",
                    "aws_docdb_cluster",
                    {
                        "cluster_identifier": "us",
                        "region": "us-east-1",
                        "global_cluster_identifier": "g",
                    },
                ),
            ],
            {"aws": aws_provider("cn-north-1")},
            "aws_docdb_global_cluster.g",
            "aws_docdb_cluster.cn",
            "aws_docdb_cluster.us",
        ),
        (
            [
                resource(
                    "aws_db_instance.cn",
                    "aws_db_instance",
                    {"identifier": "cn", "arn": "arn:aws-cn:rds:cn-north-1:1:db:cn"},
                ),
                resource(
                    "aws_db_instance_automated_backups_replication.r",
                    "aws_db_instance_automated_backups_replication",
                    {"source_db_instance_arn": "arn:aws-cn:rds:cn-north-1:1:db:cn"},
                    AWS,
                ),
            ],
            {"aws": aws_provider("cn-north-1")},
            "aws_db_instance_automated_backups_replication.r",
            "aws_db_instance.cn",
            "aws_db_instance_automated_backups_replication.r@cn-north-1",
        ),
        (
            [
                resource(
                    "azurerm_container_registry.acr",
                    "azurerm_container_registry",
                    {
                        "name": "acr",
                        "location": "chinanorth3",
                        "georeplications": [{"location": "westeurope"}],
                    },
                    AZURE,
                )
            ],
            {},
            "azurerm_container_registry.acr",
            "azurerm_container_registry.acr",
            "azurerm_container_registry.acr@NL",
        ),
        (
            [
                resource(
                    "azurerm_postgresql_flexible_server.main",
                    "azurerm_postgresql_flexible_server",
                    {"name": "main", "location": "chinanorth3", "id": "/s/main"},
                    AZURE,
                ),
                resource(
                    "azurerm_postgresql_flexible_server.replica",
                    "azurerm_postgresql_flexible_server",
                    {
                        "name": "replica",
                        "location": "eastus",
                        "create_mode": "Replica",
                        "source_server_id": "/s/main",
                    },
                    AZURE,
                ),
            ],
            {},
            "azurerm_postgresql_flexible_server.replica",
            "azurerm_postgresql_flexible_server.main",
            "azurerm_postgresql_flexible_server.replica",
        ),
        (
            [
                resource(
                    "alicloud_oss_bucket.hz", "alicloud_oss_bucket", {"bucket": "hz"}, ALIBABA
                ),
                resource(
                    "alicloud_oss_bucket_replication.r",
                    "alicloud_oss_bucket_replication",
                    {
                        "bucket": "hz",
                        "action": "ALL",
                        "destination": [{"bucket": "sg", "location": "oss-ap-southeast-1"}],
                    },
                    ALIBABA,
                ),
            ],
            {"alicloud": provider("alicloud", "cn-hangzhou")},
            "alicloud_oss_bucket_replication.r",
            "alicloud_oss_bucket.hz",
            "alicloud_oss_bucket_replication.r@ap-southeast-1",
        ),
        (
            [
                resource(
                    "google_alloydb_cluster.main",
                    "google_alloydb_cluster",
                    {"cluster_id": "main", "name": "main", "location": "asia-east2"},
                    GOOGLE,
                ),
                resource(
                    "google_alloydb_cluster.dr",
                    "google_alloydb_cluster",
                    {
                        "cluster_id": "dr",
                        "location": "us-central1",
                        "cluster_type": "SECONDARY",
                        "secondary_config": [{"primary_cluster_name": "main"}],
                    },
                    GOOGLE,
                ),
            ],
            {},
            "google_alloydb_cluster.dr",
            "google_alloydb_cluster.main",
            "google_alloydb_cluster.dr",
        ),
    ],
)
def test_replicas_of_each_family_are_flows(tmp_path, resources, providers, flow, source, target):
    spec = load(write_plan(tmp_path, resources, providers))
    assert spec.coverage.errors == []
    assert [(f.id, f.source, f.target, f.encrypted) for f in spec.flows] == [
        (flow, source, target, True)
    ]


def test_rds_automated_backups_copied_abroad_are_a_backup_flow(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_db_instance.cn",
                "aws_db_instance",
                {
                    "identifier": "cn",
                    "tags": CN_PERSONAL,
                    "arn": "arn:aws-cn:rds:cn-north-1:1:db:cn",
                },
            ),
            resource(
                "aws_db_instance_automated_backups_replication.r",
                "aws_db_instance_automated_backups_replication",
                {
                    "source_db_instance_arn": "arn:aws-cn:rds:cn-north-1:1:db:cn",
                    "region": "eu-west-1",
                },
            ),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    [flow] = load(path).flows
    assert (flow.target, flow.mode) == (
        "aws_db_instance_automated_backups_replication.r@eu-west-1",
        "backup",
    )
    assert findings(report(path)[1], "CN-PI-EXPORT") == [
        "aws_db_instance_automated_backups_replication.r"
    ]


# --- accelerators ---------------------------------------------------------------------------------


def test_gpus_behind_a_launch_configuration_and_sagemaker_endpoint(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_launch_configuration.gpu",
                "aws_launch_configuration",
                {"name": "gpu", "instance_type": "p4d.24xlarge"},
            ),
            resource(
                "aws_autoscaling_group.g",
                "aws_autoscaling_group",
                {"launch_configuration": "gpu", "max_size": 3},
            ),
            resource(
                "aws_sagemaker_endpoint_configuration.e",
                "aws_sagemaker_endpoint_configuration",
                {
                    "production_variants": [
                        {"instance_type": "ml.p5.48xlarge", "initial_instance_count": 2}
                    ]
                },
            ),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    systems = {s.id: s for s in load(path).systems}
    assert set(systems) == {"aws_autoscaling_group.g", "aws_sagemaker_endpoint_configuration.e"}
    assert [(a.model, a.count) for a in systems["aws_autoscaling_group.g"].accelerators] == [
        ("NVIDIA A100 40GB", 24)
    ]
    assert [
        (a.model, a.count) for a in systems["aws_sagemaker_endpoint_configuration.e"].accelerators
    ] == [("NVIDIA H100 SXM", 16)]


def test_tpus_are_counted_as_unmodelled_with_a_notice(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "google_tpu_v2_vm.t",
                "google_tpu_v2_vm",
                {"zone": "us-central1-a", "accelerator_type": "v5p-8"},
                GOOGLE,
            )
        ],
    )
    code, data = report(path)
    assert data["summary"]["resources"] == {"seen": 1, "evaluated": 0, "skipped": {"unmodelled": 1}}
    [notice] = data["notices"]
    assert (notice["rule"], notice["subject"]["id"]) == (
        "DLC-UNMODELLED-RESOURCE-TYPE",
        "google_tpu_v2_vm",
    )


# --- classification -------------------------------------------------------------------------


def test_untagged_store_replicated_abroad_is_unclassified_data_crossing_a_border(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_s3_bucket.cn",
                "aws_s3_bucket",
                {
                    "bucket": "cn",
                    "replication_configuration": [
                        {
                            "rules": [
                                {
                                    "id": "all",
                                    "status": "Enabled",
                                    "destination": [{"bucket": "arn:aws:s3:::us"}],
                                }
                            ]
                        }
                    ],
                },
            ),
            resource("aws_s3_bucket.us", "aws_s3_bucket", {"bucket": "us", "region": "us-east-1"}),
            resource(
                "aws_s3_bucket.bj",
                "aws_s3_bucket",
                {
                    "bucket": "bj",
                    "replication_configuration": [
                        {
                            "rules": [
                                {
                                    "id": "all",
                                    "status": "Enabled",
                                    "destination": [{"bucket": "arn:aws-cn:s3:::nx"}],
                                }
                            ]
                        }
                    ],
                },
            ),
            resource(
                "aws_s3_bucket.nx", "aws_s3_bucket", {"bucket": "nx", "region": "cn-northwest-1"}
            ),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    code, data = report(path)
    assert code == 1
    assert findings(data, UNCLASSIFIED) == ["aws_s3_bucket.cn"]  # Beijing -> Ningxia stays in China
    [violation] = [v for v in data["violations"] if v["rule"] == UNCLASSIFIED]
    assert violation["dataset"] == "aws_s3_bucket.cn#data"


def test_configuration_classifies_by_the_organisation_s_own_tags(tmp_path):
    (tmp_path / "dlc.yaml").write_text(
        "classification:\n"
        "  - match: {tag: DataClassification, value: 'PII*'}\n"
        "    categories: [personal]\n"
    )
    path = write_plan(
        tmp_path,
        [
            resource(
                "aws_s3_bucket.cn",
                "aws_s3_bucket",
                {
                    "bucket": "cn",
                    "tags": {"DataClassification": "pii-high"},
                    "replication_configuration": [
                        {
                            "rules": [
                                {
                                    "id": "all",
                                    "status": "Enabled",
                                    "destination": [{"bucket": "arn:aws:s3:::us"}],
                                }
                            ]
                        }
                    ],
                },
            ),
            resource("aws_s3_bucket.us", "aws_s3_bucket", {"bucket": "us", "region": "us-east-1"}),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    code, data = report(path, "--config", str(tmp_path / "dlc.yaml"))
    assert code == 1
    assert findings(data, "CN-PI-EXPORT") == ["aws_s3_bucket.cn"]
    assert findings(data, UNCLASSIFIED) == []
    [violation] = [v for v in data["violations"] if v["rule"] == "CN-PI-EXPORT"]
    assert violation["dataset"] == "aws_s3_bucket.cn#data"


@pytest.mark.parametrize(
    "key, meant",
    [
        ("data_origin", "data-origin"),
        ("data-orgin", "data-origin"),
        ("dlc_location", "dlc-location"),
    ],
)
def test_a_typo_in_a_dlc_tag_is_an_error_suggesting_the_key(tmp_path, key, meant):
    path = write_plan(
        tmp_path,
        [resource("aws_s3_bucket.b", "aws_s3_bucket", {"tags": {key: "CN"}})],
        {"aws": aws_provider("cn-north-1")},
    )
    code, data = report(path)
    assert code == 2
    [error] = data["errors"]
    assert f"tag '{key}' is not one of dlc's tags; did you mean '{meant}'?" in error["message"]
    assert error["line"] == line_of(path, f'"{key}": "CN"')


def test_a_key_the_configuration_classifies_by_is_never_a_typo(tmp_path):
    (tmp_path / "dlc.yaml").write_text(
        "classification:\n  - match: {tag: data_origin}\n    origin: CN\n"
    )
    path = write_plan(
        tmp_path,
        [resource("aws_s3_bucket.b", "aws_s3_bucket", {"tags": {"data_origin": "x"}})],
        {"aws": aws_provider("cn-north-1")},
    )
    code, data = report(path, "--config", str(tmp_path / "dlc.yaml"))
    assert (code, data["errors"]) == (0, [])


# --- counted, not fatal -------------------------------------------------------------------------


def test_h100_cluster_in_china_next_to_a_datadog_monitor(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource("aws_instance.gpu", "aws_instance", {"instance_type": "p5.48xlarge"}),
            resource(
                "datadog_monitor.idle",
                "datadog_monitor",
                {"name": "idle"},
                "registry.terraform.io/datadog/datadog",
            ),
            resource(
                "datadog_monitor.hot",
                "datadog_monitor",
                {"name": "hot"},
                "registry.terraform.io/datadog/datadog",
            ),
            resource(
                "github_repository.infra",
                "github_repository",
                {"name": "infra"},
                "registry.terraform.io/integrations/github",
            ),
            resource("aws_iam_role.r", "aws_iam_role", {"name": "r"}),
        ],
        {"aws": aws_provider("cn-north-1")},
    )
    code, data = report(path)
    assert code == 1
    assert findings(data, "US-EAR-AC-LICENCE") == ["aws_instance.gpu"]
    assert data["summary"]["resources"] == {
        "seen": 5,
        "evaluated": 1,
        "skipped": {"no-data": 1, "unknown-type": 3},
    }
    notices = [
        (n["rule"], n["subject"]["id"])
        for n in data["notices"]
        if n["rule"] == "DLC-UNKNOWN-RESOURCE-TYPE"
    ]
    assert notices == [
        ("DLC-UNKNOWN-RESOURCE-TYPE", "datadog_monitor"),
        ("DLC-UNKNOWN-RESOURCE-TYPE", "github_repository"),
    ]
    [datadog] = [n for n in data["notices"] if n["subject"]["id"] == "datadog_monitor"]
    assert datadog["message"].startswith(
        "2 resources of type datadog_monitor skipped (datadog_monitor.idle, ...)"
    )
    assert datadog["location"]["line"] == line_of(path, '"address": "datadog_monitor.idle"')


def test_two_broken_resources_are_both_reported_and_the_third_is_still_checked(tmp_path):
    path = write_plan(
        tmp_path,
        [
            resource("aws_s3_bucket.nowhere", "aws_s3_bucket", {"bucket": "a", "region": None}),
            resource("aws_s3_bucket.typo", "aws_s3_bucket", {"bucket": "b", "region": "cn-nrth-1"}),
            resource(
                "aws_instance.gpu",
                "aws_instance",
                {"instance_type": "p5.48xlarge", "region": "cn-north-1"},
            ),
        ],
    )
    code, data = report(path)
    assert code == 2
    messages = [e["message"] for e in data["errors"]]
    assert len(messages) == 2
    assert (
        messages[0].startswith("aws_s3_bucket.nowhere: cannot tell where")
        and "--default-location" in messages[0]
    )
    assert messages[1].startswith("aws_s3_bucket.typo: unknown location 'aws:cn-nrth-1'")
    assert [e["line"] for e in data["errors"]] == [
        line_of(path, '"address": "aws_s3_bucket.nowhere"'),
        line_of(path, '"region": "cn-nrth-1"'),
    ]
    assert findings(data, "US-EAR-AC-LICENCE") == ["aws_instance.gpu"]
    assert data["summary"]["resources"] == {"seen": 3, "evaluated": 1, "skipped": {"error": 2}}


def test_region_from_the_environment_needs_a_default_location(tmp_path):
    path = write_plan(
        tmp_path,
        [resource("aws_instance.gpu", "aws_instance", {"instance_type": "p5.48xlarge"})],
        {"aws": {"name": "aws", "full_name": AWS}},
    )
    code, data = report(path)
    assert code == 2 and "--default-location" in data["errors"][0]["message"]
    code, data = report(path, "--default-location", "aws:cn-north-1")
    assert (code, data["errors"]) == (1, [])
    assert findings(data, "US-EAR-AC-LICENCE") == ["aws_instance.gpu"]


def test_resources_being_deleted_are_not_checked(tmp_path):
    path = write_plan(
        tmp_path,
        [resource("aws_s3_bucket.kept", "aws_s3_bucket", {"bucket": "k"})],
        {"aws": aws_provider("eu-west-1")},
    )
    plan = json.loads(path.read_text())
    plan["resource_changes"] = [
        {
            "address": "aws_instance.old",
            "mode": "managed",
            "type": "aws_instance",
            "name": "old",
            "change": {
                "actions": ["delete"],
                "before": {"instance_type": "p5.48xlarge", "region": "cn-north-1"},
                "after": None,
            },
        }
    ]
    path.write_text(json.dumps(plan))
    code, data = report(path)
    assert (code, data["violations"]) == (0, [])
    assert data["summary"]["resources"] == {"seen": 1, "evaluated": 1, "skipped": {}}


def test_types_ignored_by_configuration_or_environment(tmp_path, monkeypatch):
    (tmp_path / "dlc.yaml").write_text(
        "terraform:\n  ignore_types: ['datadog_*', 'aws_sqs_queue']\n"
    )
    path = write_plan(
        tmp_path,
        [
            resource(
                "datadog_monitor.m", "datadog_monitor", {}, "registry.terraform.io/datadog/datadog"
            ),
            resource("aws_sqs_queue.q", "aws_sqs_queue", {}),
            resource(
                "github_repository.r",
                "github_repository",
                {},
                "registry.terraform.io/integrations/github",
            ),
        ],
    )
    code, data = report(path, "--config", str(tmp_path / "dlc.yaml"))
    assert code == 0
    assert data["summary"]["resources"] == {
        "seen": 3,
        "evaluated": 0,
        "skipped": {"ignored-by-config": 2, "unknown-type": 1},
    }
    monkeypatch.setenv("DLC_TERRAFORM_IGNORE", "github_*")
    code, data = report(path, "--config", str(tmp_path / "dlc.yaml"))
    assert data["summary"]["resources"]["skipped"] == {"ignored-by-config": 3}
    assert data["notices"] == []


@pytest.mark.parametrize(
    "kind",
    [
        "aws_iam_role",
        "aws_s3_bucket_policy",
        "aws_s3_bucket",
        "google_compute_router_nat",
        "azurerm_subnet_network_security_group_association",
        "datadog_monitor",
        "aws_lb",
        "aws_lb_listener_rule",
        "aws_route53_record",
        "google_dns_record_set",
        "azurerm_monitor_diagnostic_setting",
        "random_pet",
        "aws_vpc",
        "aws_vpce_x",
    ],
)
def test_the_no_data_matcher_agrees_with_fnmatch(kind):
    import fnmatch

    from checker.adapters.terraform.no_data import NO_DATA_TYPES, keeps_no_data

    assert not any(char in pattern for pattern in NO_DATA_TYPES for char in "?[")
    assert keeps_no_data(kind) == any(
        fnmatch.fnmatchcase(kind, pattern) for pattern in NO_DATA_TYPES
    )
