"""Google Cloud: data stores, where multi-region ones keep their data (Cloud Storage and BigQuery
multi- and dual-regions, Spanner instance configurations, Bigtable clusters, Firestore), Cloud SQL
replicas and AlloyDB secondary clusters, Storage Transfer jobs, and the GPUs of Compute Engine, GKE and Workbench."""

from __future__ import annotations

import re

from checker.adapters.common import as_dict, as_list
from checker.adapters.terraform.plan import (
    Plan,
    Resource,
    multi_region,
    replica_of,
    replication_catalog,
)
from checker.adapters.terraform.registry import register
from checker.adapters.terraform.values import Machines, attribute, block, most, texts, whole

_ZONE = re.compile(r"-[a-z]$")

#: Zones GKE spreads a regional cluster's pools over when node_locations does not say: its default.
REGIONAL_ZONES = 3


# --- where the data is ---------------------------------------------------------------------


def _regions(regions: list[str], at: tuple) -> list[tuple[str, tuple]]:
    """Google Cloud regions (or zones), all written at `at`, as places."""
    return [(f"gcp:{region.strip().lower()}", at) for region in regions]


def _multi_region(plan: Plan, resource: Resource):
    """A `location` that may be a multi-region (`EU`, `US`, `NAM4`): one place per region it stands
    for; a single region is read as usual."""
    value = resource.values.get("location")
    regions = multi_region(value) if isinstance(value, str) else None
    return _regions(regions, resource.at("location")) if regions else None


def _bucket(plan: Plan, resource: Resource):
    """A bucket in a multi-region, a predefined dual-region, or a configurable dual-region
    (`custom_placement_config.data_locations`)."""
    custom = texts(attribute(resource.values, "custom_placement_config", "data_locations"))
    if custom:
        return _regions(custom, resource.at("custom_placement_config", 0, "data_locations"))
    return _multi_region(plan, resource)


def _spanner(plan: Plan, resource: Resource):
    """`config`: `regional-REGION` is that region; a multi-region configuration every region of it."""
    value = resource.values.get("config")
    if not isinstance(value, str) or not value:
        return None
    name = value.rsplit("/", 1)[-1].strip().lower()
    at = resource.at("config")
    if name.startswith("regional-"):
        return [(f"gcp:{name.removeprefix('regional-')}", at)]
    regions = replication_catalog()["spanner_configs"].get(name)
    if regions is None:
        raise plan.error(
            f"{resource.address}: Spanner instance configuration '{value}' is not one dlc knows, so "
            f"where its replicas are cannot be told (give it a '{plan.tags['location']}' label)",
            at,
        )
    return _regions(regions, at)


def _bigtable(plan: Plan, resource: Resource):
    """An instance keeps a full copy of its tables in every cluster's zone."""
    clusters = [as_dict(c) for c in as_list(resource.values.get("cluster"))]
    found = []
    for index, cluster in enumerate(clusters):
        zone = cluster.get("zone")
        if isinstance(zone, str) and zone:
            found.append((f"gcp:{zone.lower()}", resource.at("cluster", index, "zone")))
    return found or None


def _firestore(plan: Plan, resource: Resource):
    value = resource.values.get("location_id")
    if not isinstance(value, str) or not value:
        return None
    regions = multi_region(value)
    return _regions(regions or [value], resource.at("location_id"))


def _storage_transfer(plan: Plan, resource: Resource) -> None:
    spec = block(resource.values, "transfer_spec")
    buckets = frozenset({"google_storage_bucket", "aws_s3_bucket", "azurerm_storage_account"})

    def end(name: str, key: str, what: str) -> str | None:
        keys = ("transfer_spec", name, key)
        if block(spec, name) or plan.is_set(resource, keys):
            return plan.system_of(
                resource, keys, buckets, value=block(spec, name).get(key), what=what
            )
        return None

    sources = [
        end("gcs_data_source", "bucket_name", "transfer source"),
        end("aws_s3_data_source", "bucket_name", "transfer source"),
        end("azure_blob_storage_data_source", "storage_account", "transfer source"),
    ]
    # one per job; were there several, the last
    source = next((s for s in reversed(sources) if s), None)
    sink = end("gcs_data_sink", "bucket_name", "transfer sink")
    if source and sink:
        plan.flow(resource, source, sink, "copy", ("transfer_spec",))


# --- what runs -----------------------------------------------------------------------------


def _gce_instance(values: dict) -> list[Machines]:
    return [Machines([values.get("machine_type")], 1, as_list(values.get("guest_accelerator")))]


def _gke_node_pool(values: dict) -> list[Machines]:
    """GKE counts nodes per zone, except for the total maximum; a regional pool without
    node_locations runs in the region's default three zones."""
    node_config = block(values, "node_config")
    location = values.get("location")
    regional = isinstance(location, str) and location and not _ZONE.search(location)
    zones = len(as_list(values.get("node_locations"))) or (REGIONAL_ZONES if regional else 1)
    per_zone = max(
        whole(values.get("node_count"), 0),
        whole(values.get("initial_node_count"), 0),
        whole(attribute(values, "autoscaling", "max_node_count"), 0),
    )
    return [
        Machines(
            [node_config.get("machine_type")],
            most(per_zone * zones, attribute(values, "autoscaling", "total_max_node_count")),
            as_list(node_config.get("guest_accelerator")),
        )
    ]


def _gke_cluster(values: dict) -> list[Machines]:
    """The default node pool and the pools written inline (zones from the cluster unless their own)."""
    pools = [
        {"node_locations": values.get("node_locations"), "location": values.get("location"), **pool}
        for pool in as_list(values.get("node_pool"))
        if isinstance(pool, dict)
    ]
    return [machines for pool in [values, *pools] for machines in _gke_node_pool(pool)]


def _workbench(values: dict) -> list[Machines]:
    setup = block(values, "gce_setup")
    attached = [
        {"type": a.get("type"), "count": a.get("core_count")}
        for a in as_list(setup.get("accelerator_configs"))
        if isinstance(a, dict)
    ]
    return [Machines([setup.get("machine_type")], 1, attached)]


register("storage", "google_storage_bucket", places=_bucket)
register(
    "storage",
    ("google_bigquery_dataset", "google_logging_project_bucket_config"),
    places=_multi_region,
)
register("storage", "google_spanner_instance", places=_spanner)
register("storage", "google_bigtable_instance", places=_bigtable)
register("storage", "google_firestore_database", places=_firestore)
register(
    "storage",
    "google_sql_database_instance",
    flows=replica_of(
        "master_instance_name", frozenset({"google_sql_database_instance"}), "primary instance"
    ),
)
register(
    "storage",
    "google_spanner_database",
    parent=("instance", frozenset({"google_spanner_instance"})),
)
register(
    "storage",
    "google_bigquery_table",
    parent=("dataset_id", frozenset({"google_bigquery_dataset"})),
)
register(
    "storage",
    "google_bigtable_table",
    parent=("instance_name", frozenset({"google_bigtable_instance"})),
)
register(
    "storage", "google_alloydb_instance", parent=("cluster", frozenset({"google_alloydb_cluster"}))
)
register(
    "storage",
    "google_alloydb_cluster",
    flows=replica_of(
        "secondary_config.primary_cluster_name",
        frozenset({"google_alloydb_cluster"}),
        "primary cluster",
    ),
)
register(
    "storage",
    (
        "google_filestore_instance",
        "google_redis_instance",
        "google_redis_cluster",
        "google_memcache_instance",
        "google_pubsub_topic",
        "google_compute_disk",
        "google_compute_region_disk",
        "google_compute_snapshot",
        "google_compute_image",
        "google_artifact_registry_repository",
        "google_dataproc_metastore_service",
        "google_healthcare_dataset",
        "google_vertex_ai_dataset",
        "google_vertex_ai_featurestore",
        "google_datastream_stream",
        "google_looker_instance",
        "google_sql_source_representation_instance",
    ),
)
register("flow", "google_storage_transfer_job", flows=_storage_transfer)
register(
    "compute",
    (
        "google_compute_instance",
        "google_compute_instance_template",
        "google_compute_region_instance_template",
    ),
    machines=_gce_instance,
)
register(
    "compute",
    "google_container_node_pool",
    machines=_gke_node_pool,
    parent=("cluster", frozenset({"google_container_cluster"})),
)
register("compute", "google_container_cluster", machines=_gke_cluster)
register("compute", "google_workbench_instance", machines=_workbench)
register(
    "compute",
    (
        "google_compute_instance_group_manager",
        "google_compute_region_instance_group_manager",
        "google_cloudfunctions_function",
        "google_cloudfunctions2_function",
        "google_cloud_run_service",
        "google_cloud_run_v2_service",
        "google_cloud_run_v2_job",
        "google_dataproc_cluster",
        "google_dataflow_job",
        "google_notebooks_instance",
        "google_vertex_ai_endpoint",
        "google_app_engine_application",
        "google_composer_environment",
    ),
)
# TPUs are accelerators the catalog does not classify yet (docs/integrations.md, "Gaps")
register("unmodelled", ("google_tpu_node", "google_tpu_v2_vm", "google_tpu_v2_queued_resource"))
