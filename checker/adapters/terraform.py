"""Terraform plan JSON (`terraform show -json plan.out`) into the spec model.

Each data-holding or compute resource in `planned_values` (root and child modules) becomes a
system whose id is its resource address; its location comes from the resource's own
region/location/zone argument, else from the provider configuration it uses (aliases and
module providers included). Tags (labels on Google Cloud) declare the data it holds, which
becomes a dataset `<address>#data`. Replication, transfer, read-replica and backup-copy
resources become flows; GPU instance types and node pools become accelerators.

Fail closed: a resource of a data-holding or unknown type whose location cannot be found is
an input error naming its address and line; only the explicit list of types that hold no data
(IAM, networking, policies, random_*, ...) is skipped without a location.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from checker.adapters.common import (FieldSource, as_dict, as_list, carried_datasets, declared_dataset, dig,
                                     held_by_owner, validated)
from checker.errors import InputError
from checker.load.documents import Document
from checker.load.spec import check_references
from checker.model import Dataset, Flow, SourceRef, Spec, System

# --- configuration -----------------------------------------------------------------------

#: Tag (AWS, Azure, Alibaba) or label (Google Cloud) names read from each resource. With the
#: environment variable DLC_TAG_PREFIX set (e.g. `acme:`), every name is read with that prefix.
TAG_NAMES = {
    "classification": "data-classification",   # free text, kept as the dataset's description
    "origin": "data-origin",                   # ISO country where the data was collected
    "categories": "data-categories",           # category names, comma/space (or `_` on GCP) separated
    "subjects": "data-subjects",               # number of individuals
    "important": "data-important",             # true/false: designated important data
    "location": "dlc-location",                # overrides the location dlc would derive (e.g. CN, aws:cn-north-1)
}


def tag_names() -> dict[str, str]:
    prefix = os.environ.get("DLC_TAG_PREFIX", "")
    return {key: prefix + name for key, name in TAG_NAMES.items()}


PROVIDERS = {"aws": "aws", "azurerm": "azure", "google": "gcp", "google-beta": "gcp", "alicloud": "alibaba"}

STORAGE_TYPES = frozenset({
    # AWS
    "aws_s3_bucket", "aws_s3_directory_bucket", "aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance",
    "aws_dynamodb_table", "aws_dynamodb_global_table", "aws_efs_file_system", "aws_ebs_volume", "aws_ebs_snapshot",
    "aws_redshift_cluster", "aws_redshiftserverless_namespace", "aws_elasticache_cluster",
    "aws_elasticache_replication_group", "aws_opensearch_domain", "aws_elasticsearch_domain", "aws_docdb_cluster",
    "aws_neptune_cluster", "aws_kinesis_stream", "aws_kinesis_firehose_delivery_stream", "aws_sqs_queue",
    "aws_msk_cluster", "aws_backup_vault", "aws_glacier_vault", "aws_fsx_lustre_file_system",
    "aws_fsx_ontap_file_system", "aws_fsx_openzfs_file_system", "aws_fsx_windows_file_system",
    "aws_timestreamwrite_database", "aws_memorydb_cluster", "aws_keyspaces_keyspace", "aws_qldb_ledger",
    "aws_glue_catalog_database", "aws_athena_workgroup", "aws_cloudwatch_log_group", "aws_ecr_repository",
    # Google Cloud
    "google_storage_bucket", "google_sql_database_instance", "google_bigquery_dataset", "google_bigquery_table",
    "google_spanner_instance", "google_bigtable_instance", "google_firestore_database", "google_filestore_instance",
    "google_redis_instance", "google_memcache_instance", "google_alloydb_cluster", "google_pubsub_topic",
    "google_compute_disk", "google_compute_region_disk", "google_compute_snapshot", "google_logging_project_bucket_config",
    "google_artifact_registry_repository",
    # Azure
    "azurerm_storage_account", "azurerm_mssql_server", "azurerm_mssql_database", "azurerm_mssql_managed_instance",
    "azurerm_cosmosdb_account", "azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server",
    "azurerm_postgresql_server", "azurerm_mysql_server", "azurerm_managed_disk", "azurerm_redis_cache",
    "azurerm_eventhub_namespace", "azurerm_servicebus_namespace", "azurerm_data_lake_store", "azurerm_synapse_workspace",
    "azurerm_kusto_cluster", "azurerm_log_analytics_workspace", "azurerm_recovery_services_vault",
    "azurerm_data_protection_backup_vault", "azurerm_container_registry",
    # Alibaba Cloud
    "alicloud_oss_bucket", "alicloud_db_instance", "alicloud_polardb_cluster", "alicloud_kvstore_instance",
    "alicloud_mongodb_instance", "alicloud_disk", "alicloud_ecs_disk", "alicloud_nas_file_system",
    "alicloud_log_project", "alicloud_hbase_instance", "alicloud_adb_db_cluster", "alicloud_cr_ee_instance",
})

COMPUTE_TYPES = frozenset({
    # AWS
    "aws_instance", "aws_spot_instance_request", "aws_launch_template", "aws_autoscaling_group", "aws_eks_cluster",
    "aws_eks_node_group", "aws_ecs_cluster", "aws_ecs_service", "aws_lambda_function", "aws_emr_cluster",
    "aws_batch_compute_environment", "aws_sagemaker_notebook_instance", "aws_sagemaker_endpoint",
    "aws_sagemaker_domain", "aws_glue_job",
    # Google Cloud
    "google_compute_instance", "google_compute_instance_template", "google_compute_region_instance_template",
    "google_compute_instance_group_manager", "google_compute_region_instance_group_manager",
    "google_container_cluster", "google_container_node_pool", "google_cloudfunctions_function",
    "google_cloudfunctions2_function", "google_cloud_run_service", "google_cloud_run_v2_service",
    "google_cloud_run_v2_job", "google_dataproc_cluster", "google_dataflow_job", "google_workbench_instance",
    "google_notebooks_instance", "google_vertex_ai_endpoint",
    # Azure
    "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_virtual_machine",
    "azurerm_linux_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set",
    "azurerm_orchestrated_virtual_machine_scale_set", "azurerm_kubernetes_cluster",
    "azurerm_kubernetes_cluster_node_pool", "azurerm_linux_function_app", "azurerm_windows_function_app",
    "azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_container_group",
    "azurerm_machine_learning_compute_cluster", "azurerm_machine_learning_compute_instance",
    "azurerm_databricks_workspace",
    # Alibaba Cloud
    "alicloud_instance", "alicloud_ecs_instance_set", "alicloud_cs_managed_kubernetes", "alicloud_cs_kubernetes",
    "alicloud_cs_kubernetes_node_pool", "alicloud_ess_scaling_group", "alicloud_fc_function", "alicloud_fcv3_function",
    "alicloud_pai_workspace_workspace",
})

#: Resources that replicate or copy data: flows, never systems.
FLOW_TYPES = frozenset({
    "aws_s3_bucket_replication_configuration", "google_storage_transfer_job", "azurerm_storage_object_replication",
    "azurerm_mssql_failover_group", "aws_backup_plan", "aws_rds_global_cluster",
})

#: Resource types that hold no data: skipped without a location. fnmatch patterns.
IGNORED_TYPES = (
    "random_*", "null_resource", "terraform_data", "time_*", "tls_*", "local_file", "local_sensitive_file",
    "archive_file", "external", "http",
    "*_iam_*", "*_policy", "*_policy_attachment", "*_policy_document", "*_role", "*_role_assignment",
    "*_role_definition", "*_service_account", "*_service_account_key", "*_user", "*_group_membership",
    "aws_s3_bucket_*", "aws_s3_object", "aws_security_group*", "aws_vpc*", "aws_subnet", "aws_route*",
    "aws_internet_gateway", "aws_egress_only_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_eip_association",
    "aws_network_acl*", "aws_network_interface*", "aws_kms_*", "aws_db_subnet_group", "aws_db_parameter_group",
    "aws_db_option_group", "aws_rds_cluster_parameter_group", "aws_elasticache_subnet_group", "aws_eks_addon",
    "aws_eks_access_*", "aws_backup_selection", "aws_cloudwatch_metric_alarm", "aws_cloudwatch_event_*",
    "aws_sns_topic_subscription", "aws_acm_certificate*", "aws_route53_*", "aws_lb_listener*", "aws_lb_target_group*",
    "aws_key_pair", "aws_placement_group", "aws_ssm_parameter", "aws_secretsmanager_secret_version",
    "aws_autoscaling_policy", "aws_appautoscaling_*", "aws_cloudtrail", "aws_organizations_*", "aws_caller_identity",
    "google_project", "google_project_service", "google_compute_network", "google_compute_subnetwork",
    "google_compute_firewall", "google_compute_router*", "google_compute_address", "google_compute_global_address",
    "google_kms_*", "google_storage_bucket_object", "google_storage_bucket_acl", "google_dns_*",
    "google_service_networking_connection", "google_sql_user", "google_sql_database",
    "azurerm_resource_group", "azurerm_virtual_network*", "azurerm_subnet*", "azurerm_network_*",
    "azurerm_public_ip*", "azurerm_private_endpoint", "azurerm_private_dns_*", "azurerm_dns_*", "azurerm_key_vault*",
    "azurerm_storage_container", "azurerm_storage_blob", "azurerm_mssql_firewall_rule", "azurerm_monitor_*",
    "azurerm_user_assigned_identity", "azurerm_management_lock", "azurerm_client_config",
    "alicloud_vpc", "alicloud_vswitch", "alicloud_security_group*", "alicloud_ram_*", "alicloud_kms_*",
    "alicloud_eip*", "alicloud_nat_gateway", "alicloud_key_pair", "alicloud_oss_bucket_object",
)


def _extra_ignored() -> tuple[str, ...]:
    """More ignored types from DLC_TERRAFORM_IGNORE (comma-separated fnmatch patterns)."""
    return tuple(p.strip() for p in os.environ.get("DLC_TERRAFORM_IGNORE", "").split(",") if p.strip())


# Where each provider's resources say where they are, in order of preference.
_LOCATION_ARGUMENTS = {"aws": ("region", "availability_zone"), "gcp": ("region", "location", "zone"),
                       "azure": ("location",), "alibaba": ("region", "region_id", "availability_zone", "zone_id")}

# Google Cloud multi-regions and dual-regions: a country when they stay in one, else None.
_GCP_MULTI_REGIONS = {"US": "US", "NAM4": "US", "EU": None, "EUR4": None, "EUR5": None, "EUR7": None,
                      "EUR8": None, "ASIA": None, "ASIA1": "JP"}

# Where resources keep their tags or labels (Cloud SQL: in its settings block).
_TAG_ATTRIBUTES = (("tags",), ("labels",), ("tags_all",), ("resource_labels",), ("terraform_labels",),
                   ("effective_labels",), ("settings", 0, "user_labels"))

# Resources without a location of their own: the attribute naming the resource they live in, and
# its types (never a type with a parent of its own, so a chain of parents ends at once).
_PARENTS = {
    "azurerm_mssql_database": ("server_id", frozenset({"azurerm_mssql_server"})),
    "azurerm_kubernetes_cluster_node_pool": ("kubernetes_cluster_id", frozenset({"azurerm_kubernetes_cluster"})),
    "google_container_node_pool": ("cluster", frozenset({"google_container_cluster"})),
    "alicloud_cs_kubernetes_node_pool": ("cluster_id", frozenset({
        "alicloud_cs_managed_kubernetes", "alicloud_cs_kubernetes", "alicloud_cs_edge_kubernetes",
        "alicloud_cs_serverless_kubernetes"})),
}


# --- reading resource values ---------------------------------------------------------------

def _block(values: dict, name: str) -> dict:
    """The first (usually only) instance of a nested block, or {}."""
    value = values.get(name)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return as_dict(value)


def _values_path(values, keys: tuple) -> tuple:
    """Configuration keys ("rule", 0, "destination", "bucket") as a path in values (blocks are lists)."""
    path, node = [], values
    for key in keys:
        if isinstance(node, list) and not isinstance(key, int):
            path.append(0)
            node = node[0] if node else None
        path.append(key)
        node = dig(node, key)
    return tuple(path)


def _attribute(values: dict, *keys):
    """The value at configuration keys ("scaling_config", "max_size"), into the first of each block."""
    return dig(values, *_values_path(values, keys))


def _int(value, default: int) -> int:
    """A whole number written as a number or a string of digits, else the default."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default



# --- accelerators ------------------------------------------------------------------------

_AWS_FIXED = {
    "p4d.24xlarge": ("NVIDIA A100 40GB", 8), "p4de.24xlarge": ("NVIDIA A100 80GB", 8),
    "p5.48xlarge": ("NVIDIA H100 SXM", 8), "p5.4xlarge": ("NVIDIA H100 SXM", 1),
    "p5e.48xlarge": ("NVIDIA H200 SXM", 8), "p5en.48xlarge": ("NVIDIA H200 SXM", 8),
    "p6-b200.48xlarge": ("NVIDIA B200", 8),
    "p3.2xlarge": ("NVIDIA V100 SXM2", 1), "p3.8xlarge": ("NVIDIA V100 SXM2", 4),
    "p3.16xlarge": ("NVIDIA V100 SXM2", 8), "p3dn.24xlarge": ("NVIDIA V100 SXM2", 8),
}
_AWS_FAMILIES = {  # family: (model, {size: count}, count for the other sizes)
    "g4dn": ("NVIDIA T4", {"12xlarge": 4, "metal": 8}, 1),
    "g5": ("NVIDIA A10G", {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, 1),
    "g6": ("NVIDIA L4", {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, 1),
    "gr6": ("NVIDIA L4", {}, 1),
    "g6e": ("NVIDIA L40S", {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, 1),
}

_GCP_MACHINE = re.compile(r"^(a2|a3|a4|a4x)-(highgpu|megagpu|ultragpu|edgegpu)-(\d+)g$")
_GCP_MODELS = {
    ("a2", "highgpu"): "NVIDIA A100 40GB", ("a2", "megagpu"): "NVIDIA A100 40GB",
    ("a2", "ultragpu"): "NVIDIA A100 80GB", ("a3", "highgpu"): "NVIDIA H100 SXM",
    ("a3", "megagpu"): "NVIDIA H100 SXM", ("a3", "edgegpu"): "NVIDIA H100 SXM",
    ("a3", "ultragpu"): "NVIDIA H200 SXM", ("a4", "highgpu"): "NVIDIA B200",
    ("a4x", "highgpu"): "NVIDIA GB200 (per Blackwell GPU)",
}
_GCP_G2 = {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}
_GCP_ACCELERATOR_TYPES = {
    "nvidia-tesla-t4": "NVIDIA T4", "nvidia-tesla-v100": "NVIDIA V100 SXM2", "nvidia-tesla-a100": "NVIDIA A100 40GB",
    "nvidia-a100-80gb": "NVIDIA A100 80GB", "nvidia-l4": "NVIDIA L4", "nvidia-h100-80gb": "NVIDIA H100 SXM",
    "nvidia-h100-mega-80gb": "NVIDIA H100 SXM", "nvidia-h200-141gb": "NVIDIA H200 SXM", "nvidia-b200": "NVIDIA B200",
    "nvidia-gb200": "NVIDIA GB200 (per Blackwell GPU)",
}

_AZURE_SIZES = [  # (pattern, model, counts by the first group or a fixed count)
    (r"nd96isr_h100_v5", "NVIDIA H100 SXM", 8),
    (r"nd96isr_h200_v5", "NVIDIA H200 SXM", 8),
    (r"nd96amsr_a100_v4", "NVIDIA A100 80GB", 8),
    (r"nd96asr_(?:a100_)?v4", "NVIDIA A100 40GB", 8),
    (r"nc(24|48|96)ads_a100_v4", "NVIDIA A100 80GB", {"24": 1, "48": 2, "96": 4}),
    (r"nc(40|80)adi?s_h100_v5", "NVIDIA H100 NVL", {"40": 1, "80": 2}),
    (r"nc(4|8|16|64)as_t4_v3", "NVIDIA T4", {"4": 1, "8": 1, "16": 1, "64": 4}),
    (r"nv(6|12|18|36|72)ads_a10_v5", "NVIDIA A10", {"6": 1, "12": 1, "18": 1, "36": 1, "72": 2}),
    (r"nd96isr?_mi300x_v5", "AMD Instinct MI300X", 8),
    (r"nc(6|12|24)r?s_v3", "NVIDIA V100 SXM2", {"6": 1, "12": 2, "24": 4}),
    (r"nd40rs_v2", "NVIDIA V100 SXM2", 8),
    (r"nd128isr_ndr_gb200_v6", "NVIDIA GB200 (per Blackwell GPU)", 4),
]

_ALIBABA_FAMILIES = {  # GPUs per instance are not modelled here: counted as 1 (see docs/integrations.md)
    "gn7i": "NVIDIA A10", "gn7": "NVIDIA A100 40GB", "gn7e": "NVIDIA A100 80GB",
}


def _aws_gpus(instance_type: str) -> tuple[str, int] | None:
    if instance_type in _AWS_FIXED:
        return _AWS_FIXED[instance_type]
    family, _, size = instance_type.partition(".")
    if family not in _AWS_FAMILIES:
        return None
    model, sizes, default = _AWS_FAMILIES[family]
    return model, sizes.get(size, default)


def _gcp_gpus(machine_type: str) -> tuple[str, int] | None:
    match = _GCP_MACHINE.match(machine_type)
    if match and (match[1], match[2]) in _GCP_MODELS:
        return _GCP_MODELS[(match[1], match[2])], int(match[3])
    g2 = re.fullmatch(r"g2-standard-(\d+)", machine_type)
    if g2 and int(g2[1]) in _GCP_G2:
        return "NVIDIA L4", _GCP_G2[int(g2[1])]
    return None


def _azure_gpus(size: str) -> tuple[str, int] | None:
    name = size.lower().removeprefix("standard_")
    for pattern, model, counts in _AZURE_SIZES:
        match = re.fullmatch(pattern, name)
        if match:
            return model, counts if isinstance(counts, int) else counts[match[1]]
    return None


def _alibaba_gpus(instance_type: str) -> tuple[str, int] | None:
    family = re.match(r"^ecs\.([a-z0-9]+)[-.]", instance_type)
    model = _ALIBABA_FAMILIES.get(family[1]) if family else None
    return (model, 1) if model else None


# provider: (the GPUs of the instance types dlc knows, the pattern of every GPU instance type)
_GPU_TYPES = {
    "aws": (_aws_gpus, re.compile(r"^(?:p\d|g\d|gr\d|trn\d|inf\d|dl\d)")),
    "gcp": (_gcp_gpus, re.compile(r"^(?:a\d|g[2-9]|ct\d|tpu)")),
    "azure": (_azure_gpus, re.compile(r"^(?:standard_)?n[cdvg]", re.IGNORECASE)),
    "alibaba": (_alibaba_gpus, re.compile(r"^ecs\.(?:ebm|scc|s|v)?gn[a-z0-9]*[-.]")),
}


def gpus_for(provider: str, instance_type: str) -> tuple[str, int] | None:
    """(accelerator model, GPUs per instance) for a cloud instance type, None for a CPU type.

    A GPU family dlc does not know maps to a model name outside the catalog, so rules report it
    (fail closed) instead of treating the instance as having no accelerator."""
    if provider not in _GPU_TYPES:
        return None
    known, gpu_types = _GPU_TYPES[provider]
    itype = instance_type.strip().removeprefix("ml.")  # SageMaker: ml.<EC2 instance type>
    found = known(itype)
    if found is None and gpu_types.match(itype):
        return f"unrecognised GPU instance type {provider}:{itype}", 1
    return found


def gcp_accelerator(kind: str) -> str:
    name = kind.rsplit("/", 1)[-1]
    return _GCP_ACCELERATOR_TYPES.get(name, name)


class _Machines(NamedTuple):
    """What a compute resource runs: instance types, how many machines, and (Google Cloud) GPUs
    attached to a plain machine type."""

    types: list
    count: int
    attached: list | tuple = ()


def _most(*counts) -> int:
    """The most machines any of the counts allows (desired size, maximum, ...), at least one."""
    return max([_int(count, 0) for count in counts] + [1])


def _types(type_attribute: str, *count_attributes: str):
    """Reads a resource naming one instance type or a list of them (dotted attribute paths into the
    first of each block), with the most machines its count attributes allow (at least 1)."""
    def read(values: dict) -> list[_Machines]:
        types = _attribute(values, *type_attribute.split("."))
        counts = (_attribute(values, *count.split(".")) for count in count_attributes)
        return [_Machines(types if isinstance(types, list) else [types], _most(*counts))]
    return read


def _gce_instance(values: dict) -> list[_Machines]:
    return [_Machines([values.get("machine_type")], 1, as_list(values.get("guest_accelerator")))]


def _autoscaling_group(values: dict) -> list[_Machines]:
    overrides = as_list(_attribute(values, "mixed_instances_policy", "launch_template", "override"))
    return [_Machines([o.get("instance_type") for o in overrides if isinstance(o, dict)],
                      _most(values.get("desired_capacity"), values.get("max_size")))]


def _gke_node_pool(values: dict) -> list[_Machines]:
    """GKE counts nodes per zone, except for the total maximum."""
    node_config = _block(values, "node_config")
    zones = len(as_list(values.get("node_locations"))) or 1
    per_zone = max(_int(values.get("node_count"), 0), _int(values.get("initial_node_count"), 0),
                   _int(_attribute(values, "autoscaling", "max_node_count"), 0))
    return [_Machines([node_config.get("machine_type")],
                      _most(per_zone * zones, _attribute(values, "autoscaling", "total_max_node_count")),
                      as_list(node_config.get("guest_accelerator")))]


def _gke_cluster(values: dict) -> list[_Machines]:
    """The default node pool and the pools written inline (zones from the cluster unless their own)."""
    pools = [{"node_locations": values.get("node_locations"), **pool}
             for pool in as_list(values.get("node_pool")) if isinstance(pool, dict)]
    return [machines for pool in [values, *pools] for machines in _gke_node_pool(pool)]


def _aks_node_pool(pool: dict) -> list[_Machines]:
    return [_Machines([pool.get("vm_size")], _most(pool.get("node_count"), pool.get("max_count")))]


def _aks_cluster(values: dict) -> list[_Machines]:
    return _aks_node_pool(_block(values, "default_node_pool"))


def _workbench(values: dict) -> list[_Machines]:
    setup = _block(values, "gce_setup")
    attached = [{"type": a.get("type"), "count": a.get("core_count")}
                for a in as_list(setup.get("accelerator_configs")) if isinstance(a, dict)]
    return [_Machines([setup.get("machine_type")], 1, attached)]


def _emr_cluster(values: dict) -> list[_Machines]:
    return [*_types("master_instance_group.instance_type")(values),
            *_types("core_instance_group.instance_type", "core_instance_group.instance_count")(values)]


# resource type: how to read what it runs from its values
_MACHINES = {
    **dict.fromkeys(("aws_instance", "aws_spot_instance_request", "aws_launch_template",
                     "aws_sagemaker_notebook_instance"), _types("instance_type")),
    "aws_eks_node_group": _types("instance_types", "scaling_config.desired_size", "scaling_config.max_size"),
    "aws_autoscaling_group": _autoscaling_group,
    "aws_batch_compute_environment": _types("compute_resources.instance_type"),  # 1 machine each: see docs
    "aws_emr_cluster": _emr_cluster,
    **dict.fromkeys(("google_compute_instance", "google_compute_instance_template",
                     "google_compute_region_instance_template"), _gce_instance),
    "google_container_node_pool": _gke_node_pool,
    "google_container_cluster": _gke_cluster,
    "google_workbench_instance": _workbench,
    **dict.fromkeys(("azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine"), _types("size")),
    "azurerm_virtual_machine": _types("vm_size"),
    **dict.fromkeys(("azurerm_linux_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set"),
                    _types("sku", "instances")),
    "azurerm_orchestrated_virtual_machine_scale_set": _types("sku_name", "instances"),
    "azurerm_kubernetes_cluster_node_pool": _aks_node_pool,
    "azurerm_kubernetes_cluster": _aks_cluster,
    "azurerm_machine_learning_compute_cluster": _types("vm_size", "scale_settings.max_node_count"),
    "azurerm_machine_learning_compute_instance": _types("virtual_machine_size"),
    **dict.fromkeys(("alicloud_instance", "alicloud_ecs_instance_set"), _types("instance_type", "amount")),
    "alicloud_cs_kubernetes_node_pool": _types("instance_types", "desired_size", "node_count",
                                               "scaling_config.max_size"),
    **dict.fromkeys(("alicloud_cs_managed_kubernetes", "alicloud_cs_kubernetes"),
                    _types("worker_instance_types", "worker_number")),
}

#: Where compute without a reader above may name machine types: a GPU type found there is an input error.
_TYPE_KEY = re.compile(r"(?:instance_type|machine_type|vm_size|sku|sku_name|size)s?$")


def _named_types(values, path: tuple = ()):
    """(path, text) of every string under a machine-type-like key, at any depth."""
    items = values.items() if isinstance(values, dict) else enumerate(values) if isinstance(values, list) else ()
    for key, value in items:
        name = key if isinstance(key, str) else path[-1] if path else None  # a list's items: the list's key
        if isinstance(value, str) and isinstance(name, str) and _TYPE_KEY.search(name):
            yield (*path, key), value
        else:
            yield from _named_types(value, (*path, key))


#: AWS compute that may take its instance type from a launch template; a template one of them
#: uses is no system of its own (its machines are counted where they run).
_LAUNCHES_FROM_TEMPLATE = frozenset({"aws_instance", "aws_spot_instance_request", "aws_eks_node_group",
                                     "aws_autoscaling_group"})
_LAUNCH_TEMPLATE_KEYS = (
    ("launch_template", "id"), ("launch_template", "name"),
    ("mixed_instances_policy", "launch_template", "launch_template_specification", "launch_template_id"),
    ("mixed_instances_policy", "launch_template", "launch_template_specification", "launch_template_name"),
)


# --- reading plan JSON -------------------------------------------------------------------

_MODULE_PREFIX = re.compile(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)(.*)$")
_REF = re.compile(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?)")
_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")


@dataclass
class _Resource:
    address: str
    type: str
    provider: str | None           # dlc provider prefix: aws, azure, gcp, alibaba
    values: dict
    path: tuple                    # JSON path of the resource object in the plan
    module: str                    # module address with instance keys ("" at the root)
    config: dict = field(default_factory=dict)

    def at(self, *keys) -> tuple:
        return (*self.path, "values", *keys)


def _strip_keys(module: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", module).rstrip(".")


def _provider(item: dict, kind: str) -> str | None:
    """The dlc provider prefix from the resource's provider name, else from its type's prefix."""
    name = item.get("provider_name")
    short = name.rsplit("/", 1)[-1] if isinstance(name, str) else ""
    return PROVIDERS.get(short) or PROVIDERS.get(kind.split("_", 1)[0])


class _Plan:
    def __init__(self, document: Document) -> None:
        self.source = document.source
        self.file = document.source.file
        self.data = document.data
        self.tags = tag_names()
        self.ignored = IGNORED_TYPES + _extra_ignored()
        self.resources: list[_Resource] = []
        self.by_address: dict[str, _Resource] = {}
        self.systems: dict[str, dict] = {}
        self.where: dict = {}
        self.datasets: dict[str, Dataset] = {}
        self.flows: dict[tuple[str, str, str], tuple[str, _Resource, tuple]] = {}  # (address, from, to): ...
        self.external: dict[str, dict] = {}

    def error(self, message: str, path: tuple) -> InputError:
        line, column = self.source.locate(path)
        return InputError(message, self.file, line, column)

    # reading -------------------------------------------------------------------------------

    def read(self) -> None:
        if not isinstance(self.data, dict):
            raise self.error("a Terraform plan must be a JSON object", ())
        version = self.data.get("format_version")
        if not isinstance(version, str) or not version.split(".")[0].isdigit():
            raise self.error("not a Terraform plan: 'format_version' is missing or not a version string",
                             ("format_version",))
        if version.split(".")[0] != "1" and version not in ("0.1", "0.2"):
            raise self.error(f"unsupported Terraform JSON format_version {version} (dlc reads 1.x)",
                             ("format_version",))
        if "planned_values" not in self.data:
            raise self.error("the plan has no 'planned_values' (write it with `terraform show -json` of a "
                             "saved plan)", ())
        planned = self.data["planned_values"]
        if not isinstance(planned, dict):
            raise self.error("'planned_values' must be an object", ("planned_values",))
        self._walk(planned.get("root_module", {}), ("planned_values", "root_module"))
        configs = self._config_resources()
        for resource in self.resources:
            key = (_strip_keys(resource.module), _MODULE_PREFIX.match(resource.address)[2].split("[")[0])
            resource.config = configs.get(key, {})

    def _walk(self, module, path: tuple) -> None:
        stack = [(module, path)]
        while stack:
            module, path = stack.pop()
            if not isinstance(module, dict):
                raise self.error("a module in planned_values must be an object", path)
            resources = module.get("resources", [])
            if not isinstance(resources, list):
                raise self.error("'resources' must be a list", (*path, "resources"))
            for index, item in enumerate(resources):
                self._add(item, (*path, "resources", index))
            children = module.get("child_modules", [])
            if not isinstance(children, list):
                raise self.error("'child_modules' must be a list", (*path, "child_modules"))
            for index in reversed(range(len(children))):
                stack.append((children[index], (*path, "child_modules", index)))
        self.resources.sort(key=lambda r: r.path)

    def _add(self, item, where: tuple) -> None:
        if not isinstance(item, dict):
            raise self.error("a resource must be an object", where)
        address, kind = item.get("address"), item.get("type")
        if not isinstance(address, str) or not isinstance(kind, str):
            raise self.error("a resource needs a string 'address' and 'type'", where)
        if item.get("mode", "managed") != "managed":
            return  # data sources read, they do not create
        if address in self.by_address:
            raise self.error(f"resource address {address} appears twice", where)
        resource = _Resource(address, kind, _provider(item, kind), as_dict(item.get("values")), where,
                             _MODULE_PREFIX.match(address)[1].rstrip("."))
        self.by_address[address] = resource
        self.resources.append(resource)

    def _config_resources(self) -> dict[tuple[str, str], dict]:
        """(module path without keys, module-relative address) -> configuration resource."""
        out: dict = {}
        stack = [("", dig(self.data, "configuration", "root_module"))]
        while stack:
            prefix, module = stack.pop()
            if not isinstance(module, dict):
                continue
            for item in as_list(module.get("resources")):
                if isinstance(item, dict) and isinstance(item.get("address"), str):
                    out[(prefix, item["address"])] = item
            for name, call in as_dict(module.get("module_calls")).items():
                if isinstance(call, dict):
                    stack.append((f"{prefix}.module.{name}".lstrip("."), call.get("module")))
        return out

    # location ------------------------------------------------------------------------------

    def provider_region(self, resource: _Resource) -> tuple[str | None, tuple]:
        """(region or zone, JSON path it was written at) of the provider configuration."""
        configs = as_dict(dig(self.data, "configuration", "provider_config"))
        key = resource.config.get("provider_config_key")
        if not isinstance(key, str) or key not in configs:
            # no configuration entry for the resource: the default configuration of its provider
            key = resource.type.split("_", 1)[0]
            if key not in configs:
                return None, ()
        config = configs[key]
        for name in ("region", "zone", "location"):
            expression = dig(config, "expressions", name)
            if not isinstance(expression, dict):
                continue
            path = ("configuration", "provider_config", key, "expressions", name)
            if isinstance(expression.get("constant_value"), str):
                return expression["constant_value"], (*path, "constant_value")
            # only `var.NAME` itself: an expression over several values (a conditional) cannot be told
            names = {ref.split(".")[1] if isinstance(ref, str) and ref.startswith("var.") else None
                     for ref in as_list(expression.get("references"))}
            if len(names) != 1 or None in names:
                return None, ()
            return self._variable(names.pop(), config.get("module_address", ""))
        return None, ()

    def _variable(self, name: str, module: str) -> tuple[str | None, tuple]:
        """The value of variable `name` of a module: the root's from the plan's variables, a child
        module's when its caller sets it to a constant."""
        if not module:
            path = ("variables", name, "value")
        else:
            calls = ("configuration", "root_module")
            for index, part in enumerate(_strip_keys(module).split(".module.")):
                calls = (*calls, *(("module",) if index else ()), "module_calls", part.removeprefix("module."))
            path = (*calls, "expressions", name, "constant_value")
        value = dig(self.data, *path)
        return (value, path) if isinstance(value, str) else (None, ())

    def tag(self, resource: _Resource, key: str) -> tuple[str | None, tuple]:
        """The text of a dlc tag (or label) on the resource, with its path; None when unset or empty."""
        wanted = self.tags[key].lower()
        for attr in _TAG_ATTRIBUTES:
            for name, value in as_dict(dig(resource.values, *attr)).items():
                if name.lower() == wanted and value is not None:
                    return (str(value) or None), resource.at(*attr, name)
        return None, ()

    def location(self, resource: _Resource) -> tuple[str | None, tuple]:
        override, at = self.tag(resource, "location")
        if override:
            return override.strip(), at
        return self.cloud_location(resource)

    def cloud_location(self, resource: _Resource) -> tuple[str | None, tuple]:
        """Where the resource is by its arguments, parent or provider (ignoring a location tag)."""
        provider, values = resource.provider, resource.values
        for name in _LOCATION_ARGUMENTS.get(provider, ("region", "location")):
            value = values.get(name)
            if isinstance(value, str) and value.strip():
                return self._normalise(provider, value, resource), resource.at(name)
        if provider == "gcp":  # node pools, templates: the zones they run in
            zones = values.get("node_locations")
            if isinstance(zones, list) and zones and isinstance(zones[0], str):
                return f"gcp:{zones[0]}", resource.at("node_locations", 0)
        if resource.type in _PARENTS:
            attribute, kinds = _PARENTS[resource.type]
            target = self.match(resource, (attribute,), kinds)
            if target:
                return self.location(target)
        value, at = self.provider_region(resource)
        if value and provider:
            return self._normalise(provider, value, resource), at
        return None, ()

    def _normalise(self, provider: str | None, value: str, resource: _Resource) -> str:
        value = value.strip()
        if provider == "azure":
            return f"azure:{value.lower().replace(' ', '')}"
        if provider == "gcp" and value.upper() in _GCP_MULTI_REGIONS:
            country = _GCP_MULTI_REGIONS[value.upper()]
            if country is None:
                raise self.error(f"{resource.address}: Google Cloud multi-region '{value}' spans several "
                                 f"countries; say which with a '{self.tags['location']}' label",
                                 resource.at("location"))
            return country
        return f"{provider}:{value.lower()}" if provider else value

    # matching references ---------------------------------------------------------------------

    @cached_property
    def identifiers(self) -> dict[str, list[_Resource]]:
        """Known names, ids and ARNs of resources -> every resource carrying them (for values written
        literally; a bucket's sub-resources share its name)."""
        out: dict[str, list[_Resource]] = {}
        for resource in self.resources:
            for key in ("arn", "id", "name", "bucket", "identifier", "cluster_identifier", "self_link"):
                value = resource.values.get(key)
                if isinstance(value, str) and value:
                    names = {value, value.split(":::", 1)[1]} if value.startswith("arn:aws") and ":s3:::" in value \
                        else {value}
                    for name in names:
                        if resource not in out.setdefault(name, []):
                            out[name].append(resource)
        return out

    def match(self, resource: _Resource, keys: tuple, kinds: frozenset | None, value=None,
              config_keys=...) -> _Resource | None:
        """The resource an attribute refers to, of one of `kinds` (any system when None): by its
        configuration references (at `config_keys`, by default `keys`; None: by value only), else by
        value; a value that is an ARN with a region names only a resource located in that region."""
        def allowed(target: _Resource) -> bool:
            return target.address in self.systems if kinds is None else target.type in kinds

        for ref in self.references(resource, keys if config_keys is ... else config_keys):
            target = self.by_address.get(ref)
            if target is None:
                indexed = [a for a in self.by_address if a.startswith(ref + "[")]
                target = self.by_address[indexed[0]] if len(indexed) == 1 else None
            if target is not None and allowed(target):
                return target
        if value is None:
            value = _attribute(resource.values, *keys)
        if not isinstance(value, str) or not value:
            return None
        region = _ARN_REGION.match(value)
        located = f"aws:{region[1]}" if region and region[1] else None
        for candidate in (value, value.split(":::", 1)[-1], value.rsplit("/", 1)[-1], value.rsplit(":", 1)[-1]):
            for target in self.identifiers.get(candidate, ()):
                if allowed(target) and located in (None, self.cloud_location(target)[0]):
                    return target
        return None

    @staticmethod
    def expression(resource: _Resource, keys: tuple | None) -> dict:
        """An attribute's expression in the configuration ({} when the configuration does not set it,
        or keys is None: where the configuration of the attribute cannot be told)."""
        return as_dict(_Plan.configured(resource, keys))

    @staticmethod
    def configured(resource: _Resource, keys: tuple | None):
        """The configuration at keys: an expression, or the list of a block's instances (None if unset)."""
        if keys is None:
            return None
        node = as_dict(resource.config.get("expressions"))
        for key in keys:
            if isinstance(key, int):
                node = node[key] if isinstance(node, list) and key < len(node) else None
            elif isinstance(node, list):
                node = node[0].get(key) if node and isinstance(node[0], dict) else None
            elif isinstance(node, dict):
                node = node.get(key)
            else:
                return None
        return node

    def is_set(self, resource: _Resource, keys: tuple, config_keys=...) -> bool:
        """Whether an attribute is given: a known value, or a value unknown until apply (missing from
        the planned values) that the configuration (at `config_keys`, by default `keys`) computes from
        other values (var.*, module.*, ...)."""
        path = _values_path(resource.values, keys)
        if dig(resource.values, *path) not in (None, ""):
            return True
        holder = dig(resource.values, *path[:-1])
        unknown = not isinstance(holder, dict) or path[-1] not in holder
        return unknown and bool(self.expression(resource, keys if config_keys is ... else config_keys)
                                .get("references"))

    def references(self, resource: _Resource, keys: tuple | None) -> list[str]:
        """Addresses of the resources an attribute's configuration expression refers to."""
        prefix = resource.module + "." if resource.module else ""
        out = []
        for ref in as_list(self.expression(resource, keys).get("references")):
            match = _REF.match(ref) if isinstance(ref, str) else None
            if match and not ref.startswith(("var.", "local.", "data.", "module.", "each.", "count.", "path.")):
                out.append(prefix + match[1])
        return out

    def referenced_systems(self, resource: _Resource, keys: tuple) -> list[str]:
        return [ref for ref in self.references(resource, keys) if ref in self.systems]

    # systems ---------------------------------------------------------------------------------

    def is_ignored(self, kind: str) -> bool:
        if kind in STORAGE_TYPES or kind in COMPUTE_TYPES:
            return False
        return kind in FLOW_TYPES or any(fnmatch.fnmatchcase(kind, p) for p in self.ignored)

    def build_systems(self) -> None:
        templates_in_use = self._templates_in_use()
        for resource in self.resources:
            if self.is_ignored(resource.type) or resource.address in templates_in_use:
                continue
            location, at = self.location(resource)
            if not location:
                where = "a 'region'/'location' argument" if resource.provider else "a location"
                raise self.error(f"{resource.address}: cannot tell where this {resource.type} is: no region in "
                                 f"the resource or its provider configuration (give it {where}, a "
                                 f"'{self.tags['location']}' tag, or set the provider's region in "
                                 "configuration)", (*resource.path, "address"))
            kind = "storage" if resource.type in STORAGE_TYPES else \
                "compute" if resource.type in COMPUTE_TYPES else "other"
            system = {"id": resource.address, "kind": kind, "location": location}
            accelerators = self.accelerators(resource)
            if accelerators:
                system["accelerators"] = accelerators
            self.systems[resource.address] = system
            self.where[("systems", resource.address)] = SourceRef(FieldSource(
                self.source, (*resource.path, "address"),
                {"location": at or (*resource.path, "address"), "accelerators": resource.at()}), ())
            self._dataset(resource)

    def _templates_in_use(self) -> set[str]:
        used = set()
        for resource in self.resources:
            template = self._launch_template(resource) if resource.type in _LAUNCHES_FROM_TEMPLATE else None
            if template:
                used.add(template.address)
        return used

    def _launch_template(self, resource: _Resource) -> _Resource | None:
        for keys in _LAUNCH_TEMPLATE_KEYS:
            template = self.match(resource, keys, frozenset({"aws_launch_template"}))
            if template:
                return template
        return None

    def accelerators(self, resource: _Resource) -> list[dict]:
        read = _MACHINES.get(resource.type)
        if read is None:
            self._no_unread_gpus(resource)
            return []
        found: Counter[str] = Counter()
        for machines in read(resource.values):
            types = machines.types
            if not any(types) and resource.type in _LAUNCHES_FROM_TEMPLATE:
                template = self._launch_template(resource)
                types = [template.values.get("instance_type")] if template else types
            gpus = [gpus_for(resource.provider, t) for t in types if isinstance(t, str) and resource.provider]
            for model, per_machine in filter(None, gpus):
                found[model] += max(1, per_machine * machines.count)
            if not any(gpus):  # GPUs attached to a plain machine type (GCP)
                for item in machines.attached:
                    if isinstance(item, dict) and isinstance(item.get("type"), str):
                        found[gcp_accelerator(item["type"])] += max(1, _int(item.get("count"), 1) * machines.count)
        return [{"model": model, "count": number} for model, number in found.items()]

    def _no_unread_gpus(self, resource: _Resource) -> None:
        """Compute dlc reads no machines of must name no GPU machine type (it cannot count them)."""
        if resource.type not in COMPUTE_TYPES or not resource.provider:
            return
        for path, itype in _named_types(resource.values):
            if gpus_for(resource.provider, itype):
                raise self.error(f"{resource.address}: runs GPU machine type '{itype}', but dlc cannot tell how "
                                 f"many a {resource.type} runs (declare its accelerators in a spec instead)",
                                 resource.at(*path))

    # data --------------------------------------------------------------------------------------

    def _dataset(self, resource: _Resource) -> None:
        classification, _ = self.tag(resource, "classification")
        declared = declared_dataset(
            resource.address, self.source, lambda key: self.tag(resource, key),
            lambda key: f"tag '{self.tags[key]}'", lambda message, at: self.error(f"{resource.address}: {message}", at),
            separators=r"[,;\s_]+" if resource.provider == "gcp" else r"[,;\s]+",  # labels allow no commas
            description=f"classification: {classification}" if classification else None)
        if declared is not None:
            dataset, written_at = declared
            self.datasets[dataset.id] = dataset
            self.where[("datasets", dataset.id)] = written_at

    # flows -------------------------------------------------------------------------------------

    def build_flows(self) -> None:
        for resource in self.resources:
            handler = _FLOW_HANDLERS.get(resource.type)
            if handler:
                handler(self, resource)

    def flow(self, resource: _Resource, source: str, target: str, mode: str, keys: tuple = ()) -> None:
        """Data moves from source to target because of `resource` (once, however often it is found)."""
        if source != target:
            self.flows.setdefault((resource.address, source, target), (mode, resource, resource.at(*keys)))

    def system_of(self, resource: _Resource, keys: tuple, kinds: frozenset | None, value=None,
                  what: str = "target", config_keys=...) -> str:
        """The system an attribute names: a resource in the plan, else an external system located by
        the ARN's region; else an input error. `config_keys`: see match."""
        if value is None:
            value = _attribute(resource.values, *keys)
        target = self.match(resource, keys, kinds, value=value, config_keys=config_keys)
        if target is not None and target.address in self.systems:
            return target.address
        region = _ARN_REGION.match(value) if isinstance(value, str) else None
        if region and region[1]:
            ident = f"external:{value}"
            self.external.setdefault(ident, {"id": ident, "kind": "other", "location": f"aws:{region[1]}"})
            self.where.setdefault(("systems", ident), SourceRef(self.source, resource.at(*keys)))
            return ident
        shown = f" '{value}'" if isinstance(value, str) else ""
        raise self.error(f"{resource.address}: the {what}{shown} is not a resource in this plan and its region "
                         "cannot be told (plan the other side in the same configuration, or give an ARN "
                         "with its region)", resource.at(*_values_path(resource.values, keys))
                         if value is not None else (*resource.path, "address"))

    def finish(self) -> Spec:
        systems = {**self.systems, **self.external}
        holds = carried_datasets(systems, self.datasets, [(source, target) for _, source, target in self.flows])
        # A resource with one flow names it; one with several names each by its target, and by its
        # source as well where several sources reach that target (a backup plan's vault).
        flows_of = Counter(address for address, _, _ in self.flows)
        sources_into = Counter((address, target) for address, _, target in self.flows)
        flows = []
        for (address, source, target), (mode, resource, at) in self.flows.items():
            if flows_of[address] == 1:
                ident = address
            elif sources_into[(address, target)] == 1:
                ident = f"{address}->{target}"
            else:
                ident = f"{address}:{source}->{target}"
            body = {"id": ident, "from": source, "to": target, "mode": mode, "datasets": sorted(holds[source])}
            flows.append(validated(Flow, body, FieldSource(self.source, at, {})))
            self.where[("flows", ident)] = SourceRef(FieldSource(self.source, (*resource.path, "address"),
                                                                 {"from": at, "to": at}), ())
        system_models = [validated(System, body, FieldSource(self.source, (*self.by_address[sid].path, "address")
                                                             if sid in self.by_address else (), {}))
                         for sid, body in systems.items()]
        name = os.path.splitext(os.path.basename(self.file))[0]
        spec = Spec(f"terraform plan {name}", [self.file], None, system_models, list(self.datasets.values()),
                    flows, [], self.where, held_at=held_by_owner(self.datasets))
        check_references(spec)
        return spec


# --- flow handlers ---------------------------------------------------------------------------

_BUCKETS = frozenset({"aws_s3_bucket"})


def _set_pairing(plan: _Plan, resource: _Resource, keys: tuple | None, elements: list,
                 key: str | None) -> list[int | None]:
    """For each instance (in planned values) of a block Terraform stores as a set, the index of the
    same instance in the configuration at `keys`; None where that cannot be told. Terraform need not
    list a set's instances in the same order in both, so with more than one they are paired by their
    `key` attribute (a known value matched to the constant the configuration gives it), never by index."""
    config = plan.configured(resource, keys)
    config = config if isinstance(config, list) else []
    if len(elements) <= 1 and len(config) <= 1:
        return list(range(len(elements)))

    def text(value) -> str | None:
        return value if isinstance(value, str) and value else None

    known = [text(as_dict(element).get(key)) if key else None for element in elements]
    written = [text(as_dict(as_dict(block).get(key)).get("constant_value")) if key else None for block in config]
    return [written.index(name) if name is not None and known.count(name) == 1 and written.count(name) == 1
            else None for name in known]


def _unpaired(plan: _Plan, resource: _Resource, at: tuple, what: str, key: str | None) -> InputError:
    """The error for a set block instance whose configuration cannot be told and whose `what` is known
    only after apply."""
    paired_by = f"give each a unique constant '{key}', or " if key else ""
    return plan.error(f"{resource.address}: cannot tell the {what}: Terraform stores these blocks "
                      "as a set, listed in an order that need not match the configuration, and the value is "
                      f"known only after apply ({paired_by}write the destination so it is known at plan time)",
                      resource.at(*at))


def _replication_rules(plan: _Plan, resource: _Resource, source: str, rules: tuple, key: str | None = None) -> None:
    """A flow from `source` to the destination bucket of each enabled S3 replication rule. With
    `key`, the rules are a set whose instances are paired with their configuration by that key."""
    elements = as_list(_attribute(resource.values, *rules))
    pairing = _set_pairing(plan, resource, rules, elements, key) if key else list(range(len(elements)))
    for index, rule in enumerate(elements):
        if not isinstance(rule, dict) or str(rule.get("status", "Enabled")).lower() != "enabled":
            continue
        keys = (*rules, index, "destination", "bucket")
        config_index = pairing[index]
        value = _block(rule, "destination").get("bucket")
        if config_index is None and value in (None, ""):
            raise _unpaired(plan, resource, _values_path(resource.values, (*rules, index)),
                            "destination bucket of this replication rule", key)
        target = plan.system_of(resource, keys, _BUCKETS, value=value, what="destination bucket",
                                config_keys=None if config_index is None else (*rules, config_index,
                                                                               "destination", "bucket"))
        plan.flow(resource, source, target, "replication", _values_path(resource.values, keys))


def _s3_replication(plan: _Plan, resource: _Resource) -> None:
    source = plan.match(resource, ("bucket",), _BUCKETS)
    if source is None or source.address not in plan.systems:
        raise plan.error(f"{resource.address}: the source bucket "
                         f"'{resource.values.get('bucket', '(unknown until apply)')}' is not a bucket in this plan",
                         resource.at("bucket") if "bucket" in resource.values else (*resource.path, "address"))
    _replication_rules(plan, resource, source.address, ("rule",))


def _s3_inline_replication(plan: _Plan, resource: _Resource) -> None:
    # `rules` is a set in aws_s3_bucket (`rule` of aws_s3_bucket_replication_configuration is a list)
    _replication_rules(plan, resource, resource.address, ("replication_configuration", "rules"), key="id")


def _gcs_transfer(plan: _Plan, resource: _Resource) -> None:
    spec = _block(resource.values, "transfer_spec")
    buckets = frozenset({"google_storage_bucket", "aws_s3_bucket", "azurerm_storage_account"})

    def end(block: str, attribute: str, what: str) -> str | None:
        keys = ("transfer_spec", block, attribute)
        if _block(spec, block) or plan.is_set(resource, keys):
            return plan.system_of(resource, keys, buckets, value=_block(spec, block).get(attribute), what=what)
        return None

    sources = [end("gcs_data_source", "bucket_name", "transfer source"),
               end("aws_s3_data_source", "bucket_name", "transfer source"),
               end("azure_blob_storage_data_source", "storage_account", "transfer source")]
    source = next((s for s in reversed(sources) if s), None)  # one per job; were there several, the last
    sink = end("gcs_data_sink", "bucket_name", "transfer sink")
    if source and sink:
        plan.flow(resource, source, sink, "copy", ("transfer_spec",))


def _azure_object_replication(plan: _Plan, resource: _Resource) -> None:
    accounts = frozenset({"azurerm_storage_account"})
    source = plan.system_of(resource, ("source_storage_account_id",), accounts, what="source storage account")
    target = plan.system_of(resource, ("destination_storage_account_id",), accounts,
                            what="destination storage account")
    plan.flow(resource, source, target, "replication", ("destination_storage_account_id",))


# resource type: (the attribute naming the database it replicates, the types that may be, what it is called)
_REPLICA_SOURCES = {
    "aws_db_instance": ("replicate_source_db", frozenset({"aws_db_instance"}), "replication source database"),
    "aws_rds_cluster": ("replication_source_identifier", frozenset({"aws_rds_cluster", "aws_db_instance"}),
                        "replication source"),
    "google_sql_database_instance": ("master_instance_name", frozenset({"google_sql_database_instance"}),
                                     "primary instance"),
}


def _replica(plan: _Plan, resource: _Resource) -> None:
    attribute, kinds, what = _REPLICA_SOURCES[resource.type]
    if plan.is_set(resource, (attribute,)):
        source = plan.system_of(resource, (attribute,), kinds, what=what)
        plan.flow(resource, source, resource.address, "replication", (attribute,))


def _aws_global_cluster(plan: _Plan, resource: _Resource) -> None:
    """Members of an Aurora global database replicate from its primary (every way if it is unclear)."""
    members = [r for r in plan.resources if r.type == "aws_rds_cluster" and r.address in plan.systems and (
        plan.match(r, ("global_cluster_identifier",), frozenset({"aws_rds_global_cluster"})) is resource)]
    primary = plan.match(resource, ("source_db_cluster_identifier",), frozenset({"aws_rds_cluster"}))
    if primary is None:
        writers = [m for m in members if m.values.get("master_username") or m.values.get("database_name")]
        primary = writers[0] if len(writers) == 1 else None
    for source in [primary] if primary is not None else members:
        for member in members:
            plan.flow(resource, source.address, member.address, "replication")


def _rds_cluster(plan: _Plan, resource: _Resource) -> None:
    """A replica cluster; a member of an Aurora global database must name one in this plan."""
    _replica(plan, resource)
    keys = ("global_cluster_identifier",)
    if plan.is_set(resource, keys) and plan.match(resource, keys, frozenset({"aws_rds_global_cluster"})) is None:
        value = resource.values.get("global_cluster_identifier")
        raise plan.error(f"{resource.address}: the global database{f' {value!r}' if value else ''} is not a "
                         "resource in this plan, so dlc cannot tell where it replicates (plan it in the same "
                         "configuration)", resource.at(*keys) if value else (*resource.path, "address"))


def _azure_mssql_database(plan: _Plan, resource: _Resource) -> None:
    """A secondary replicates from its source database; a copy is copied from it once."""
    mode = str(resource.values.get("create_mode") or "").lower()
    secondary = mode in ("secondary", "onlinesecondary")
    if secondary or (mode == "copy" and resource.values.get("creation_source_database_id")):
        source = plan.system_of(resource, ("creation_source_database_id",), frozenset({"azurerm_mssql_database"}),
                                what="source database")
        plan.flow(resource, source, resource.address, "replication" if secondary else "copy",
                  ("creation_source_database_id",))


def _azure_failover_group(plan: _Plan, resource: _Resource) -> None:
    servers = frozenset({"azurerm_mssql_server"})
    primary = plan.system_of(resource, ("server_id",), servers, what="primary server")
    for index, partner in enumerate(resource.values.get("partner_server") or [{}]):
        target = plan.system_of(resource, ("partner_server", index, "id"), servers,
                                value=as_dict(partner).get("id"), what="partner server")
        plan.flow(resource, primary, target, "replication", ("partner_server", index))
    # the databases in the group live on the primary server: their data travels with it
    for database in plan.referenced_systems(resource, ("databases",)):
        plan.flow(resource, database, primary, "replication", ("databases",))


def _backed_up(plan: _Plan, selection: _Resource) -> list[str]:
    """The systems a backup selection names; an input error where it selects by tag, condition or
    wildcard (which resources those match is not in the plan)."""
    conditions = [value for block in as_list(selection.values.get("condition")) for value in as_dict(block).values()
                  if value]
    arns = as_list(selection.values.get("resources"))
    wildcards = [index for index, arn in enumerate(arns) if isinstance(arn, str) and "*" in arn]
    if as_list(selection.values.get("selection_tag")) or conditions or wildcards:
        raise plan.error(f"{selection.address}: dlc cannot tell which resources this backup selection backs up "
                         "(it selects by tag, condition or wildcard): list them in 'resources'",
                         selection.at("resources", wildcards[0]) if wildcards else (*selection.path, "address"))
    named = [plan.system_of(selection, ("resources", index), None, value=arn, what="backed-up resource")
             for index, arn in enumerate(arns)]
    referenced = plan.referenced_systems(selection, ("resources",))
    if not named and not referenced and plan.is_set(selection, ("resources",)):
        raise plan.error(f"{selection.address}: dlc cannot tell which resources this backup selection backs up "
                         "(they are known only after apply)", (*selection.path, "address"))
    return named + referenced


def _backup_selection(plan: _Plan, resource: _Resource) -> None:
    """A selection's resources flow through its plan's rules (see _aws_backup_plan); one whose
    plan is not in this plan JSON backs them up to vaults dlc cannot see."""
    if plan.match(resource, ("plan_id",), frozenset({"aws_backup_plan"})) is None:
        raise plan.error(f"{resource.address}: its backup plan is not in this plan JSON, so dlc cannot tell "
                         "where it backs the resources up to", (*resource.path, "address"))


def _aws_backup_plan(plan: _Plan, resource: _Resource) -> None:
    """Each rule backs the selected resources up into its vault, and copies that vault onwards."""
    vaults = frozenset({"aws_backup_vault"})
    backed_up = [source for selection in plan.resources if selection.type == "aws_backup_selection" and
                 plan.match(selection, ("plan_id",), frozenset({"aws_backup_plan"})) is resource
                 for source in _backed_up(plan, selection)]
    # `rule` and its `copy_action` are sets: paired with their configuration by rule_name, and by
    # their known values alone where they cannot be
    rules = as_list(resource.values.get("rule"))
    pairing = _set_pairing(plan, resource, ("rule",), rules, "rule_name")
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        config_rule = None if pairing[index] is None else ("rule", pairing[index])
        value = rule.get("target_vault_name")
        if config_rule is None and value in (None, ""):
            raise _unpaired(plan, resource, ("rule", index), "backup vault of this rule", "rule_name")
        vault = plan.system_of(resource, ("rule", index, "target_vault_name"), vaults, value=value,
                               what="backup vault",
                               config_keys=config_rule and (*config_rule, "target_vault_name"))
        for source in backed_up:
            plan.flow(resource, source, vault, "backup", ("rule", index))
        copies = as_list(rule.get("copy_action"))
        copy_pairing = _set_pairing(plan, resource, config_rule and (*config_rule, "copy_action"), copies, None)
        for copy_index, copy in enumerate(copies or [{}]):
            keys = ("rule", index, "copy_action", copy_index, "destination_vault_arn")
            value = as_dict(copy).get("destination_vault_arn")
            config_copy = copy_index if not copies else copy_pairing[copy_index]
            config_keys = None if config_rule is None or config_copy is None else (
                *config_rule, "copy_action", config_copy, "destination_vault_arn")
            if value in (None, "") and config_keys is None and copies:
                raise _unpaired(plan, resource, ("rule", index, "copy_action", copy_index),
                                "destination vault of this copy_action", "rule_name" if config_rule is None else None)
            if value is None and not plan.is_set(resource, keys, config_keys=config_keys):
                continue
            target = plan.system_of(resource, keys, vaults, value=value, what="backup copy destination vault",
                                    config_keys=config_keys)
            plan.flow(resource, vault, target, "backup", keys)


_FLOW_HANDLERS = {
    "aws_backup_selection": _backup_selection,
    "aws_s3_bucket_replication_configuration": _s3_replication,
    "aws_s3_bucket": _s3_inline_replication,
    "google_storage_transfer_job": _gcs_transfer,
    "azurerm_storage_object_replication": _azure_object_replication,
    **dict.fromkeys(_REPLICA_SOURCES, _replica),
    "aws_rds_global_cluster": _aws_global_cluster,
    "aws_rds_cluster": _rds_cluster,
    "azurerm_mssql_database": _azure_mssql_database,
    "azurerm_mssql_failover_group": _azure_failover_group,
    "aws_backup_plan": _aws_backup_plan,
}


def plan_to_spec(document: Document) -> Spec:
    """A Terraform plan (the data of `terraform show -json`) as a Spec whose ids are resource addresses."""
    plan = _Plan(document)
    try:
        plan.read()
        plan.build_systems()
        plan.build_flows()
        return plan.finish()
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        # A structure no plan Terraform writes (an attribute of an unexpected type): an input
        # error, never a traceback. The checks above report every shape seen in real plans.
        raise InputError(f"malformed Terraform plan: unexpected structure ({type(exc).__name__}: {exc})",
                         document.source.file) from None
