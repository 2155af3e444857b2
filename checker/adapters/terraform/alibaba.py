"""Alibaba Cloud: data stores, OSS bucket replication, and the GPUs of ECS instances and ACK (Kubernetes) node pools."""

from __future__ import annotations

from checker.adapters.terraform.plan import Plan, Resource
from checker.adapters.terraform.registry import register
from checker.adapters.terraform.values import block, instance_types

_CLUSTERS = frozenset(
    {
        "alicloud_cs_managed_kubernetes",
        "alicloud_cs_kubernetes",
        "alicloud_cs_edge_kubernetes",
        "alicloud_cs_serverless_kubernetes",
    }
)

_BUCKETS = frozenset({"alicloud_oss_bucket"})


def _oss_replication(plan: Plan, resource: Resource) -> None:
    """A bucket replicated to a destination bucket: in the plan, else located by its OSS endpoint
    region (`oss-cn-hangzhou`)."""
    source = plan.system_of(resource, ("bucket",), _BUCKETS, what="source bucket")
    destination = block(resource.values, "destination")
    target = plan.match(resource, ("destination", "bucket"), _BUCKETS)
    if target is not None and target.address in plan.systems:
        plan.flow(resource, source, target.address, "replication", ("destination",))
        return
    region = str(destination.get("location") or "").removeprefix("oss-")
    if not region:
        raise plan.error(
            f"{resource.address}: the destination bucket is not in this plan and its location is "
            "known only after apply",
            resource.at("destination"),
        )
    plan.member(
        resource,
        f"{resource.address}@{region}",
        f"alibaba:{region}",
        resource.at("destination", 0, "location"),
        source=source,
    )


register("flow", "alicloud_oss_bucket_replication", flows=_oss_replication)
register(
    "storage",
    (
        "alicloud_oss_bucket",
        "alicloud_db_instance",
        "alicloud_db_readonly_instance",
        "alicloud_polardb_cluster",
        "alicloud_kvstore_instance",
        "alicloud_mongodb_instance",
        "alicloud_mongodb_sharding_instance",
        "alicloud_disk",
        "alicloud_ecs_disk",
        "alicloud_nas_file_system",
        "alicloud_log_project",
        "alicloud_log_store",
        "alicloud_hbase_instance",
        "alicloud_adb_db_cluster",
        "alicloud_cr_ee_instance",
        "alicloud_ots_instance",
        "alicloud_gpdb_instance",
        "alicloud_lindorm_instance",
        "alicloud_alikafka_instance",
        "alicloud_ons_instance",
    ),
)
register(
    "compute",
    ("alicloud_instance", "alicloud_ecs_instance_set"),
    machines=instance_types("instance_type", "amount"),
)
register(
    "compute",
    "alicloud_cs_kubernetes_node_pool",
    parent=("cluster_id", _CLUSTERS),
    machines=instance_types(
        "instance_types", "desired_size", "node_count", "scaling_config.max_size"
    ),
)
register(
    "compute",
    ("alicloud_cs_managed_kubernetes", "alicloud_cs_kubernetes"),
    machines=instance_types("worker_instance_types", "worker_number"),
)
register(
    "compute",
    (
        "alicloud_cs_edge_kubernetes",
        "alicloud_cs_serverless_kubernetes",
        "alicloud_ess_scaling_group",
        "alicloud_fc_function",
        "alicloud_fcv3_function",
        "alicloud_pai_workspace_workspace",
    ),
)
