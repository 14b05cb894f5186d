/**
 * warehouse: the Snowflake side (database, schema, query warehouse, file format; Snowflake's read access to
 * processed/; one table + auto-ingest pipe per table; the views of snowflake-sql/views; roles and grants), and
 * the bucket's ONE notification configuration: raw/ manifests -> start-transform Lambda, processed/<table>/
 * Parquet -> the pipes' queue. Each part is a construct of constructs/; this stack wires them together.
 *
 * The Snowflake provider authenticates as config.snowflake.user with a key pair; the private key comes from
 * SNOWFLAKE_PRIVATE_KEY (and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE) in the environment, never from code, where
 * it would land in cdk.tf.json in clear text.
 */
import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import type { PipelineConfig } from '../config/pipeline-config';
import { TABLES, TABLE_NAMES } from '../schemas/table-schemas';
import { AnalyticsDatabase, FILE_FORMAT_NAME } from '../constructs/analytics-database';
import { protectFromDestroy } from '../constructs/data-protection';
import { ProcessedStage, STAGE_NAME } from '../constructs/processed-stage';
import { SnowpipeErrorNotifications } from '../constructs/snowpipe-error-notifications';
import { SnowpipeLoading, type PipeQueueEntry } from '../constructs/snowpipe-loading';
import { StreamlitApp } from '../constructs/streamlit-app';
import { WarehouseAccess } from '../constructs/warehouse-access';
import { WarehouseChecks } from '../constructs/warehouse-checks';
import { WarehouseViews } from '../constructs/warehouse-views';
import { viewDefinitions } from '../warehouse/snowflake-sql';
import { PipelineStack, pipelineContext } from './common';
import type { ComputeStack } from './compute-stack';
import type { StorageStack } from './storage-stack';

/**
 * Preview resources of snowflakedb/snowflake 2.11 this stack uses; the provider refuses them unless listed.
 * snowflake_view (and the database, schema, warehouse, role and grant resources) are stable and need no entry.
 */
export const SNOWFLAKE_PREVIEW_FEATURES = [
  'snowflake_file_format_resource',
  'snowflake_storage_integration_resource',
  'snowflake_stage_resource',
  'snowflake_table_resource',
  'snowflake_pipe_resource',
  'snowflake_notification_integration_resource',
  'snowflake_alert_resource',
];

export interface WarehouseStackProps {
  /** The storage stack: the bucket whose processed/ the pipes load and whose notifications this stack owns. Required. */
  storage: StorageStack;
  /** The compute stack: the start-transform Lambda (raw/ manifests), the alarm topic and key (Snowpipe errors). Required. */
  compute: ComputeStack;
}

function requireSnowflake(config: PipelineConfig, field: 'organizationName' | 'accountName' | 'storageExternalId'): string {
  const value = config.snowflake[field];
  if (!value) {
    throw new Error(
      `snowflake.${field} is missing in the ${config.environment} configuration; the warehouse stack needs it. ` +
        `Set it in config/environments/${config.environment}.json (see docs/deploying.md).`,
    );
  }
  return value;
}

/** The Snowflake provider of the environment's account; the deploying identity comes from the environment. */
function snowflakeProvider(scope: Construct, config: PipelineConfig): SnowflakeProvider {
  return new SnowflakeProvider(scope, 'snowflake', {
    organizationName: requireSnowflake(config, 'organizationName'),
    accountName: requireSnowflake(config, 'accountName'),
    // No user or role here: the provider reads SNOWFLAKE_USER and SNOWFLAKE_ROLE from the environment. A saved
    // plan keeps the provider block, so main's plan, made by the planner, can be applied by the deploy user
    // (`pipeline deploy` sets both from the configuration; docs/deploying.md, section 9).
    authenticator: 'SNOWFLAKE_JWT',
    previewFeaturesEnabled: SNOWFLAKE_PREVIEW_FEATURES,
    // Reading a view queries POLICY_REFERENCES, which fails with "No active warehouse selected" without a
    // warehouse in the session. The warehouse is this stack's own, so it does not exist yet when the first
    // deploy logs in: skip the login-time check that database/schema/warehouse/role exist. Sessions opened
    // after CREATE WAREHOUSE (and the one that ran it) have it; a view read in an earlier session fails once
    // on a first deploy, and running the deploy again completes it (docs/deploying.md).
    warehouse: config.snowflake.warehouse,
    validateDefaultParameters: 'false',
  });
}

/**
 * The bucket's ONE notification configuration. It lives in the warehouse stack, the last one, because only there
 * are both targets known: the start-transform Lambda (compute stack, by cross-stack reference) and the pipes' queue
 * (Snowflake). No other stack may declare an aws_s3_bucket_notification for this bucket: it would replace this one.
 */
function bucketNotification(scope: Construct, storage: StorageStack, startTransformArn: string, queue: PipeQueueEntry[]): S3BucketNotification {
  return new S3BucketNotification(scope, 'bucket-notification', {
    bucket: storage.dataBucket.bucket.id,
    lambdaFunction: [
      {
        id: 'raw-manifest-to-start-transform',
        lambdaFunctionArn: startTransformArn,
        events: ['s3:ObjectCreated:*'],
        filterPrefix: storage.bucket.prefixes.raw,
        // The manifest is written last: its arrival means the run is complete.
        filterSuffix: '_manifest.json',
      },
      {
        // `pipeline import` uploads a listener's export the same way: files first, the manifest last.
        id: 'import-manifest-to-start-transform',
        lambdaFunctionArn: startTransformArn,
        events: ['s3:ObjectCreated:*'],
        filterPrefix: storage.bucket.prefixes.imports,
        filterSuffix: '_manifest.json',
      },
    ],
    queue,
  });
}

export class WarehouseStack extends PipelineStack {
  readonly snowflake: SnowflakeProvider;
  readonly base: AnalyticsDatabase;
  readonly processedStage: ProcessedStage;
  readonly errorNotifications: SnowpipeErrorNotifications;
  readonly loading: SnowpipeLoading;
  readonly views: WarehouseViews;
  readonly access: WarehouseAccess;
  /** Snowflake alerts to the alarm topic: failed data-quality checks after each commit, stopped pipes, no weekly commit. */
  readonly checks: WarehouseChecks;
  /** The listening dashboard (dashboard/) as a Streamlit in Snowflake app, owned by the analyst role. */
  readonly dashboard: StreamlitApp;
  readonly notification: S3BucketNotification;

  constructor(scope: Construct, config: PipelineConfig, props: WarehouseStackProps) {
    super(scope, 'warehouse', config);
    const { names } = this;
    const { database, schema, warehouse } = config.snowflake;
    const { bucket } = props.storage;
    const objectPrefix = names.snowflakePrefix;
    // Snowpipe's errors go to the compute stack's alarm topic, encrypted with its key.
    const context = pipelineContext(config, { kmsKeyArn: props.compute.context.kmsKeyArn, alerts: props.compute.alerts });
    this.snowflake = snowflakeProvider(this, config);

    const base = (this.base = new AnalyticsDatabase(this, 'database', { environmentName: config.environment, database, schema, warehouse }));
    const externalId = requireSnowflake(config, 'storageExternalId');
    const { fileFormat } = base;
    const roleName = names.snowflakeIntegrationRole;
    this.processedStage = new ProcessedStage(this, 'processed-stage', { objectPrefix, context, roleName, externalId, bucket, database: base.database.name, schema: base.schema.name, fileFormat });
    this.errorNotifications = new SnowpipeErrorNotifications(this, 'pipe-errors', { objectPrefix, context, roleName: names.snowflakeNotificationRole });
    const errors = this.errorNotifications;
    this.loading = new SnowpipeLoading(this, 'snowpipe', {
      tables: TABLES,
      database,
      schema,
      stage: STAGE_NAME,
      fileFormat: FILE_FORMAT_NAME,
      processedPrefix: bucket.prefixes.processed,
      errorIntegration: errors.integration.name,
      dependsOn: [base.schema, this.processedStage.stage, base.fileFormat, errors.role, errors.policy],
    });
    const tables = this.loading.tablesByName();
    this.views = new WarehouseViews(this, 'views', { definitions: viewDefinitions(), database, schema, tables, dependsOn: [base.schema, base.warehouse] });
    this.access = new WarehouseAccess(this, 'access', {
      objectPrefix,
      databaseName: base.database.name,
      warehouseName: base.warehouse.name,
      schemaFqn: base.schemaFqn,
      stageName: STAGE_NAME,
      fileFormatName: FILE_FORMAT_NAME,
      views: this.views.views,
      integrationNames: [this.processedStage.integration.name, errors.integration.name],
      dependsOn: [base.schema, ...this.loading.tables.map((t) => t.pipe)],
    });
    const alertsNeed = [base.warehouse, errors.integration, ...this.loading.tables.map((t) => t.pipe), ...this.views.views.map((v) => v.view)];
    this.checks = new WarehouseChecks(this, 'checks', { database, schema, warehouse, tables: TABLE_NAMES, integrationName: errors.integration.name, freshness: config.freshness, dependsOn: alertsNeed });
    const analystRole = this.access.analystRole;
    const dependsOn = [base.schema, base.warehouse, analystRole, ...this.views.views.map((v) => v.view)];
    this.dashboard = new StreamlitApp(this, 'dashboard', { database, schema, warehouse, analystRole: analystRole.name, deployRole: config.snowflake.role, dependsOn });
    this.access.plannerMayReadLaterObjects({ dashboard: this.dashboard, alerts: [this.checks.checks, this.checks.pipes, this.checks.weeklyCommit] });
    protectFromDestroy(config, [base.database, base.schema, this.processedStage.stage, ...this.loading.tables.map((t) => t.table)]);
    this.notification = bucketNotification(this, props.storage, props.compute.startTransform.lambda.function.arn, this.loading.queueEntries());

    new TerraformOutput(this, 'storage_integration', { value: this.processedStage.integration.name });
    new TerraformOutput(this, 'snowflake_iam_user_arn', { value: this.processedStage.integration.storageAwsIamUserArn });
    new TerraformOutput(this, 'pipe_notification_channel', { value: this.loading.tables[0].pipe.notificationChannel });
  }
}
