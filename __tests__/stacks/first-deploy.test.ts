/**
 * What a first real deploy (and its first week, and the second deploy: blocks 10-12) would trip over, read from the
 * synthesised JSON: each block pins one thing a deploy to a real account found wrong (docs/architecture.md says why each is shaped so). dev runs without a customer-managed
 * KMS key, prod with one (aws.customerManagedKey), so both shapes are checked where the key matters.
 */
import { loadConfig, parseConfig, resourceNames } from '../../config/pipeline-config';
import { TABLES } from '../../schemas/table-schemas';
import { SNOWFLAKE_PREVIEW_FEATURES } from '../../stacks/warehouse-stack';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { Database } from '@cdktf/provider-snowflake/lib/database';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { checkovSkips } from '../../constructs/checkov';
import { ALLOW_DESTROY_ENV, protectFromDestroy } from '../../constructs/data-protection';
import { GITHUB_OIDC_HOST, pullRequestPlannerStatements } from '../../constructs/github-ci-identities';
import { PLANNER_READS, PLANNER_SESSION_WAREHOUSE_PRIVILEGE, plannerPrivilegeFor } from '../../constructs/planner-reads';
import { StorageStack } from '../../stacks/storage-stack';
import { plannerGrants, resolver, targetsOf, type Covered } from './planner-grants';
import { buildPipelineApp } from '../../stacks/app';
import { addressOf, allows, findResource, named, refTo, resources, rolePolicy, statements, synthPipeline, testBundles, type Statement, type Synthesised, type TfJson } from './synth-helper';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

/** Every (action, resource, condition) an IAM policy allows, one sorted line each: exact sets read plainly in a diff. */
function grantLines(policy: Statement[]): string[] {
  const lines: string[] = [];
  for (const st of policy) {
    if (st.Effect !== 'Allow') continue;
    const condition = st.Condition ? ` if ${JSON.stringify(st.Condition)}` : '';
    for (const action of [st.Action].flat()) for (const resource of [st.Resource ?? []].flat()) lines.push(`${action} ${resource}${condition}`);
  }
  return lines.sort();
}

describe.each([
  ['dev', false],
  ['prod', true],
] as const)('first deploy (%s)', (env, customerManagedKey) => {
  let s: Synthesised;
  let names: ReturnType<typeof resourceNames>;
  let bucket: string;
  let key: string; // the pipeline key's ARN reference (prod), or '' (dev)
  const logArn = (group: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}`;
  beforeAll(() => {
    // prod names a state bucket; tests synthesise with local state like scripts/synth.sh does.
    process.env.PIPELINE_LOCAL_STATE = '1';
    try {
      s = synthPipeline(loadConfig(env));
    } finally {
      delete process.env.PIPELINE_LOCAL_STATE;
    }
    names = resourceNames(s.config);
    bucket = `arn:aws:s3:::${names.bucket}`;
    key = customerManagedKey ? refTo(s.compute, 'aws_kms_key', 'arn') : '';
  });

  describe('1. Snowflake future grants', () => {
    it('live in a managed-access schema, where the schema owner (the deploy role) may grant them without MANAGE GRANTS', () => {
      expect(findResource(s.warehouse, 'snowflake_schema').with_managed_access).toBe('true');
      const future = resources(s.warehouse, 'snowflake_grant_privileges_to_account_role').filter((g) => g.on_schema_object?.future);
      expect(future.length).toBeGreaterThan(0);
      for (const g of future) expect(g.on_schema_object.future.in_schema).toBe(`${s.config.snowflake.database}.${s.config.snowflake.schema}`);
    });
  });

  describe('2. Glue 5 logging', () => {
    const prefix = () => `/aws-glue/jobs/${names.glueJob}`;
    it('sends the job logs to its own prefix (Glue 5 ignores the continuous-logging arguments of Glue 4)', () => {
      const args = findResource(s.compute, 'aws_glue_job').default_arguments;
      expect(args['--custom-logGroup-prefix']).toBe(prefix());
      expect(args['--enable-continuous-cloudwatch-log']).toBeUndefined();
      expect(args['--continuous-log-logGroup']).toBeUndefined();
    });

    it('creates <prefix>/error and <prefix>/output with retention (and the pipeline key when there is one), before the job', () => {
      const job = findResource(s.compute, 'aws_glue_job');
      for (const suffix of ['error', 'output']) {
        const group = findResource(s.compute, 'aws_cloudwatch_log_group', named(`${prefix()}/${suffix}`));
        expect(group.retention_in_days).toBe(s.config.aws.logRetentionDays);
        expect(group.kms_key_id).toBe(customerManagedKey ? key : undefined);
        expect(job.depends_on).toContain(addressOf(s.compute, 'aws_cloudwatch_log_group', named(`${prefix()}/${suffix}`)));
      }
      expect(resources(s.compute, 'aws_cloudwatch_log_group').map((g) => g.name)).not.toContain(prefix());
    });

    it("scopes the job role's log permissions to those two groups", () => {
      const logs = grantLines(rolePolicy(s.compute, `${names.prefix}-glue-transform`)).filter((l) => l.startsWith('logs:'));
      expect(logs).toEqual(
        [
          `logs:CreateLogStream ${logArn(`${prefix()}/error`)}:*`,
          `logs:CreateLogStream ${logArn(`${prefix()}/output`)}:*`,
          `logs:PutLogEvents ${logArn(`${prefix()}/error`)}:*`,
          `logs:PutLogEvents ${logArn(`${prefix()}/output`)}:*`,
        ].sort(),
      );
    });

    it("gives the crawlers' log group a retention (in the environment that owns it: prod; dev's crawler writes to prod's)", () => {
      const groups = resources(s.compute, 'aws_cloudwatch_log_group').filter(named('/aws-glue/crawlers'));
      expect(groups.map((g) => g.retention_in_days)).toEqual(s.config.glue.ownsCrawlerLogGroup ? [s.config.aws.logRetentionDays] : []);
    });
  });

  describe('3. exactly-once without reserved concurrency', () => {
    it('reserves no concurrency (new accounts refuse reservations under a quota of 10)', () => {
      for (const fn of resources(s.compute, 'aws_lambda_function')) expect(fn.reserved_concurrent_executions).toBeUndefined();
    });

    it('lets each function write and read only its own claims', () => {
      const claimLines = (role: string) => grantLines(rolePolicy(s.compute, role)).filter((l) => l.includes('/claims/'));
      expect(claimLines(names.extractFunction)).toEqual([`s3:GetObject ${bucket}/claims/extract/*`, `s3:PutObject ${bucket}/claims/extract/*`]);
      expect(claimLines(names.startTransformFunction)).toEqual([`s3:GetObject ${bucket}/claims/transform/*`, `s3:PutObject ${bucket}/claims/transform/*`]);
    });

    it('expires old claims by lifecycle', () => {
      const rules: any[] = findResource(s.storage, 'aws_s3_bucket_lifecycle_configuration').rule;
      expect(rules.find((r) => r.id === 'claims')).toMatchObject({ filter: [{ prefix: 'claims/' }], expiration: [{ days: 90 }] });
    });
  });

  describe('4. first deploy and CI', () => {
    it('leaves the Snowflake user and role out of the provider block, so a saved plan applies under another identity', () => {
      const [provider] = s.warehouse.provider!.snowflake;
      expect(provider.user).toBeUndefined();
      expect(provider.role).toBeUndefined();
      expect(provider).toMatchObject({ organization_name: 'MYORG', account_name: 'MYACCOUNT', authenticator: 'SNOWFLAKE_JWT' });
    });

    it('gives the plan role read access only: usage, read (the internal dashboard stage), monitor and references', () => {
      const planner = `${names.prefix.replace(/-/g, '_').toUpperCase()}_PLANNER`;
      const grants = resources(s.warehouse, 'snowflake_grant_privileges_to_account_role').filter(
        (g) => g.account_role_name === refTo(s.warehouse, 'snowflake_account_role', 'name', named(planner)),
      );
      expect(new Set(grants.flatMap((g) => g.privileges))).toEqual(new Set(['USAGE', 'READ', 'MONITOR', 'REFERENCES']));
      const integrations = grants.filter((g) => g.on_account_object?.object_type === 'INTEGRATION').map((g) => g.on_account_object.object_name);
      expect(integrations.sort()).toEqual(
        [refTo(s.warehouse, 'snowflake_storage_integration', 'name'), refTo(s.warehouse, 'snowflake_notification_integration', 'name')].sort(),
      );
    });
  });

  describe('5. Snowpipe failures reach the alarm topic', () => {
    it('creates an outbound SNS notification integration to the alarm topic and sets it on every pipe', () => {
      const integration = findResource(s.warehouse, 'snowflake_notification_integration');
      expect(integration).toMatchObject({
        notification_provider: 'AWS_SNS',
        direction: 'OUTBOUND',
        enabled: true,
        aws_sns_role_arn: `arn:aws:iam::${ACCOUNT}:role/${names.prefix}-snowflake-sns-publish`,
      });
      expect(integration.aws_sns_topic_arn).toMatch(
        new RegExp(`^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-${names.prefix}-compute\\.outputs\\.`),
      );
      const pipes = resources(s.warehouse, 'snowflake_pipe');
      expect(pipes).toHaveLength(TABLES.length);
      for (const pipe of pipes) expect(pipe.error_integration).toBe(refTo(s.warehouse, 'snowflake_notification_integration', 'name'));
      expect(SNOWFLAKE_PREVIEW_FEATURES).toContain('snowflake_notification_integration_resource');
    });

    it("lets only the integration's own IAM user, with its external id, publish to the topic", () => {
      const role = findResource(s.warehouse, 'aws_iam_role', named(`${names.prefix}-snowflake-sns-publish`));
      expect(statements(role.assume_role_policy)).toEqual([
        {
          Sid: 'SnowflakeNotificationUser',
          Effect: 'Allow',
          Principal: { AWS: refTo(s.warehouse, 'snowflake_notification_integration', 'aws_sns_iam_user_arn') },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': refTo(s.warehouse, 'snowflake_notification_integration', 'aws_sns_external_id') } },
        },
      ]);
      const lines = grantLines(rolePolicy(s.warehouse, `${names.prefix}-snowflake-sns-publish`));
      expect(lines.filter((l) => !l.startsWith('kms:'))).toEqual([expect.stringMatching(/^sns:Publish \$\{data\.terraform_remote_state\./)]);
      expect(lines.some((l) => l.startsWith('kms:'))).toBe(customerManagedKey);
    });
  });

  describe('8. least privilege: the exact grants of each role', () => {
    const sqsVia = { StringEquals: { 'kms:ViaService': `sqs.${REGION}.amazonaws.com` } };
    const common = (fn: string) => [
      `logs:CreateLogStream ${logArn(`/aws/lambda/${fn}`)}:*`,
      `logs:PutLogEvents ${logArn(`/aws/lambda/${fn}`)}:*`,
      `sqs:SendMessage ${refTo(s.compute, 'aws_sqs_queue', 'arn')}`,
      'xray:PutTelemetryRecords *',
      'xray:PutTraceSegments *',
      // The failures queue is encrypted with the pipeline key only when there is one; the grant is narrowed to SQS.
      ...(customerManagedKey ? [`kms:Decrypt ${key} if ${JSON.stringify(sqsVia)}`, `kms:GenerateDataKey ${key} if ${JSON.stringify(sqsVia)}`] : []),
    ];

    it('extract Lambda: writes raw/, reads it back to resume (checkpoint, manifest, state), its claims, the Spotify secret', () => {
      const secret = refTo(s.compute, 'aws_secretsmanager_secret', 'arn');
      const secretsVia = { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } };
      expect(grantLines(rolePolicy(s.compute, names.extractFunction))).toEqual(
        [
          ...common(names.extractFunction),
          `s3:PutObject ${bucket}/raw/*`,
          `s3:GetObject ${bucket}/raw/*`,
          `s3:ListBucket ${bucket} if ${JSON.stringify({ StringLike: { 's3:prefix': ['raw/*'] } })}`,
          `s3:GetObject ${bucket}/claims/extract/*`,
          `s3:PutObject ${bucket}/claims/extract/*`,
          `secretsmanager:GetSecretValue ${secret}`,
          `secretsmanager:PutSecretValue ${secret}`,
          // The compare-and-set that keeps listeners' concurrent rotations: AWSCURRENT moves only from the version read.
          `secretsmanager:UpdateSecretVersionStage ${secret}`,
          ...(customerManagedKey ? [`kms:Decrypt ${key} if ${JSON.stringify(secretsVia)}`, `kms:GenerateDataKey ${key} if ${JSON.stringify(secretsVia)}`] : []),
        ].sort(),
      );
    });

    it('start-transform Lambda: its claims and the runs of its one job (it reads no manifest; it lists raw/ keys for the daily plays batch)', () => {
      const job = `arn:aws:glue:${REGION}:${ACCOUNT}:job/${names.glueJob}`;
      expect(grantLines(rolePolicy(s.compute, names.startTransformFunction))).toEqual(
        [
          ...common(names.startTransformFunction),
          `glue:GetJobRuns ${job}`,
          `glue:StartJobRun ${job}`,
          `s3:GetObject ${bucket}/claims/transform/*`,
          `s3:ListBucket ${bucket} if ${JSON.stringify({ StringLike: { 's3:prefix': ['raw/extract_date=*'] } })}`,
          `s3:PutObject ${bucket}/claims/transform/*`,
        ].sort(),
      );
    });

    it('the schedules: invoke the extract, dead-letter to the queue', () => {
      const lines = grantLines(rolePolicy(s.compute, `${names.prefix}-scheduler`));
      expect(lines.filter((l) => !l.startsWith('kms:'))).toEqual(
        [`lambda:InvokeFunction ${refTo(s.compute, 'aws_lambda_function', 'arn', (f) => f.function_name === names.extractFunction)}`, `sqs:SendMessage ${refTo(s.compute, 'aws_sqs_queue', 'arn')}`].sort(),
      );
      // With the pipeline key: the schedule's input is decrypted with it through the Scheduler or for this
      // pipeline's schedules only (never a plain Decrypt of the key's other data, the secret), and dead letters go
      // through SQS only.
      const schedulerVia = { StringEquals: { 'kms:ViaService': `scheduler.${REGION}.amazonaws.com` } };
      const ownSchedules = { ArnLike: { 'kms:EncryptionContext:aws:scheduler:schedule-arn': `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/*/${names.prefix}-*` } };
      expect(lines.filter((l) => l.startsWith('kms:'))).toEqual(
        customerManagedKey
          ? [
              `kms:Decrypt ${key} if ${JSON.stringify(schedulerVia)}`,
              `kms:Decrypt ${key} if ${JSON.stringify(ownSchedules)}`,
              `kms:Decrypt ${key} if ${JSON.stringify(sqsVia)}`,
              `kms:GenerateDataKey ${key} if ${JSON.stringify(sqsVia)}`,
            ].sort()
          : [],
      );
    });

    it('the crawler may create the partition index it is configured to create', () => {
      const crawler = findResource(s.compute, 'aws_glue_crawler');
      expect(JSON.parse(crawler.configuration).CreatePartitionIndex).toBe(true);
      const table = `arn:aws:glue:${REGION}:${ACCOUNT}:table/${names.glueDatabase}/*`;
      expect(grantLines(rolePolicy(s.compute, `${names.prefix}-glue-crawler`))).toContain(`glue:CreatePartitionIndex ${table}`);
    });
  });

  describe('9. checkov skips are per resource, with their reason', () => {
    it('every skip in the synthesised stacks names a check and says why', () => {
      const all = (['storage', 'compute', 'warehouse'] as const).flatMap((stack) => checkovSkips(s[stack] as TfJson));
      expect(all.length).toBeGreaterThan(0);
      for (const skip of all) {
        expect(skip.id).toMatch(/^CKV2?_AWS_\d+$/);
        expect(skip.reason.length).toBeGreaterThan(30);
      }
    });

    it('keeps raw/ history: overwritten or deleted raw objects stay recoverable for aws.rawVersionRetentionDays', () => {
      const rules: any[] = findResource(s.storage, 'aws_s3_bucket_lifecycle_configuration').rule;
      const raw = rules.find((r) => r.id === 'raw');
      expect(raw.noncurrent_version_expiration).toEqual([{ noncurrent_days: s.config.aws.rawVersionRetentionDays }]);
      expect(s.config.aws.rawVersionRetentionDays).toBeGreaterThanOrEqual(365);
      const bucketSkips = checkovSkips(s.storage as TfJson).filter((k) => k.address.startsWith('aws_s3_bucket.'));
      expect(bucketSkips.find((k) => k.id === 'CKV_AWS_144')?.reason).toMatch(/raw\/.*versions/);
    });
  });

  describe("10. main's plan sees every object it refreshes (the planner role, constructs/planner-reads.ts)", () => {
    // Issue 18, item 1: a read that cannot see an object plans to create it, and the apply fails "already exists".
    let planner: string;
    let grants: Covered[];
    beforeAll(() => {
      planner = `${names.snowflakePrefix}_PLANNER`;
      grants = plannerGrants(s.warehouse, planner);
    });

    it('every Snowflake resource type of the stack is in the table of reads', () => {
      const types = Object.keys(s.warehouse.resource).filter((t) => t.startsWith('snowflake_'));
      expect(types.filter((t) => !PLANNER_READS[t])).toEqual([]);
    });

    it('holds, on every object, the privilege its read needs', () => {
      const missing: string[] = [];
      for (const [type, byId] of Object.entries(s.warehouse.resource)) {
        if (!type.startsWith('snowflake_')) continue;
        for (const [id, r] of Object.entries(byId)) {
          const privilege = plannerPrivilegeFor(type, r);
          if (!privilege) continue;
          const targets = targetsOf(s.warehouse, type, r);
          if (!grants.some((g) => g.privilege === privilege && targets.includes(g.on))) missing.push(`${privilege} on ${type}.${id} (${targets[0]})`);
        }
      }
      expect(missing).toEqual([]);
    });

    it("has a running warehouse in its session (the views' reads call table functions)", () => {
      expect(s.warehouse.provider!.snowflake[0].warehouse).toBe(s.config.snowflake.warehouse);
      expect(grants).toContainEqual({ privilege: PLANNER_SESSION_WAREHOUSE_PRIVILEGE, on: `ACCOUNT:WAREHOUSE:${s.config.snowflake.warehouse}` });
    });

    it('reads no row: no SELECT, no role of another, nothing it could change with', () => {
      expect(grants.map((g) => g.privilege).filter((p) => !['USAGE', 'READ', 'REFERENCES', 'MONITOR'].includes(p))).toEqual([]);
      const resolve = resolver(s.warehouse);
      expect(resources(s.warehouse, 'snowflake_grant_account_role').filter((g) => resolve(g.parent_role_name) === planner)).toEqual([]);
    });
  });

  describe('11. Snowflake objects that hold data are protected from an accidental destroy in prod', () => {
    it(customerManagedKey ? 'prod: database, schema, every loaded table and the processed stage carry prevent_destroy, nothing else' : 'dev: nothing is protected', () => {
      const marked = Object.entries(s.warehouse.resource).flatMap(([type, byId]) =>
        Object.values(byId).filter((r) => r.lifecycle?.prevent_destroy === true).map((r) => ({ type, r })),
      );
      if (env === 'dev') {
        expect(marked).toEqual([]);
        return;
      }
      const count = (type: string) => marked.filter((m) => m.type === type).length;
      expect(count('snowflake_database')).toBe(1);
      expect(count('snowflake_schema')).toBe(1);
      expect(count('snowflake_table')).toBe(resources(s.warehouse, 'snowflake_table').length);
      expect(marked.filter((m) => m.type === 'snowflake_stage').map((m) => m.r.url)).toEqual([expect.stringMatching(/^s3:\/\/.+\/processed\/$/)]);
      // The dashboard's stage, the views and the pipes are rebuilt from the repository: replacing them loses nothing.
      expect(new Set(marked.map((m) => m.type))).toEqual(new Set(['snowflake_database', 'snowflake_schema', 'snowflake_table', 'snowflake_stage']));
    });
  });

  describe('12. pull requests see plans, not data: the GitHub workflow roles (prod sets ci.githubRepository)', () => {
    const REPO = 'my-org/spotify-pipeline';
    const role = (suffix: string) => findResource(s.storage, 'aws_iam_role', (r) => r.name === `${names.prefix}-github-${suffix}`);
    const trustCondition = (suffix: string) => statements(role(suffix).assume_role_policy).map((st) => st.Condition);
    const oidc = (sub: string) => ({ StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: sub } });

    it(env === 'prod' ? 'creates the GitHub OIDC provider and the two roles' : 'dev: no CI roles', () => {
      const github = resources(s.storage, 'aws_iam_role').filter((r) => /-github-/.test(r.name)).map((r) => r.name);
      if (env === 'dev') {
        expect(github).toEqual([]);
        expect(resources(s.storage, 'aws_iam_openid_connect_provider')).toEqual([]);
        return;
      }
      expect(github.sort()).toEqual([`${names.prefix}-github-deploy`, `${names.prefix}-github-pr-plan`]);
      expect(findResource(s.storage, 'aws_iam_openid_connect_provider')).toMatchObject({ url: `https://${GITHUB_OIDC_HOST}`, client_id_list: ['sts.amazonaws.com'] });
    });

    // The roles exist in prod only (dev has no ci.githubRepository): their trust and grants are prod's tests.
    if (env !== 'prod') return;
    it('trusts the pull-request planner only for pull_request runs of the repository, and lets it read only the state', () => {
      expect(trustCondition('pr-plan')).toEqual([oidc(`repo:${REPO}:pull_request`)]);
      expect(statements(role('pr-plan').assume_role_policy)[0]).toMatchObject({
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: expect.stringContaining('aws_iam_openid_connect_provider.') },
      });
      const p = rolePolicy(s.storage, `${names.prefix}-github-pr-plan`);
      const state = 'arn:aws:s3:::my-terraform-state/spotify-pipeline/prod';
      for (const kind of ['storage', 'compute', 'warehouse']) expect(allows(p, 's3:GetObject', `${state}/${kind}.tfstate`)).toBe(true);
      expect(allows(p, 's3:GetObject', 'arn:aws:s3:::my-terraform-state/spotify-pipeline/dev/storage.tfstate')).toBe(false);
      for (const k of ['raw/extract_date=2026-11-23/run_id=r/_manifest.json', 'processed/tracks/x.parquet', 'rejects/x.json', 'claims/extract/x', 'artifacts/glue/x.py']) {
        expect(allows(p, 's3:GetObject', `arn:aws:s3:::${names.bucket}/${k}`)).toBe(false);
      }
      // Listing the state bucket and reading state, nothing else: no lock written, no secret, no log, no queue.
      expect(p.flatMap((st) => [st.Action].flat()).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    });

    it('trusts the deploy role only for jobs of the production GitHub environment', () => {
      expect(trustCondition('deploy')).toEqual([oidc(`repo:${REPO}:environment:production`)]);
      expect(resources(s.storage, 'aws_iam_role_policy_attachment').map((a) => a.policy_arn)).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
    });
  });

  describe('cost: the customer-managed key is configuration', () => {
    it(customerManagedKey ? 'prod: one pipeline key encrypts logs, secret, queue and topic' : 'dev: no customer-managed key, AWS-managed encryption instead', () => {
      expect(resources(s.compute, 'aws_kms_key')).toHaveLength(customerManagedKey ? 1 : 0);
      const queue = findResource(s.compute, 'aws_sqs_queue');
      const topic = findResource(s.compute, 'aws_sns_topic');
      const secret = findResource(s.compute, 'aws_secretsmanager_secret');
      if (customerManagedKey) {
        expect([queue.kms_master_key_id, topic.kms_master_key_id, secret.kms_key_id]).toEqual([key, key, key]);
        for (const g of resources(s.compute, 'aws_cloudwatch_log_group')) expect(g.kms_key_id).toBe(key);
      } else {
        expect(queue.sqs_managed_sse_enabled).toBe(true);
        expect(queue.kms_master_key_id).toBeUndefined();
        expect(secret.kms_key_id).toBeUndefined();
        // CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key: the topic stays unencrypted.
        expect(topic.kms_master_key_id).toBeUndefined();
        expect(checkovSkips(s.compute as TfJson).find((k) => k.address.startsWith('aws_sns_topic.') && k.id === 'CKV_AWS_26')).toBeDefined();
      }
    });
  });
});

describe('cost: the catalog crawler is configuration', () => {
  it('glue.crawler off: no crawler, trigger, role or crawler log group; the failure rule watches the job alone', () => {
    const raw = require('../../config/environments/dev.json');
    // The compute stack alone (no assets written): only its own resources matter here.
    const { compute: stack } = buildPipelineApp(parseConfig({ ...raw, glue: { crawler: false } }), { app: Testing.app(), bundles: testBundles() });
    const compute = JSON.parse(Testing.synth(stack)) as TfJson;
    expect(resources(compute, 'aws_glue_crawler')).toHaveLength(0);
    expect(resources(compute, 'aws_glue_trigger')).toHaveLength(0);
    expect(resources(compute, 'aws_iam_role').map((r) => r.name)).not.toContain('spotify-pipeline-dev-glue-crawler');
    expect(resources(compute, 'aws_cloudwatch_log_group').map((g) => g.name)).not.toContain('/aws-glue/crawlers');
    const pattern = JSON.parse(findResource(compute, 'aws_cloudwatch_event_rule').event_pattern);
    expect(pattern).toEqual({
      source: ['aws.glue'],
      'detail-type': ['Glue Job State Change'],
      detail: { jobName: ['spotify-pipeline-dev-transform'], state: ['FAILED', 'TIMEOUT', 'ERROR'] },
    });
  });
});

describe('issue 18: tearing down on purpose, the CI roles refuse bad configuration, the docs give the tables', () => {
  it(`lifts prevent_destroy for one synth with ${ALLOW_DESTROY_ENV}=1 (what \`pipeline destroy\` sets), keeping other lifecycle settings`, () => {
    const synthWith = (env: NodeJS.ProcessEnv) => {
      const stack = new TerraformStack(Testing.app(), 'protection');
      new SnowflakeProvider(stack, 'snowflake', {});
      const db = new Database(stack, 'db', { name: 'X', lifecycle: { ignoreChanges: ['comment'] } });
      protectFromDestroy(loadConfig('prod'), [db], env);
      return JSON.parse(Testing.synth(stack)).resource.snowflake_database.db.lifecycle;
    };
    expect(synthWith({})).toEqual({ ignore_changes: ['comment'], prevent_destroy: true });
    expect(synthWith({ [ALLOW_DESTROY_ENV]: '1' })).toEqual({ ignore_changes: ['comment'] });
  });

  it('refuses CI roles without a state bucket to read, or for a repository that is not owner/name, saying what to fix', () => {
    const prod = loadConfig('prod');
    expect(() => new StorageStack(Testing.app(), { ...prod, aws: { ...prod.aws, stateBackend: undefined } })).toThrow(/ci\.githubRepository needs aws\.stateBackend/);
    expect(() => new StorageStack(Testing.app(), { ...prod, ci: { ...prod.ci!, githubRepository: 'spotify-pipeline' } })).toThrow(/must be "owner\/name"/);
  });

  const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'deploying.md'), 'utf8');
  it("docs/deploying.md gives the pull-request planner's exact policy", () => {
    for (const statement of pullRequestPlannerStatements({ bucket: '<state-bucket>', keyPrefix: 'spotify-pipeline/prod' })) {
      expect(docs).toContain(JSON.stringify({ Effect: 'Allow', ...statement }));
    }
  });

  it("docs/deploying.md gives the planner's table of reads: one row per resource type, with its privilege", () => {
    for (const [type, requirement] of Object.entries(PLANNER_READS)) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${type}\` |`));
      expect(row).toBeDefined();
      if (typeof requirement.privilege === 'string') expect(row).toContain(`**${requirement.privilege}**`);
    }
  });
});
