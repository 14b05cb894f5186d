import { Pipe } from '@cdktf/provider-snowflake/lib/pipe';
import { Warehouse } from '@cdktf/provider-snowflake/lib/warehouse';
import { resourceNames } from '../../config/pipeline-config';
import { loadedColumns, snowflakeType, TABLES } from '../../schemas/table-schemas';
import { SNOWFLAKE_PREVIEW_FEATURES } from '../../stacks/warehouse-stack';
import { findResource, named, refTo, resources, statements, synthPipeline, type Synthesised } from './synth-helper';

describe('warehouse stack (dev)', () => {
  let s: Synthesised;
  let names: ReturnType<typeof resourceNames>;
  beforeAll(() => {
    s = synthPipeline();
    names = resourceNames(s.config);
  });

  it('configures the Snowflake provider for key-pair auth, with no key in the code', () => {
    const [provider] = s.warehouse.provider!.snowflake;
    expect(provider).toMatchObject({ organization_name: 'MYORG', account_name: 'MYACCOUNT', authenticator: 'SNOWFLAKE_JWT' });
    expect(provider.private_key).toBeUndefined();
    expect(provider.private_key_passphrase).toBeUndefined();
    expect(s.text.warehouse).not.toMatch(/PRIVATE KEY/);
  });

  it('enables every preview resource it uses, and only those', () => {
    const [provider] = s.warehouse.provider!.snowflake;
    expect([...provider.preview_features_enabled].sort()).toEqual([...SNOWFLAKE_PREVIEW_FEATURES].sort());
    const previewTypes = ['snowflake_file_format', 'snowflake_storage_integration', 'snowflake_stage', 'snowflake_table', 'snowflake_pipe'];
    for (const type of Object.keys(s.warehouse.resource).filter((t) => previewTypes.includes(t))) {
      expect(provider.preview_features_enabled).toContain(`${type}_resource`);
    }
  });

  it('creates the database, schema, an XSMALL auto-suspending warehouse and the Parquet file format', () => {
    expect(findResource(s.warehouse, 'snowflake_database').name).toBe('SPOTIFY_DEV');
    expect(findResource(s.warehouse, 'snowflake_schema').name).toBe('RAW');
    expect(s.text.warehouse).toHaveResourceWithProperties(Warehouse, {
      // Account-wide like the database, so it carries the environment (prod's is SPOTIFY_WH; environments.test.ts).
      name: 'SPOTIFY_DEV_WH',
      warehouse_size: 'XSMALL',
      auto_suspend: 60,
      auto_resume: 'true',
      initially_suspended: true,
    });
    expect(findResource(s.warehouse, 'snowflake_file_format')).toMatchObject({ name: 'PARQUET_FORMAT', format_type: 'PARQUET' });
  });

  it('points the storage integration at a predictable role ARN with our external id', () => {
    const integration = findResource(s.warehouse, 'snowflake_storage_integration');
    expect(integration).toMatchObject({
      storage_provider: 'S3',
      type: 'EXTERNAL_STAGE',
      enabled: true,
      storage_aws_role_arn: `arn:aws:iam::123456789012:role/${names.snowflakeIntegrationRole}`,
      storage_aws_external_id: 'spotify-pipeline-dev-7f3c2a',
      storage_allowed_locations: [`s3://${names.bucket}/processed/`],
    });
  });

  it("trusts only Snowflake's integration user, with the external id", () => {
    const role = findResource(s.warehouse, 'aws_iam_role', (r) => r.name === names.snowflakeIntegrationRole);
    const [trust] = statements(role.assume_role_policy);
    expect(trust).toEqual({
      Sid: 'SnowflakeIntegrationUser',
      Effect: 'Allow',
      Principal: { AWS: refTo(s.warehouse, 'snowflake_storage_integration', 'storage_aws_iam_user_arn') },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'spotify-pipeline-dev-7f3c2a' } },
    });
  });

  it('puts the external stage on processed/ through the integration, after the role exists', () => {
    const stage = findResource(s.warehouse, 'snowflake_stage', (r) => r.name === 'PROCESSED_STAGE');
    expect(stage).toMatchObject({
      name: 'PROCESSED_STAGE',
      url: `s3://${names.bucket}/processed/`,
      storage_integration: refTo(s.warehouse, 'snowflake_storage_integration', 'name'),
      file_format: `FORMAT_NAME = ${refTo(s.warehouse, 'snowflake_file_format', 'fully_qualified_name')}`,
    });
    expect(stage.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role\./), expect.stringMatching(/^aws_iam_role_policy\./)]));
  });

  it('creates every table from the one schema source, with the load columns', () => {
    const tables = resources(s.warehouse, 'snowflake_table');
    expect(tables.map((t) => t.name).sort()).toEqual(TABLES.map((t) => t.name.toUpperCase()).sort());
    for (const spec of TABLES) {
      const table = tables.find((t) => t.name === spec.name.toUpperCase())!;
      expect(table.column.map((c: any) => [c.name, c.type, c.nullable])).toEqual(
        loadedColumns(spec).map((c) => [c.name.toUpperCase(), snowflakeType(c.type), c.nullable]),
      );
    }
  });

  it('loads each table with its own auto-ingest pipe running the COPY from snowflake-sql/, fully qualified', () => {
    const pipes = resources(s.warehouse, 'snowflake_pipe');
    expect(pipes).toHaveLength(TABLES.length);
    for (const spec of TABLES) {
      const pipe = pipes.find((p) => p.name === `${spec.name.toUpperCase()}_PIPE`)!;
      expect(pipe.auto_ingest).toBe(true);
      const copy: string = pipe.copy_statement;
      expect(copy).toMatch(new RegExp(`^COPY INTO SPOTIFY_DEV\\.RAW\\.${spec.name}\\b`, 'i'));
      expect(copy).toContain(`@SPOTIFY_DEV.RAW.PROCESSED_STAGE/${spec.name}/`);
      // Inline: Snowflake refuses FORMAT_NAME combined with options, and the pipes need USE_LOGICAL_TYPE.
      expect(copy).toContain('FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE)');
      expect(copy).not.toMatch(/\{\{|--|;\s*$/);
    }
    expect(s.text.warehouse).toHaveResourceWithProperties(Pipe, { name: 'TRACKS_PIPE', auto_ingest: true });
  });

  describe('the bucket notification (the only one of the bucket)', () => {
    let notification: Record<string, any>;
    beforeAll(() => {
      notification = findResource(s.warehouse, 'aws_s3_bucket_notification');
    });

    it('sends raw/ and imports/ manifests to the start-transform Lambda of the compute stack', () => {
      expect(notification.lambda_function).toEqual([
        expect.objectContaining({ events: ['s3:ObjectCreated:*'], filter_prefix: 'raw/', filter_suffix: '_manifest.json' }),
        expect.objectContaining({ events: ['s3:ObjectCreated:*'], filter_prefix: 'imports/', filter_suffix: '_manifest.json' }),
      ]);
    });

    it("sends each processed/<table>/ Parquet file to that table's pipe queue", () => {
      expect(notification.queue).toHaveLength(TABLES.length);
      for (const spec of TABLES) {
        const entry = notification.queue.find((q: any) => q.filter_prefix === `processed/${spec.name}/`);
        expect(entry).toMatchObject({ events: ['s3:ObjectCreated:*'], filter_suffix: '.parquet' });
        expect(entry.queue_arn).toBe(refTo(s.warehouse, 'snowflake_pipe', 'notification_channel', named(`${spec.name.toUpperCase()}_PIPE`)));
      }
      // S3 rejects overlapping filters: no prefix may contain another.
      const prefixes: string[] = notification.queue.map((q: any) => q.filter_prefix);
      for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(b.startsWith(a)).toBe(false);
    });

    it('resolves its cross-stack references to outputs of the storage and compute stacks', () => {
      const ref = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)\}$/;
      const [, bucketStack, bucketOutput] = ref.exec(notification.bucket)!;
      expect(bucketStack).toBe('spotify-pipeline-dev-storage');
      expect(s.storage.output![bucketOutput].value).toMatch(/^\$\{aws_s3_bucket\.data_bucket_\w+\.id\}$/);
      const [, fnStack, fnOutput] = ref.exec(notification.lambda_function[0].lambda_function_arn)!;
      expect(fnStack).toBe('spotify-pipeline-dev-compute');
      expect(s.compute.output![fnOutput].value).toMatch(/^\$\{aws_lambda_function\.start-transform_function_\w+\.arn\}$/);
      expect(Object.keys(s.warehouse.data!.terraform_remote_state).sort()).toEqual([
        'cross-stack-reference-input-spotify-pipeline-dev-compute',
        'cross-stack-reference-input-spotify-pipeline-dev-storage',
      ]);
    });
  });

  it('creates the loader, analyst and planner roles under SYSADMIN with only their grants', () => {
    const roles = resources(s.warehouse, 'snowflake_account_role').map((r) => r.name).sort();
    expect(roles).toEqual(['SPOTIFY_PIPELINE_DEV_ANALYST', 'SPOTIFY_PIPELINE_DEV_LOADER', 'SPOTIFY_PIPELINE_DEV_PLANNER']);
    expect(resources(s.warehouse, 'snowflake_grant_account_role').map((g) => g.parent_role_name)).toEqual(['SYSADMIN', 'SYSADMIN', 'SYSADMIN']);
    const grants = resources(s.warehouse, 'snowflake_grant_privileges_to_account_role');
    const privilegesOf = (role: string) =>
      grants.filter((g) => g.account_role_name === refTo(s.warehouse, 'snowflake_account_role', 'name', named(role))).flatMap((g) => g.privileges);
    // READ: the dashboard's stage, which the analyst role (the Streamlit app's owner) reads the app's files from.
    expect(new Set(privilegesOf('SPOTIFY_PIPELINE_DEV_ANALYST'))).toEqual(new Set(['USAGE', 'SELECT', 'MONITOR', 'READ']));
    expect(new Set(privilegesOf('SPOTIFY_PIPELINE_DEV_LOADER'))).toEqual(new Set(['USAGE', 'SELECT', 'INSERT', 'OPERATE', 'MONITOR']));
    expect(grants.some((g) => g.all_privileges)).toBe(false);
  });

  it('deploys the listening dashboard as a Streamlit app owned by the analyst role, after the views', () => {
    const app = findResource(s.warehouse, 'snowflake_streamlit');
    expect(app).toMatchObject({ name: 'LISTENING_DASHBOARD', main_file: 'streamlit_app.py', query_warehouse: 'SPOTIFY_DEV_WH' });
    expect(app.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^snowflake_view\./)]));
    const analyst = refTo(s.warehouse, 'snowflake_account_role', 'name', named('SPOTIFY_PIPELINE_DEV_ANALYST'));
    const owns = resources(s.warehouse, 'snowflake_execute').find((e) => String(e.execute).startsWith('GRANT OWNERSHIP ON STREAMLIT'));
    expect(owns?.execute).toContain(`TO ROLE ${analyst}`);
    const stageRead = resources(s.warehouse, 'snowflake_grant_privileges_to_account_role').find((g) => g.on_schema_object?.object_name?.endsWith('.DASHBOARD_STAGE'));
    expect(stageRead).toMatchObject({ account_role_name: analyst, privileges: ['READ'] });
  });

  const alertsByName = (): Record<string, Record<string, any>> => Object.fromEntries(resources(s.warehouse, 'snowflake_alert').map((a) => [a.name, a]));

  it('runs the SQL checks of snowflake-sql/checks daily over the runs committed since, and notifies the alarm topic', () => {
    const alerts = alertsByName();
    const integration = refTo(s.warehouse, 'snowflake_notification_integration', 'name');
    expect(findResource(s.warehouse, 'snowflake_notification_integration').aws_sns_topic_arn).toMatch(/compute\.outputs\./);
    expect(Object.keys(alerts).sort()).toEqual(['DATA_QUALITY_CHECKS', 'PIPE_FRESHNESS', 'WEEKLY_COMMIT_FRESHNESS']);
    for (const alert of Object.values(alerts)) {
      expect(alert).toMatchObject({ database: 'SPOTIFY_DEV', schema: 'RAW', warehouse: 'SPOTIFY_DEV_WH', enabled: true });
      expect(alert.alert_schedule).toEqual({ cron: { expression: '0 9 * * *', time_zone: 'UTC' } });
      expect(alert.action).toContain(`SNOWFLAKE.NOTIFICATION.INTEGRATION('${integration}')`);
      expect(alert.action).toContain(`'alert', '${alert.name}'`);
    }
    const checks = alerts.DATA_QUALITY_CHECKS;
    for (const check of ['row_count', 'key_unique', 'key_not_null', 'entity_key_unique', 'entity_key_not_null', 'position_unique', 'visible_attempt']) {
      expect(checks.condition).toContain(`'${check}' AS check_name`);
    }
    for (const table of TABLES.filter((t) => t.kind !== 'commit')) expect(checks.condition).toContain(`FROM SPOTIFY_DEV.RAW.${table.name} AS t`);
    expect(checks.condition).toContain('JOIN SPOTIFY_DEV.RAW.committed_attempts AS v');
    expect(checks.condition).toContain('SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME()');
    expect(checks.condition).toMatch(/WHERE NOT passed$/);
    expect(SNOWFLAKE_PREVIEW_FEATURES).toContain('snowflake_alert_resource');
  });

  it('alerts on a pipe that stopped and on a week without a committed run, missing data included', () => {
    const alerts = alertsByName();
    for (const table of TABLES) expect(alerts.PIPE_FRESHNESS.condition).toContain(`SYSTEM$PIPE_STATUS('SPOTIFY_DEV.RAW.${table.name.toUpperCase()}_PIPE')`);
    expect(alerts.PIPE_FRESHNESS.condition).toContain("WHEN table_name = 'transform_commits' AND last_ingested_at IS NULL");
    expect(alerts.PIPE_FRESHNESS.condition).toContain('DATEADD(hour, -192, CURRENT_TIMESTAMP())');
    expect(alerts.WEEKLY_COMMIT_FRESHNESS.condition).toContain('FROM SPOTIFY_DEV.RAW.committed_attempts');
    expect(alerts.WEEKLY_COMMIT_FRESHNESS.condition).toContain('HAVING MAX(committed_at) IS NULL');
  });
});
