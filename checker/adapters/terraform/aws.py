"""AWS data stores and the ways AWS copies their data: S3 replication (inline and resource), RDS
and Aurora replicas and global databases, DynamoDB global tables, ElastiCache global datastores,
ECR and EFS replication."""

from __future__ import annotations

from checker.adapters.common import as_dict, as_list
from checker.adapters.terraform.plan import Plan, Resource, replica_of
from checker.adapters.terraform.registry import register
from checker.adapters.terraform.sets import set_pairing, unpaired
from checker.adapters.terraform.values import attribute, block, values_path

BUCKETS = frozenset({"aws_s3_bucket"})


# --- S3 ------------------------------------------------------------------------------------


def _replication_rules(
    plan: Plan, resource: Resource, source: str, rules: tuple, key: str | None = None
) -> None:
    """A flow from `source` to the destination bucket of each enabled S3 replication rule. With
    `key`, the rules are a set whose instances are paired with their configuration by that key."""
    elements = as_list(attribute(resource.values, *rules))
    pairing = (
        set_pairing(plan, resource, rules, elements, key) if key else list(range(len(elements)))
    )
    for index, rule in enumerate(elements):
        if not isinstance(rule, dict) or str(rule.get("status", "Enabled")).lower() != "enabled":
            continue
        keys = (*rules, index, "destination", "bucket")
        config_index = pairing[index]
        value = block(rule, "destination").get("bucket")
        if config_index is None and value in (None, ""):
            raise unpaired(
                plan,
                resource,
                values_path(resource.values, (*rules, index)),
                "destination bucket of this replication rule",
                key,
            )
        target = plan.system_of(
            resource,
            keys,
            BUCKETS,
            value=value,
            what="destination bucket",
            config_keys=None
            if config_index is None
            else (*rules, config_index, "destination", "bucket"),
        )
        plan.flow(resource, source, target, "replication", values_path(resource.values, keys))


def _s3_replication(plan: Plan, resource: Resource) -> None:
    source = plan.match(resource, ("bucket",), BUCKETS)
    if source is None or source.address not in plan.systems:
        raise plan.error(
            f"{resource.address}: the source bucket "
            f"'{resource.values.get('bucket', '(unknown until apply)')}' is not a bucket in this plan",
            resource.at("bucket") if "bucket" in resource.values else resource.here,
        )
    _replication_rules(plan, resource, source.address, ("rule",))


def _s3_inline_replication(plan: Plan, resource: Resource) -> None:
    # `rules` is a set in aws_s3_bucket (`rule` of aws_s3_bucket_replication_configuration is a list)
    rules = ("replication_configuration", "rules")
    if as_list(attribute(resource.values, *rules)) and not _replicated_apart(plan, resource):
        _replication_rules(plan, resource, resource.address, rules, key="id")


def _replicated_apart(plan: Plan, bucket: Resource) -> bool:
    """Whether an aws_s3_bucket_replication_configuration in the plan manages the bucket's
    replication. Since AWS provider 4 the bucket's own `replication_configuration` is computed too:
    refreshed, it mirrors those rules (a bucket has one replication configuration), whose flows
    are then made once, by that resource."""
    return any(
        other.type == "aws_s3_bucket_replication_configuration"
        and plan.match(other, ("bucket",), BUCKETS) is bucket
        for other in plan.modelled
    )


# --- relational databases -------------------------------------------------------------------

_db_instance_replica = replica_of(
    "replicate_source_db", frozenset({"aws_db_instance"}), "replication source database"
)
_cluster_replica = replica_of(
    "replication_source_identifier",
    frozenset({"aws_rds_cluster", "aws_db_instance"}),
    "replication source",
)


def _global_database(clusters: str, global_type: str):
    """How a global database (Aurora, DocumentDB, Neptune) moves data: the global resource makes a
    flow from its primary to each member cluster; a member must name a global resource in the plan."""
    members_of, global_kinds = frozenset({clusters}), frozenset({global_type})

    def global_flows(plan: Plan, resource: Resource) -> None:
        """Members replicate from the primary (`source_db_cluster_identifier`, in the plan or an ARN
        outside it; else the one member with a master user or database name; else every member)."""
        members = [
            r
            for r in plan.modelled
            if r.type == clusters
            and r.address in plan.systems
            and (plan.match(r, ("global_cluster_identifier",), global_kinds) is resource)
        ]
        keys = ("source_db_cluster_identifier",)
        if plan.match(resource, keys, members_of) is not None or plan.is_set(resource, keys):
            sources = [plan.system_of(resource, keys, members_of, what="primary cluster")]
        else:
            writers = [
                m
                for m in members
                if m.values.get("master_username") or m.values.get("database_name")
            ]
            sources = [writers[0].address] if len(writers) == 1 else [m.address for m in members]
        for source in sources:
            for member in members:
                plan.flow(resource, source, member.address, "replication")

    def member_check(plan: Plan, resource: Resource) -> None:
        keys = ("global_cluster_identifier",)
        if plan.is_set(resource, keys) and plan.match(resource, keys, global_kinds) is None:
            value = resource.values.get("global_cluster_identifier")
            raise plan.error(
                f"{resource.address}: the global database{f' {value!r}' if value else ''} is not a "
                "resource in this plan, so dlc cannot tell where it replicates (plan it in the same "
                "configuration)",
                resource.at(*keys) if value else resource.here,
            )

    return global_flows, member_check


_aurora_global, _aurora_member = _global_database("aws_rds_cluster", "aws_rds_global_cluster")
_docdb_global, _docdb_member = _global_database("aws_docdb_cluster", "aws_docdb_global_cluster")
_neptune_global, _neptune_member = _global_database(
    "aws_neptune_cluster", "aws_neptune_global_cluster"
)


def _rds_cluster(plan: Plan, resource: Resource) -> None:
    """A replica cluster, or a member of an Aurora global database."""
    _cluster_replica(plan, resource)
    _aurora_member(plan, resource)


def _automated_backups_replication(plan: Plan, resource: Resource) -> None:
    """RDS copies a database's automated backups to the region this resource is created in."""
    source = plan.system_of(
        resource,
        ("source_db_instance_arn",),
        frozenset({"aws_db_instance"}),
        what="source database",
    )
    location, at = plan.cloud_location(resource)
    if not location:
        raise plan.error(
            f"{resource.address}: cannot tell which region the backups are copied to: no region in "
            "its provider configuration (set it, or pass --default-location)",
            resource.here,
        )
    plan.member(
        resource,
        f"{resource.address}@{location.removeprefix('aws:')}",
        location,
        at or resource.here,
        source=source,
        mode="backup",
    )


# --- DynamoDB, ElastiCache ---------------------------------------------------------------------


def _table_regions(plan: Plan, resource: Resource):
    """A global table is in its own region and in each region of its `replica` blocks."""
    replicas = as_list(resource.values.get("replica"))
    own = plan.cloud_location(resource)
    if not replicas or not own[0]:
        return None  # one region (a missing one is reported with the system)
    found = [own]
    for index, replica in enumerate(replicas):
        region = as_dict(replica).get("region_name")
        if not isinstance(region, str) or not region:
            raise plan.error(
                f"{resource.address}: the region of this replica is known only after apply, so dlc "
                "cannot tell where the table's data goes",
                resource.at("replica", index),
            )
        found.append((f"aws:{region.lower()}", resource.at("replica", index, "region_name")))
    return found


def _dynamodb_replica(plan: Plan, resource: Resource) -> None:
    """aws_dynamodb_table_replica: the table (named by ARN) replicates into this region."""
    source = plan.system_of(
        resource, ("global_table_arn",), frozenset({"aws_dynamodb_table"}), what="global table"
    )
    plan.flow(resource, source, resource.address, "replication", ("global_table_arn",))


def _elasticache_secondary(plan: Plan, resource: Resource) -> None:
    """A replication group in a global datastore receives the data of the datastore's primary."""
    keys = ("global_replication_group_id",)
    if not plan.is_set(resource, keys):
        return
    group = plan.match(resource, keys, frozenset({"aws_elasticache_global_replication_group"}))
    if group is None:
        raise plan.error(
            f"{resource.address}: its global datastore is not a resource in this plan, so dlc "
            "cannot tell where its data comes from (plan it in the same configuration)",
            resource.at(*keys) if resource.values.get(keys[0]) else resource.here,
        )
    primary = plan.system_of(
        group,
        ("primary_replication_group_id",),
        frozenset({"aws_elasticache_replication_group"}),
        what="primary replication group",
    )
    plan.flow(resource, primary, resource.address, "replication", keys)


# --- registries and file systems copied to other regions ------------------------------------------


def _ecr_replication(plan: Plan, resource: Resource) -> None:
    """Every repository of the registry (those in this plan, in the configuration's region) matching a
    rule's filters is copied to each destination region (a system per region)."""
    own, _ = plan.cloud_location(resource)
    for rule_index, rule in enumerate(
        as_list(attribute(resource.values, "replication_configuration", "rule"))
    ):
        prefixes = [
            as_dict(f).get("filter") for f in as_list(as_dict(rule).get("repository_filter"))
        ]
        repositories = [
            r
            for r in plan.modelled
            if r.type == "aws_ecr_repository"
            and r.address in plan.systems
            and plan.systems[r.address]["location"] == own
            and (
                not prefixes
                or any(str(r.values.get("name", "")).startswith(str(p or "")) for p in prefixes)
            )
        ]
        for index, destination in enumerate(as_list(as_dict(rule).get("destination"))):
            region = as_dict(destination).get("region")
            at = resource.at(
                "replication_configuration", 0, "rule", rule_index, "destination", index
            )
            if not isinstance(region, str) or not region:
                raise plan.error(
                    f"{resource.address}: the destination region is known only after apply", at
                )
            for repository in repositories:
                plan.member(
                    resource,
                    f"{resource.address}@{region}",
                    f"aws:{region}",
                    at,
                    source=repository.address,
                )


def _efs_replication(plan: Plan, resource: Resource) -> None:
    source = plan.system_of(
        resource,
        ("source_file_system_id",),
        frozenset({"aws_efs_file_system"}),
        what="source file system",
    )
    for index, destination in enumerate(as_list(resource.values.get("destination"))):
        region = as_dict(destination).get("region") or plan.cloud_location(resource)[0]
        at = resource.at("destination", index)
        if not isinstance(region, str) or not region:
            raise plan.error(
                f"{resource.address}: the destination region is known only after apply", at
            )
        location = region if region.startswith("aws:") else f"aws:{region}"
        plan.member(
            resource,
            f"{resource.address}@{location.removeprefix('aws:')}",
            location,
            at,
            source=source,
        )


register(
    "storage",
    (
        "aws_s3_directory_bucket",
        "aws_rds_cluster_instance",
        "aws_efs_file_system",
        "aws_ebs_volume",
        "aws_ebs_snapshot",
        "aws_redshift_cluster",
        "aws_redshiftserverless_namespace",
        "aws_elasticache_cluster",
        "aws_elasticache_serverless_cache",
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        "aws_docdb_cluster_instance",
        "aws_neptune_cluster_instance",
        "aws_neptune_cluster_snapshot",
        "aws_db_snapshot",
        "aws_db_cluster_snapshot",
        "aws_kinesis_stream",
        "aws_kinesis_firehose_delivery_stream",
        "aws_sqs_queue",
        "aws_msk_cluster",
        "aws_msk_serverless_cluster",
        "aws_mq_broker",
        "aws_glacier_vault",
        "aws_fsx_lustre_file_system",
        "aws_fsx_ontap_file_system",
        "aws_fsx_openzfs_file_system",
        "aws_fsx_windows_file_system",
        "aws_timestreamwrite_database",
        "aws_timestreamwrite_table",
        "aws_memorydb_cluster",
        "aws_keyspaces_keyspace",
        "aws_keyspaces_table",
        "aws_qldb_ledger",
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
        "aws_athena_workgroup",
        "aws_athena_database",
        "aws_cloudwatch_log_group",
        "aws_ecr_repository",
        "aws_lightsail_database",
        "aws_lightsail_bucket",
        "aws_lightsail_disk",
        "aws_dax_cluster",
        "aws_transfer_server",
        "aws_storagegateway_gateway",
        "aws_kendra_index",
        "aws_sagemaker_feature_group",
        "aws_cognito_user_pool",
    ),
)
register("storage", "aws_s3_bucket", flows=_s3_inline_replication)
register("storage", "aws_db_instance", flows=_db_instance_replica)
register("storage", "aws_rds_cluster", flows=_rds_cluster)
register("storage", ("aws_dynamodb_table", "aws_dynamodb_global_table"), places=_table_regions)
register("storage", "aws_dynamodb_table_replica", flows=_dynamodb_replica)
register("storage", "aws_elasticache_replication_group", flows=_elasticache_secondary)
register("flow", "aws_s3_bucket_replication_configuration", flows=_s3_replication)
register("storage", "aws_docdb_cluster", flows=_docdb_member)
register("storage", "aws_neptune_cluster", flows=_neptune_member)
register("flow", "aws_rds_global_cluster", flows=_aurora_global)
register("flow", "aws_docdb_global_cluster", flows=_docdb_global)
register("flow", "aws_neptune_global_cluster", flows=_neptune_global)
register(
    "flow", "aws_db_instance_automated_backups_replication", flows=_automated_backups_replication
)
register("flow", "aws_elasticache_global_replication_group")  # its members make the flows
register("flow", "aws_ecr_replication_configuration", flows=_ecr_replication)
register("flow", "aws_efs_replication_configuration", flows=_efs_replication)
