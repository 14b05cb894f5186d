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
import { TABLES } from '../schemas/table-schemas';
import { AnalyticsDatabase, FILE_FORMAT_NAME } from '../constructs/analytics-database';
import { ProcessedStage, STAGE_NAME } from '../constructs/processed-stage';
import { SnowpipeErrorNotifications } from '../constructs/snowpipe-error-notifications';
import { SnowpipeLoading } from '../constructs/snowpipe-loading';
import { StreamlitApp } from '../constructs/streamlit-app';
import { WarehouseAccess } from '../constructs/warehouse-access';
import { WarehouseViews } from '../constructs/warehouse-views';
import { viewDefinitions } from '../warehouse/snowflake-sql';
import { PipelineStack } from './common';
import type { ComputeStack } from './compute-stack';
import { PREFIXES, type StorageStack } from './storage-stack';

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
];

export interface WarehouseStackProps {
  storage: StorageStack;
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

export class WarehouseStack extends PipelineStack {
  readonly snowflake: SnowflakeProvider;
  readonly base: AnalyticsDatabase;
  readonly processedStage: ProcessedStage;
  readonly errorNotifications: SnowpipeErrorNotifications;
  readonly loading: SnowpipeLoading;
  readonly views: WarehouseViews;
  readonly access: WarehouseAccess;
  /** The listening dashboard (dashboard/) as a Streamlit in Snowflake app, owned by the analyst role. */
  readonly dashboard: StreamlitApp;
  readonly notification: S3BucketNotification;

  constructor(scope: Construct, config: PipelineConfig, props: WarehouseStackProps) {
    super(scope, 'warehouse', config);
    const { names, accountId } = this;
    const sf = config.snowflake;
    const objectPrefix = names.snowflakePrefix;

    this.snowflake = new SnowflakeProvider(this, 'snowflake', {
      organizationName: requireSnowflake(config, 'organizationName'),
      accountName: requireSnowflake(config, 'accountName'),
      // No user or role here: the provider reads SNOWFLAKE_USER and SNOWFLAKE_ROLE from the environment. A saved
      // plan keeps the provider block, so a plan made by the read-only planner (pull requests) can be applied by
      // the deploy user (`pipeline deploy` sets both from snowflake.user / snowflake.role; docs/deploying.md).
      authenticator: 'SNOWFLAKE_JWT',
      previewFeaturesEnabled: SNOWFLAKE_PREVIEW_FEATURES,
      // Reading a view queries POLICY_REFERENCES, which fails with "No active warehouse selected" without a
      // warehouse in the session. The warehouse is this stack's own, so it does not exist yet when the first
      // deploy logs in: skip the login-time check that database/schema/warehouse/role exist. Sessions opened
      // after CREATE WAREHOUSE (and the one that ran it) have it; a view read in an earlier session fails once
      // on a first deploy, and running the deploy again completes it (docs/deploying.md).
      warehouse: sf.warehouse,
      validateDefaultParameters: 'false',
    });

    const base = (this.base = new AnalyticsDatabase(this, 'database', {
      environmentName: config.environment,
      database: sf.database,
      schema: sf.schema,
      warehouse: sf.warehouse,
    }));
    this.processedStage = new ProcessedStage(this, 'processed-stage', {
      objectPrefix,
      accountId,
      roleName: names.snowflakeIntegrationRole,
      externalId: requireSnowflake(config, 'storageExternalId'),
      bucketName: names.bucket,
      processedPrefix: PREFIXES.processed,
      database: base.database.name,
      schema: base.schema.name,
      fileFormat: base.fileFormat,
    });
    this.errorNotifications = new SnowpipeErrorNotifications(this, 'pipe-errors', {
      objectPrefix,
      accountId,
      region: config.aws.region,
      roleName: names.snowflakeNotificationRole,
      topicArn: props.compute.alerts.topic.arn,
      topicKeyArn: props.compute.key?.key.arn,
    });
    this.loading = new SnowpipeLoading(this, 'snowpipe', {
      tables: TABLES,
      database: sf.database,
      schema: sf.schema,
      stage: STAGE_NAME,
      fileFormat: FILE_FORMAT_NAME,
      processedPrefix: PREFIXES.processed,
      errorIntegration: this.errorNotifications.integration.name,
      dependsOn: [base.schema, this.processedStage.stage, base.fileFormat, this.errorNotifications.role, this.errorNotifications.policy],
    });
    this.views = new WarehouseViews(this, 'views', {
      definitions: viewDefinitions('snowflake'),
      database: sf.database,
      schema: sf.schema,
      tables: this.loading.tablesByName(),
      dependsOn: [base.schema, base.warehouse],
    });
    this.access = new WarehouseAccess(this, 'access', {
      objectPrefix,
      databaseName: base.database.name,
      warehouseName: base.warehouse.name,
      schemaFqn: base.schemaFqn,
      stageName: STAGE_NAME,
      fileFormatName: FILE_FORMAT_NAME,
      views: this.views.views,
      integrationNames: [this.processedStage.integration.name, this.errorNotifications.integration.name],
      dependsOn: [base.schema, ...this.loading.tables.map((t) => t.pipe)],
    });

    this.dashboard = new StreamlitApp(this, 'dashboard', {
      database: sf.database,
      schema: sf.schema,
      warehouse: sf.warehouse,
      analystRole: this.access.analystRole.name,
      deployRole: sf.role,
      dependsOn: [base.schema, base.warehouse, this.access.analystRole, ...this.views.views.map((v) => v.view)],
    });

    // ---- the bucket's ONE notification configuration ----------------------------------------------------
    // It lives here, in the last stack, because only here are both targets known: the start-transform
    // Lambda (compute stack, by cross-stack reference) and the pipes' queue (Snowflake). No other stack may
    // declare an aws_s3_bucket_notification for this bucket: it would replace this one.
    this.notification = new S3BucketNotification(this, 'bucket-notification', {
      bucket: props.storage.dataBucket.bucket.id,
      lambdaFunction: [
        {
          id: 'raw-manifest-to-start-transform',
          lambdaFunctionArn: props.compute.startTransform.lambda.function.arn,
          events: ['s3:ObjectCreated:*'],
          filterPrefix: PREFIXES.raw,
          // The manifest is written last: its arrival means the run is complete.
          filterSuffix: '_manifest.json',
        },
      ],
      queue: this.loading.queueEntries(),
    });

    new TerraformOutput(this, 'storage_integration', { value: this.processedStage.integration.name });
    new TerraformOutput(this, 'snowflake_iam_user_arn', { value: this.processedStage.integration.storageAwsIamUserArn });
    new TerraformOutput(this, 'pipe_notification_channel', { value: this.loading.tables[0].pipe.notificationChannel });
  }
}
