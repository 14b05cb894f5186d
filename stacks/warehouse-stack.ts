/**
 * warehouse: the Snowflake side (database, schema, XSMALL auto-suspending warehouse, Parquet file format,
 * storage integration, external stage on processed/, one table + auto-ingest pipe per table, the views of
 * snowflake-sql/views, roles and grants), the AWS IAM role Snowflake assumes to read processed/, and the
 * bucket's ONE notification configuration: raw/ manifests -> start-transform Lambda, processed/<table>/
 * Parquet -> the pipes' queue.
 *
 * The Snowflake provider authenticates as config.snowflake.user with a key pair; the private key comes from
 * SNOWFLAKE_PRIVATE_KEY (and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE) in the environment, never from code, where
 * it would land in cdk.tf.json in clear text.
 */
import { Construct } from 'constructs';
import { TerraformOutput, type ITerraformDependable } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { Database } from '@cdktf/provider-snowflake/lib/database';
import { Schema } from '@cdktf/provider-snowflake/lib/schema';
import { Warehouse } from '@cdktf/provider-snowflake/lib/warehouse';
import { FileFormat } from '@cdktf/provider-snowflake/lib/file-format';
import { StorageIntegration } from '@cdktf/provider-snowflake/lib/storage-integration';
import { Stage } from '@cdktf/provider-snowflake/lib/stage';
import type { View } from '@cdktf/provider-snowflake/lib/view';
import { AccountRole } from '@cdktf/provider-snowflake/lib/account-role';
import { GrantAccountRole } from '@cdktf/provider-snowflake/lib/grant-account-role';
import {
  GrantPrivilegesToAccountRole,
  type GrantPrivilegesToAccountRoleConfig,
} from '@cdktf/provider-snowflake/lib/grant-privileges-to-account-role';
import type { PipelineConfig } from '../config/pipeline-config';
import { TABLES } from '../schemas/table-schemas';
import { bucketArn, objectsArn, policyDocument } from '../constructs/iam';
import { SnowpipeTable, snowflakeName } from '../constructs/snowpipe-table';
import { SnowflakeView } from '../constructs/snowflake-view';
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
];

export interface WarehouseStackProps {
  storage: StorageStack;
  compute: ComputeStack;
}

function requireSnowflake(config: PipelineConfig, field: 'organizationName' | 'accountName' | 'user' | 'storageExternalId'): string {
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
  readonly database: Database;
  readonly schema: Schema;
  readonly warehouse: Warehouse;
  readonly fileFormat: FileFormat;
  readonly integration: StorageIntegration;
  readonly integrationRole: IamRole;
  readonly integrationPolicy: IamRolePolicy;
  readonly stage: Stage;
  readonly tables: SnowpipeTable[];
  /** The views of snowflake-sql/views, in creation order (each after the views it reads). */
  readonly views: SnowflakeView[];
  readonly loaderRole: AccountRole;
  readonly analystRole: AccountRole;
  readonly notification: S3BucketNotification;

  constructor(scope: Construct, config: PipelineConfig, props: WarehouseStackProps) {
    super(scope, 'warehouse', config);
    const { names, accountId } = this;
    const sf = config.snowflake;
    const bucket = names.bucket;
    const externalId = requireSnowflake(config, 'storageExternalId');
    const upperPrefix = snowflakeName(names.prefix.replace(/-/g, '_'));

    this.snowflake = new SnowflakeProvider(this, 'snowflake', {
      organizationName: requireSnowflake(config, 'organizationName'),
      accountName: requireSnowflake(config, 'accountName'),
      user: requireSnowflake(config, 'user'),
      role: sf.role,
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

    this.database = new Database(this, 'database', {
      name: sf.database,
      comment: `Spotify pipeline (${config.environment}): loaded tables, views and analysis.`,
    });
    this.schema = new Schema(this, 'schema', {
      database: this.database.name,
      name: sf.schema,
      comment: 'Tables loaded by Snowpipe from processed/, and the views over them.',
    });
    this.warehouse = new Warehouse(this, 'warehouse', {
      name: sf.warehouse,
      warehouseSize: 'XSMALL',
      autoSuspend: 60,
      autoResume: 'true',
      initiallySuspended: true,
      comment: 'Queries of the Spotify pipeline; Snowpipe loads use serverless compute, not this warehouse.',
    });
    this.fileFormat = new FileFormat(this, 'parquet', {
      database: this.database.name,
      schema: this.schema.name,
      name: 'PARQUET_FORMAT',
      formatType: 'PARQUET',
      compression: 'AUTO',
      comment: 'The Parquet files the Glue job writes to processed/.',
    });

    // ---- the integration and the role it assumes: the cycle is broken by a predictable role ARN ------
    // The integration names the role by its ARN before the role exists; the role then trusts the
    // integration's own IAM user and our external id. Terraform creates integration -> role -> stage.
    const roleArn = `arn:aws:iam::${accountId}:role/${names.snowflakeIntegrationRole}`;
    const processedUrl = `s3://${bucket}/${PREFIXES.processed}`;
    this.integration = new StorageIntegration(this, 'integration', {
      name: `${upperPrefix}_PROCESSED`,
      type: 'EXTERNAL_STAGE',
      storageProvider: 'S3',
      enabled: true,
      storageAwsRoleArn: roleArn,
      // Set here: left unset the attribute stays empty in state and the trust policy would break.
      storageAwsExternalId: externalId,
      storageAllowedLocations: [processedUrl],
      comment: 'Read-only access of Snowpipe to processed/.',
    });
    this.integrationRole = new IamRole(this, 'integration-role', {
      name: names.snowflakeIntegrationRole,
      description: "Assumed by Snowflake's storage integration to read processed/ (and nothing else).",
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'SnowflakeIntegrationUser',
            Effect: 'Allow',
            Principal: { AWS: this.integration.storageAwsIamUserArn },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': externalId } },
          },
        ],
      }),
    });
    this.integrationPolicy = new IamRolePolicy(this, 'integration-policy', {
      name: `${names.snowflakeIntegrationRole}-policy`,
      role: this.integrationRole.id,
      policy: policyDocument([
        { Sid: 'ReadProcessed', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: [objectsArn(bucket, `${PREFIXES.processed}*`)] },
        {
          Sid: 'ListProcessed',
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(bucket)],
          Condition: { StringLike: { 's3:prefix': [`${PREFIXES.processed}*`] } },
        },
        { Sid: 'BucketLocation', Action: ['s3:GetBucketLocation'], Resource: [bucketArn(bucket)] },
      ]),
    });

    const stageName = 'PROCESSED_STAGE';
    this.stage = new Stage(this, 'stage', {
      database: this.database.name,
      schema: this.schema.name,
      name: stageName,
      url: processedUrl,
      storageIntegration: this.integration.name,
      fileFormat: `FORMAT_NAME = ${this.fileFormat.fullyQualifiedName}`,
      comment: 'processed/ of the pipeline bucket.',
      dependsOn: [this.integrationRole, this.integrationPolicy],
    });

    // ---- tables and pipes, from the one schema source ---------------------------------------------------
    this.tables = TABLES.map(
      (spec) =>
        new SnowpipeTable(this, `table-${spec.name}`, {
          spec,
          database: sf.database,
          schema: sf.schema,
          stage: stageName,
          fileFormat: 'PARQUET_FORMAT',
          dependsOn: [this.schema, this.stage, this.fileFormat],
        }),
    );

    // ---- views, from snowflake-sql/views (Snowflake dialect), fully qualified like the pipes ---------------
    const tablesByName = new Map(this.tables.map((t) => [t.spec.name, t.table]));
    const definitions = viewDefinitions('snowflake');
    const created = new Map<string, View>();
    this.views = definitions.map((definition) => {
      const view = new SnowflakeView(this, `view-${definition.name}`, {
        definition,
        database: sf.database,
        schema: sf.schema,
        tables: tablesByName,
        views: created,
        allViewNames: definitions.map((d) => d.name),
        dependsOn: [this.schema, this.warehouse],
      });
      created.set(definition.name, view.view);
      return view;
    });

    // ---- roles and grants (same model as snowflake-sql/roles.sql) ----------------------------------------
    this.loaderRole = new AccountRole(this, 'loader-role', {
      name: `${upperPrefix}_LOADER`,
      comment: 'Snowpipe loader: COPY from the processed stage into the loaded tables.',
    });
    this.analystRole = new AccountRole(this, 'analyst-role', {
      name: `${upperPrefix}_ANALYST`,
      comment: 'Read-only analyst: tables, views and pipe status.',
    });
    for (const [id, role] of [['loader', this.loaderRole], ['analyst', this.analystRole]] as const) {
      // Administrators keep control of everything the roles can do.
      new GrantAccountRole(this, `${id}-to-sysadmin`, { roleName: role.name, parentRoleName: 'SYSADMIN' });
    }
    const schemaFqn = `${sf.database}.${sf.schema}`;
    const grant = (
      id: string,
      role: AccountRole,
      config: Omit<GrantPrivilegesToAccountRoleConfig, 'accountRoleName'>,
      after: ITerraformDependable[] = [],
    ) =>
      new GrantPrivilegesToAccountRole(this, id, {
        accountRoleName: role.name,
        ...config,
        dependsOn: [this.schema, ...this.tables.map((t) => t.pipe), ...after],
      });
    for (const [id, role] of [['loader', this.loaderRole], ['analyst', this.analystRole]] as const) {
      grant(`${id}-database`, role, { privileges: ['USAGE'], onAccountObject: { objectType: 'DATABASE', objectName: this.database.name } });
      grant(`${id}-schema`, role, { privileges: ['USAGE'], onSchema: { schemaName: schemaFqn } });
    }
    grant('loader-stage', this.loaderRole, { privileges: ['USAGE'], onSchemaObject: { objectType: 'STAGE', objectName: `${schemaFqn}.${stageName}` } });
    grant('loader-file-format', this.loaderRole, {
      privileges: ['USAGE'],
      onSchemaObject: { objectType: 'FILE FORMAT', objectName: `${schemaFqn}.PARQUET_FORMAT` },
    });
    grant('loader-tables', this.loaderRole, { privileges: ['SELECT', 'INSERT'], onSchemaObject: { all: { objectTypePlural: 'TABLES', inSchema: schemaFqn } } });
    grant('loader-future-tables', this.loaderRole, {
      privileges: ['SELECT', 'INSERT'],
      onSchemaObject: { future: { objectTypePlural: 'TABLES', inSchema: schemaFqn } },
    });
    grant('loader-pipes', this.loaderRole, { privileges: ['OPERATE', 'MONITOR'], onSchemaObject: { all: { objectTypePlural: 'PIPES', inSchema: schemaFqn } } });
    grant('analyst-warehouse', this.analystRole, { privileges: ['USAGE'], onAccountObject: { objectType: 'WAREHOUSE', objectName: this.warehouse.name } });
    const allViews = this.views.map((v) => v.view);
    for (const plural of ['TABLES', 'VIEWS'] as const) {
      // ALL VIEWS is resolved when the grant is applied: after the views, so that it covers them.
      grant(
        `analyst-${plural.toLowerCase()}`,
        this.analystRole,
        { privileges: ['SELECT'], onSchemaObject: { all: { objectTypePlural: plural, inSchema: schemaFqn } } },
        plural === 'VIEWS' ? allViews : [],
      );
      grant(`analyst-future-${plural.toLowerCase()}`, this.analystRole, {
        privileges: ['SELECT'],
        onSchemaObject: { future: { objectTypePlural: plural, inSchema: schemaFqn } },
      });
    }
    grant('analyst-pipes', this.analystRole, { privileges: ['MONITOR'], onSchemaObject: { all: { objectTypePlural: 'PIPES', inSchema: schemaFqn } } });
    // One grant per view as well: it names each view in the plan, and Terraform restores it if it is revoked.
    for (const { definition, view } of this.views) {
      grant(
        `analyst-view-${definition.name}`,
        this.analystRole,
        { privileges: ['SELECT'], onSchemaObject: { objectType: 'VIEW', objectName: `${schemaFqn}.${snowflakeName(definition.name)}` } },
        [view],
      );
    }

    // ---- the bucket's ONE notification configuration ----------------------------------------------------
    // It lives here, in the last stack, because only here are both targets known: the start-transform
    // Lambda (compute stack, by cross-stack reference) and the pipes' queue (Snowflake). No other stack may
    // declare an aws_s3_bucket_notification for this bucket: it would replace this one.
    this.notification = new S3BucketNotification(this, 'bucket-notification', {
      bucket: props.storage.dataBucket.bucket.id,
      lambdaFunction: [
        {
          id: 'raw-manifest-to-start-transform',
          lambdaFunctionArn: props.compute.startTransform.function.arn,
          events: ['s3:ObjectCreated:*'],
          filterPrefix: PREFIXES.raw,
          // The manifest is written last: its arrival means the run is complete.
          filterSuffix: '_manifest.json',
        },
      ],
      // One entry per table prefix (S3 refuses overlapping filters); every auto-ingest pipe of an account
      // and region shares one queue, and each pipe only loads what matches its own COPY path.
      queue: this.tables.map((t) => ({
        id: `processed-${t.spec.name}-to-snowpipe`,
        queueArn: t.pipe.notificationChannel,
        events: ['s3:ObjectCreated:*'],
        filterPrefix: `${PREFIXES.processed}${t.spec.name}/`,
        filterSuffix: '.parquet',
      })),
    });

    new TerraformOutput(this, 'storage_integration', { value: this.integration.name });
    new TerraformOutput(this, 'snowflake_iam_user_arn', { value: this.integration.storageAwsIamUserArn });
    new TerraformOutput(this, 'pipe_notification_channel', { value: this.tables[0].pipe.notificationChannel });
  }
}
