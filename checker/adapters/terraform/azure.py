"""Azure: data stores, geo-redundant storage (GRS, GZRS and their read-access forms copy every
account to its region's pair), Cosmos DB geo-locations, container registry georeplications, SQL
geo-replicas and failover groups, PostgreSQL/MySQL replicas, object replication, and the N-series
GPUs of virtual machines, scale sets, AKS and Azure ML."""

from __future__ import annotations

from checker.adapters.common import as_dict, as_list
from checker.adapters.terraform.plan import Plan, Resource, replication_catalog
from checker.adapters.terraform.registry import register
from checker.adapters.terraform.values import Machines, block, instance_types, most

#: Replication types that keep a second copy in the paired region.
GEO_REDUNDANT = frozenset({"GRS", "RAGRS", "GZRS", "RAGZRS"})


def _storage_account(plan: Plan, resource: Resource):
    """A geo-redundant account is in its region and in that region's pair."""
    kind = str(resource.values.get("account_replication_type") or "").upper().replace("-", "")
    if kind not in GEO_REDUNDANT:
        return None
    location, at = plan.cloud_location(resource)
    if not location:
        return None  # the missing location is reported with the system
    region = location.removeprefix("azure:")
    pair = replication_catalog()["azure_pairs"].get(region)
    if pair is None:
        raise plan.error(
            f"{resource.address}: {kind} copies the account to {region}'s paired region, and dlc knows "
            "no pair for it (Microsoft lists none, or the region is not an Azure region)",
            resource.at("account_replication_type"),
        )
    return [(location, at), (f"azure:{pair}", resource.at("account_replication_type"))]


def _cosmosdb(plan: Plan, resource: Resource):
    """An account keeps its data in every geo_location, the write region (failover priority 0) first."""
    locations = [
        (as_dict(g).get("failover_priority"), index, as_dict(g).get("location"))
        for index, g in enumerate(as_list(resource.values.get("geo_location")))
    ]
    found = []
    for _, index, location in sorted(locations, key=lambda item: (str(item[0]).zfill(4), item[1])):
        at = resource.at("geo_location", index, "location")
        if not isinstance(location, str) or not location:
            raise plan.error(
                f"{resource.address}: a geo_location is known only after apply, so dlc cannot tell "
                "where the account keeps its data",
                resource.at("geo_location", index),
            )
        found.append((plan.normalise("azure", location, resource), at))
    return found or None


def _object_replication(plan: Plan, resource: Resource) -> None:
    accounts = frozenset({"azurerm_storage_account"})
    source = plan.system_of(
        resource, ("source_storage_account_id",), accounts, what="source storage account"
    )
    target = plan.system_of(
        resource, ("destination_storage_account_id",), accounts, what="destination storage account"
    )
    plan.flow(resource, source, target, "replication", ("destination_storage_account_id",))


def _database_copy(source_key: str, kinds: frozenset, replicas: frozenset, copies: frozenset):
    """A replica (geo-replica, read replica) replicates from its source; a copy or restore is
    copied from it once. `replicas`, `copies`: the lower-case `create_mode`s of each."""

    def flows(plan: Plan, resource: Resource) -> None:
        mode = str(resource.values.get("create_mode") or "").lower()
        if mode in replicas or (mode in copies and resource.values.get(source_key)):
            source = plan.system_of(resource, (source_key,), kinds, what="source database")
            plan.flow(
                resource,
                source,
                resource.address,
                "replication" if mode in replicas else "copy",
                (source_key,),
            )

    return flows


def _registry(plan: Plan, resource: Resource):
    """A premium registry is in its own region and in each of its `georeplications`."""
    replicas = as_list(resource.values.get("georeplications"))
    own = plan.cloud_location(resource)
    if not replicas or not own[0]:
        return None
    found = [own]
    for index, replica in enumerate(replicas):
        location = as_dict(replica).get("location")
        if not isinstance(location, str) or not location:
            raise plan.error(
                f"{resource.address}: a georeplication's location is known only after apply",
                resource.at("georeplications", index),
            )
        found.append(
            (
                plan.normalise("azure", location, resource),
                resource.at("georeplications", index, "location"),
            )
        )
    return found


def _failover_group(plan: Plan, resource: Resource) -> None:
    servers = frozenset({"azurerm_mssql_server"})
    primary = plan.system_of(resource, ("server_id",), servers, what="primary server")
    for index, partner in enumerate(resource.values.get("partner_server") or [{}]):
        target = plan.system_of(
            resource,
            ("partner_server", index, "id"),
            servers,
            value=as_dict(partner).get("id"),
            what="partner server",
        )
        plan.flow(resource, primary, target, "replication", ("partner_server", index))
    # the databases in the group live on the primary server: their data travels with it
    for database in plan.referenced_systems(resource, ("databases",)):
        plan.flow(resource, database, primary, "replication", ("databases",))


def _aks_node_pool(pool: dict) -> list[Machines]:
    return [Machines([pool.get("vm_size")], most(pool.get("node_count"), pool.get("max_count")))]


def _aks_cluster(values: dict) -> list[Machines]:
    return _aks_node_pool(block(values, "default_node_pool"))


register("storage", "azurerm_storage_account", places=_storage_account)
register("storage", "azurerm_cosmosdb_account", places=_cosmosdb)
_SQL_SECONDARY = frozenset({"secondary", "onlinesecondary"})
_RESTORES = frozenset({"pointintimerestore", "georestore"})
register(
    "storage",
    "azurerm_mssql_database",
    flows=_database_copy(
        "creation_source_database_id",
        frozenset({"azurerm_mssql_database"}),
        _SQL_SECONDARY,
        frozenset({"copy"}),
    ),
    parent=("server_id", frozenset({"azurerm_mssql_server"})),
)
register(
    "storage",
    "azurerm_sql_database",
    flows=_database_copy(
        "source_database_id",
        frozenset({"azurerm_sql_database"}),
        _SQL_SECONDARY,
        frozenset({"copy"}),
    ),
)
for _server in ("azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server"):
    register(
        "storage",
        _server,
        flows=_database_copy(
            "source_server_id", frozenset({_server}), frozenset({"replica"}), _RESTORES
        ),
    )
for _server in ("azurerm_postgresql_server", "azurerm_mysql_server", "azurerm_mariadb_server"):
    register(
        "storage",
        _server,
        flows=_database_copy(
            "creation_source_server_id", frozenset({_server}), frozenset({"replica"}), _RESTORES
        ),
    )
register("storage", "azurerm_container_registry", places=_registry)
register(
    "storage",
    (
        "azurerm_mssql_server",
        "azurerm_sql_server",
        "azurerm_mssql_managed_instance",
        "azurerm_managed_disk",
        "azurerm_snapshot",
        "azurerm_redis_cache",
        "azurerm_redis_enterprise_cluster",
        "azurerm_eventhub_namespace",
        "azurerm_servicebus_namespace",
        "azurerm_data_lake_store",
        "azurerm_data_lake_analytics_account",
        "azurerm_synapse_workspace",
        "azurerm_kusto_cluster",
        "azurerm_log_analytics_workspace",
        "azurerm_recovery_services_vault",
        "azurerm_data_protection_backup_vault",
        "azurerm_search_service",
        "azurerm_data_factory",
        "azurerm_healthcare_service",
        "azurerm_healthcare_workspace",
        "azurerm_netapp_volume",
        "azurerm_cognitive_account",
    ),
)
register("flow", "azurerm_storage_object_replication", flows=_object_replication)
register("flow", "azurerm_mssql_failover_group", flows=_failover_group)
# the legacy SQL failover groups name partners by server name and resource group: not modelled
register(
    "unmodelled", ("azurerm_sql_failover_group", "azurerm_mssql_managed_instance_failover_group")
)
register(
    "compute",
    ("azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine"),
    machines=instance_types("size"),
)
register("compute", "azurerm_virtual_machine", machines=instance_types("vm_size"))
register(
    "compute",
    ("azurerm_linux_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set"),
    machines=instance_types("sku", "instances"),
)
register(
    "compute",
    "azurerm_orchestrated_virtual_machine_scale_set",
    machines=instance_types("sku_name", "instances"),
)
register(
    "compute",
    "azurerm_kubernetes_cluster_node_pool",
    machines=_aks_node_pool,
    parent=("kubernetes_cluster_id", frozenset({"azurerm_kubernetes_cluster"})),
)
register("compute", "azurerm_kubernetes_cluster", machines=_aks_cluster)
register(
    "compute",
    "azurerm_machine_learning_compute_cluster",
    machines=instance_types("vm_size", "scale_settings.max_node_count"),
)
register(
    "compute",
    "azurerm_batch_pool",
    machines=instance_types(
        "vm_size", "fixed_scale.target_dedicated_nodes", "fixed_scale.target_low_priority_nodes"
    ),
)
register(
    "compute",
    "azurerm_machine_learning_compute_instance",
    machines=instance_types("virtual_machine_size"),
)
register(
    "compute",
    (
        "azurerm_linux_function_app",
        "azurerm_windows_function_app",
        "azurerm_function_app",
        "azurerm_linux_web_app",
        "azurerm_windows_web_app",
        "azurerm_app_service",
        "azurerm_container_group",
        "azurerm_container_app",
        "azurerm_databricks_workspace",
        "azurerm_machine_learning_workspace",
        "azurerm_batch_account",
        "azurerm_hdinsight_spark_cluster",
        "azurerm_spring_cloud_service",
    ),
)
