"""Resource types that keep no data, move none and run nothing dlc judges: identity and access,
networking, DNS, certificates, keys, monitoring and alerting, policies, sub-resources that only
configure a store, and Terraform's own utility providers. Skipped silently (counted as `no-data`).
fnmatch patterns; a type the registry models is never matched here.

Only `*` wildcards: matched without compiling ~400 expressions (which would cost a small check
more than all the rest of reading its plan). Keys (KMS) and secrets hold key material, not the personal or important data the rules are about;
logs shipped to a log group or bucket are modelled at that store.
"""

from __future__ import annotations

import functools

NO_DATA_TYPES = (
    # Terraform utility providers
    "random_*", "null_resource", "terraform_data", "time_*", "tls_*", "local_file", "local_sensitive_file",
    "archive_file", "external", "http", "cloudinit_config",
    # every provider: identity, access, policies
    "*_iam_*", "*_policy", "*_policies", "*_policy_attachment", "*_policy_document", "*_role", "*_roles",
    "*_role_assignment", "*_role_definition", "*_service_account", "*_service_account_key",
    "*_service_account_iam_*", "*_user", "*_group_membership", "*_permission", "*_permissions",
    "*_access_key", "*_identity", "*_firewall_rule", "*_firewall_rules", "*_network_rule_set",
    "*_tag", "*_tags", "*_lock", "*_budget", "*_dashboard",
    # AWS
    "aws_s3_bucket_*", "aws_s3_object", "aws_s3_account_public_access_block", "aws_security_group*",
    "aws_vpc*", "aws_default_*", "aws_subnet", "aws_route", "aws_route_table*", "aws_route53_*",
    "aws_internet_gateway*", "aws_egress_only_internet_gateway", "aws_nat_gateway", "aws_eip",
    "aws_eip_association", "aws_network_acl*", "aws_network_interface*", "aws_kms_*", "aws_db_subnet_group",
    "aws_db_parameter_group", "aws_db_option_group", "aws_db_proxy*", "aws_rds_cluster_parameter_group",
    "aws_rds_cluster_endpoint", "aws_elasticache_subnet_group", "aws_elasticache_parameter_group",
    "aws_elasticache_user_group*", "aws_eks_addon", "aws_eks_access_*", "aws_eks_identity_provider_config",
    "aws_eks_pod_identity_association", "aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm",
    "aws_cloudwatch_event_*", "aws_cloudwatch_log_metric_filter", "aws_cloudwatch_log_subscription_filter",
    "aws_cloudwatch_log_resource_policy", "aws_cloudwatch_log_stream", "aws_cloudwatch_dashboard",
    "aws_sns_topic*", "aws_acm_certificate*", "aws_acmpca_*", "aws_lb", "aws_alb", "aws_elb",
    "aws_lb_*", "aws_alb_*", "aws_elb_*", "aws_lb_cookie_stickiness_policy", "aws_proxy_protocol_policy",
    "aws_key_pair", "aws_placement_group", "aws_ssm_parameter", "aws_ssm_document", "aws_ssm_association",
    "aws_secretsmanager_*", "aws_autoscaling_policy", "aws_autoscaling_schedule",
    "aws_autoscaling_lifecycle_hook", "aws_autoscaling_attachment", "aws_autoscaling_notification",
    "aws_appautoscaling_*", "aws_cloudtrail", "aws_organizations_*", "aws_flow_log", "aws_volume_attachment",
    "aws_lambda_permission", "aws_lambda_alias", "aws_lambda_event_source_mapping",
    "aws_lambda_function_url", "aws_lambda_layer_version*", "aws_api_gateway_*", "aws_apigatewayv2_*",
    "aws_cloudfront_*", "aws_wafv2_*", "aws_waf_*", "aws_wafregional_*", "aws_shield_*", "aws_guardduty_*",
    "aws_securityhub_*", "aws_config_*", "aws_inspector*", "aws_macie2_*", "aws_accessanalyzer_*",
    "aws_ec2_transit_gateway*", "aws_vpn_*", "aws_customer_gateway", "aws_dx_*", "aws_ec2_tag",
    "aws_ec2_managed_prefix_list*", "aws_ec2_client_vpn_*", "aws_main_route_table_association",
    "aws_ecs_task_definition", "aws_ecs_capacity_provider", "aws_ecs_cluster_capacity_providers",
    "aws_service_discovery_*", "aws_ses_*", "aws_cognito_*", "aws_elasticsearch_domain_policy",
    "aws_opensearch_domain_policy", "aws_neptune_cluster_parameter_group", "aws_neptune_parameter_group",
    "aws_neptune_subnet_group", "aws_docdb_subnet_group", "aws_docdb_cluster_parameter_group",
    "aws_redshift_subnet_group", "aws_redshift_parameter_group", "aws_memorydb_subnet_group",
    "aws_memorydb_parameter_group", "aws_memorydb_acl", "aws_dynamodb_table_item", "aws_dynamodb_contributor_insights",
    "aws_ecr_lifecycle_policy", "aws_ecr_repository_policy", "aws_ecr_registry_policy",
    "aws_ecr_pull_through_cache_rule", "aws_ecr_registry_scanning_configuration",
    "aws_backup_vault_notifications", "aws_backup_vault_lock_configuration", "aws_backup_vault_policy",
    "aws_backup_region_settings", "aws_backup_global_settings", "aws_xray_*", "aws_budgets_*",
    "aws_ce_*", "aws_servicequotas_*", "aws_resourcegroups_*", "aws_ram_*", "aws_sfn_state_machine",
    "aws_cloudformation_*", "aws_codebuild_source_credential", "aws_codestarconnections_*",
    "aws_lightsail_key_pair", "aws_lightsail_static_ip*", "aws_lightsail_domain*",
    "aws_lightsail_container_service_deployment_version", "aws_eks_fargate_profile",
    "aws_iam_openid_connect_provider", "aws_iam_saml_provider", "aws_iam_instance_profile",
    "aws_kinesis_stream_consumer", "aws_sagemaker_code_repository", "aws_sagemaker_user_profile",
    "aws_sagemaker_model", "aws_sagemaker_notebook_instance_lifecycle_configuration",
    "aws_glue_crawler", "aws_glue_trigger", "aws_glue_connection", "aws_glue_security_configuration",
    "aws_athena_named_query", "aws_athena_data_catalog", "aws_rds_cluster_role_association",
    "aws_db_instance_role_association", "aws_db_event_subscription",
    "aws_efs_mount_target", "aws_efs_access_point", "aws_efs_backup_policy", "aws_efs_file_system_policy",
    "aws_fsx_backup", "aws_msk_configuration", "aws_msk_scram_secret_association",
    "aws_mq_configuration", "aws_ebs_encryption_by_default", "aws_ebs_default_kms_key", "aws_ami*",
    "aws_snapshot_create_volume_permission", "aws_caller_identity", "aws_ssoadmin_*", "aws_identitystore_*",
    "aws_codepipeline*", "aws_codestarnotifications_*", "aws_codedeploy_*", "aws_servicecatalog_*",
    "aws_vpclattice_*", "aws_networkfirewall_*", "aws_globalaccelerator_*", "aws_app_cookie_stickiness_policy",
    "aws_load_balancer_*",
    # Google Cloud
    "google_project", "google_project_service", "google_project_services", "google_project_metadata*",
    "google_folder", "google_folder_*", "google_organization_*", "google_billing_*", "google_compute_network",
    "google_compute_subnetwork", "google_compute_firewall", "google_compute_firewall_policy*",
    "google_compute_router*", "google_compute_address", "google_compute_global_address",
    "google_compute_network_peering*", "google_compute_shared_vpc_*", "google_compute_route",
    "google_compute_vpn_*", "google_compute_ha_vpn_gateway", "google_compute_external_vpn_gateway",
    "google_compute_interconnect_attachment", "google_compute_*_health_check", "google_compute_health_check",
    "google_compute_backend_*", "google_compute_*forwarding_rule", "google_compute_target_*",
    "google_compute_url_map", "google_compute_*ssl_certificate", "google_compute_ssl_policy",
    "google_compute_security_policy", "google_compute_attached_disk", "google_compute_disk_resource_policy_attachment",
    "google_compute_resource_policy", "google_compute_project_metadata*", "google_compute_instance_iam_*",
    "google_compute_autoscaler", "google_compute_region_autoscaler", "google_compute_managed_ssl_certificate",
    "google_kms_*", "google_storage_bucket_object", "google_storage_bucket_acl", "google_storage_default_object_acl",
    "google_storage_object_acl", "google_storage_notification", "google_storage_hmac_key", "google_dns_*",
    "google_service_networking_connection", "google_vpc_access_connector", "google_sql_user", "google_sql_database",
    "google_sql_ssl_cert", "google_bigquery_dataset_access", "google_monitoring_*", "google_logging_metric",
    "google_logging_*_sink", "google_logging_*_exclusion", "google_pubsub_subscription",
    "google_pubsub_topic_iam_*", "google_secret_manager_*", "google_certificate_manager_*",
    "google_vmwareengine_network*", "google_cloud_scheduler_job", "google_cloud_run_domain_mapping",
    "google_cloud_run_service_iam_*", "google_cloud_run_v2_service_iam_*", "google_endpoints_service",
    "google_identity_platform_*", "google_iap_*", "google_access_context_manager_*", "google_os_login_*",
    "google_artifact_registry_repository_iam_*", "google_spanner_database_iam_*", "google_spanner_instance_iam_*",
    "google_tags_*", "google_essential_contacts_*", "google_privateca_*", "google_network_connectivity_*",
    "google_compute_global_network_endpoint*", "google_compute_network_endpoint*",
    "google_compute_region_network_endpoint_group", "google_compute_network_endpoint_group",
    "google_compute_region_backend_service", "google_compute_region_url_map", "google_compute_region_target_*",
    "google_compute_instance_group", "google_compute_instance_group_named_port", "google_compute_region_per_instance_config",
    "google_compute_per_instance_config", "google_cloudbuild_trigger", "google_cloudbuild_worker_pool",
    "google_service_account_*", "google_project_default_service_accounts", "google_project_organization_policy",
    "google_org_policy_policy", "google_bigquery_dataset_iam_*", "google_bigquery_table_iam_*",
    "google_storage_bucket_iam_*", "google_storage_bucket_access_control", "google_storage_managed_folder*",
    "google_pubsub_schema", "google_cloudfunctions_function_iam_*", "google_cloudfunctions2_function_iam_*",
    # Azure
    "azurerm_resource_group", "azurerm_virtual_network*", "azurerm_subnet*", "azurerm_network_*",
    "azurerm_public_ip*", "azurerm_private_endpoint*", "azurerm_private_dns_*", "azurerm_private_link_service",
    "azurerm_dns_*", "azurerm_key_vault*", "azurerm_storage_container", "azurerm_storage_blob",
    "azurerm_storage_queue", "azurerm_storage_share_directory", "azurerm_storage_management_policy",
    "azurerm_storage_account_network_rules", "azurerm_storage_account_customer_managed_key",
    "azurerm_mssql_firewall_rule", "azurerm_mssql_virtual_network_rule", "azurerm_mssql_server_*_policy",
    "azurerm_mssql_database_extended_auditing_policy", "azurerm_mssql_server_transparent_data_encryption",
    "azurerm_mssql_server_security_alert_policy", "azurerm_mssql_server_vulnerability_assessment",
    "azurerm_sql_firewall_rule", "azurerm_sql_virtual_network_rule", "azurerm_sql_active_directory_administrator",
    "azurerm_postgresql_configuration", "azurerm_postgresql_firewall_rule", "azurerm_postgresql_database",
    "azurerm_postgresql_virtual_network_rule", "azurerm_postgresql_active_directory_administrator",
    "azurerm_postgresql_flexible_server_configuration", "azurerm_postgresql_flexible_server_firewall_rule",
    "azurerm_postgresql_flexible_server_database", "azurerm_mysql_configuration", "azurerm_mysql_firewall_rule",
    "azurerm_mysql_database", "azurerm_mysql_flexible_server_configuration",
    "azurerm_mysql_flexible_server_firewall_rule", "azurerm_mysql_flexible_database", "azurerm_mariadb_*_rule",
    "azurerm_monitor_*", "azurerm_application_insights*", "azurerm_log_analytics_solution",
    "azurerm_log_analytics_*_rules", "azurerm_user_assigned_identity", "azurerm_management_lock",
    "azurerm_client_config", "azurerm_express_route_*", "azurerm_virtual_hub*", "azurerm_virtual_wan",
    "azurerm_vpn_*", "azurerm_firewall*", "azurerm_application_gateway", "azurerm_lb*", "azurerm_nat_gateway*",
    "azurerm_route*", "azurerm_frontdoor*", "azurerm_cdn_*", "azurerm_traffic_manager_*", "azurerm_bastion_host",
    "azurerm_management_group*", "azurerm_subscription*", "azurerm_security_center_*", "azurerm_advisor_*",
    "azurerm_policy_*", "azurerm_availability_set", "azurerm_proximity_placement_group",
    "azurerm_virtual_machine_extension", "azurerm_virtual_machine_data_disk_attachment",
    "azurerm_virtual_machine_scale_set_extension", "azurerm_service_plan", "azurerm_app_service_plan",
    "azurerm_app_service_*_binding", "azurerm_app_service_certificate*", "azurerm_api_management*",
    "azurerm_container_registry_webhook", "azurerm_container_registry_scope_map", "azurerm_container_registry_token",
    "azurerm_cosmosdb_sql_role_*", "azurerm_eventhub_authorization_rule", "azurerm_eventhub_namespace_authorization_rule",
    "azurerm_servicebus_*_authorization_rule", "azurerm_backup_policy_*", "azurerm_backup_protected_*",
    "azurerm_data_protection_backup_policy_*", "azurerm_kubernetes_cluster_extension",
    "azurerm_federated_identity_credential", "azurerm_ssh_public_key", "azurerm_diagnostic_setting",
    # queues, topics and hubs inside a modelled namespace: the namespace is the store
    "azurerm_servicebus_queue", "azurerm_servicebus_topic", "azurerm_servicebus_subscription*",
    "azurerm_eventhub", "azurerm_eventhub_consumer_group", "azurerm_cosmosdb_sql_database",
    "azurerm_cosmosdb_sql_container", "azurerm_cosmosdb_mongo_database", "azurerm_cosmosdb_mongo_collection",
    "azurerm_redis_firewall_rule", "azurerm_storage_table", "azurerm_storage_share", "azurerm_storage_data_lake_gen2_filesystem",
    "azurerm_app_configuration_key", "azurerm_linux_web_app_slot", "azurerm_windows_web_app_slot",
    "azurerm_app_service_slot", "azurerm_function_app_slot", "azurerm_container_app_environment",
    "azurerm_kubernetes_fleet_*", "azurerm_maintenance_*", "azurerm_automation_*", "azurerm_logic_app_*",
    # Alibaba Cloud
    "alicloud_vpc", "alicloud_vswitch", "alicloud_security_group*", "alicloud_ram_*", "alicloud_kms_*",
    "alicloud_eip*", "alicloud_nat_gateway", "alicloud_snat_entry", "alicloud_forward_entry", "alicloud_key_pair*",
    "alicloud_oss_bucket_object", "alicloud_oss_bucket_acl", "alicloud_oss_bucket_policy", "alicloud_slb*",
    "alicloud_alb_*", "alicloud_nlb_*", "alicloud_route_*", "alicloud_alidns_*", "alicloud_dns_*",
    "alicloud_cms_*", "alicloud_db_account*", "alicloud_db_database", "alicloud_db_connection",
    "alicloud_vpn_*", "alicloud_cen_*", "alicloud_ecs_key_pair", "alicloud_log_store_index",
    # other providers that only describe identity or tests of Terraform itself
    "gsuite_group", "gsuite_group_member", "gsuite_group_members", "googleworkspace_group*",
    "tfcoremock_*", "kubernetes_namespace*", "kubernetes_*_role*", "kubernetes_service_account*",
    "kubernetes_config_map*", "kubernetes_secret*",
)

_EXACT = frozenset(pattern for pattern in NO_DATA_TYPES if "*" not in pattern)
_GLOBS = tuple(pattern.split("*") for pattern in NO_DATA_TYPES if "*" in pattern)


def _glob(name: str, parts: list[str]) -> bool:
    """Whether `name` matches a pattern split at its `*`s."""
    first, last = parts[0], parts[-1]
    if len(name) < len(first) + len(last) or not name.startswith(first) or not name.endswith(last):
        return False
    position, end = len(first), len(name) - len(last)
    for part in parts[1:-1]:
        found = name.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


@functools.cache
def keeps_no_data(kind: str) -> bool:
    return kind in _EXACT or any(_glob(kind, parts) for parts in _GLOBS)
