import { GlueJob } from '@cdktf/provider-aws/lib/glue-job';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { parseConfig, resourceNames } from '../../config/pipeline-config';
import { LAMBDA_RUNTIME } from '../../handlers/build';
import { TABLES } from '../../schemas/table-schemas';
import { lambdaConfigJson, terraformLiteral } from '../../stacks/compute-stack';
import { findResource, refTo, resources, statements, synthPipeline, type Synthesised } from './synth-helper';

describe('compute stack (dev)', () => {
  let s: Synthesised;
  let names: ReturnType<typeof resourceNames>;
  const fn = (name: string) => findResource(s.compute, 'aws_lambda_function', (r) => r.function_name === name);
  beforeAll(() => {
    s = synthPipeline();
    names = resourceNames(s.config);
  });

  describe('extract Lambda', () => {
    it('runs the esbuild bundle on a Node.js runtime AWS accepts for new functions', () => {
      expect(['nodejs22.x', 'nodejs24.x']).toContain(LAMBDA_RUNTIME);
      const extract = fn(names.extractFunction);
      expect(extract).toMatchObject({
        runtime: LAMBDA_RUNTIME,
        handler: 'index.handler',
        memory_size: s.config.extract.lambdaMemoryMb,
        timeout: s.config.extract.lambdaTimeoutSeconds,
        tracing_config: { mode: 'Active' },
      });
      // The zip is an asset of the stack and its hash is the change trigger.
      expect(extract.filename).toMatch(/^assets\/extract_bundle_[A-Z0-9]+\/[0-9A-F]+\/archive\.zip$/);
      expect(extract.source_code_hash).toMatch(/^[0-9A-F]{32,}$/);
    });

    it('gets its configuration, bucket and secret from the environment', () => {
      const vars = fn(names.extractFunction).environment.variables;
      expect(Object.keys(vars).sort()).toEqual(
        ['BUCKET_NAME', 'NODE_OPTIONS', 'PIPELINE_CONFIG', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME', 'SPOTIFY_SECRET_ARN'].sort(),
      );
      // What the Lambda receives validates as a pipeline configuration, with the same Spotify settings.
      const received = parseConfig(JSON.parse(vars.PIPELINE_CONFIG), 'PIPELINE_CONFIG');
      expect(received.spotify).toEqual(s.config.spotify);
      expect(received.extract).toEqual(s.config.extract);
      expect(vars.PIPELINE_CONFIG).not.toContain(s.config.aws.accountId);
      expect(vars.SPOTIFY_SECRET_ARN).toMatch(/^\$\{aws_secretsmanager_secret\.[\w-]+\.arn\}$/);
      // The bucket comes from the storage stack: a cross-stack reference, resolved through remote state.
      expect(vars.BUCKET_NAME).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-spotify-pipeline-dev-storage\.outputs\.[\w-]+\}$/);
    });

    it('passes only what the Lambda uses, with Terraform template syntax escaped', () => {
      const json = JSON.parse(lambdaConfigJson(s.config));
      expect(Object.keys(json).sort()).toEqual(['aws', 'environment', 'extract', 'project', 'spotify']);
      expect(json.aws.accountId).toBeUndefined();
      expect(terraformLiteral('{"a":"${x} and %{y}"}')).toBe('{"a":"$${x} and %%{y}"}');
    });

    it('is started weekly by EventBridge Scheduler with retries and a dead-letter queue', () => {
      expect(s.text.compute).toHaveResourceWithProperties(SchedulerSchedule, {
        schedule_expression: 'cron(0 6 ? * MON *)',
        schedule_expression_timezone: 'UTC',
      });
      const schedule = findResource(s.compute, 'aws_scheduler_schedule', (r) => r.schedule_expression === 'cron(0 6 ? * MON *)');
      expect(schedule.target.arn).toMatch(/aws_lambda_function\.extract_function_\w+\.arn/);
      expect(schedule.target.retry_policy).toEqual({ maximum_retry_attempts: 2, maximum_event_age_in_seconds: 3600 });
      expect(schedule.target.dead_letter_config.arn).toBe(refTo(s.compute, 'aws_sqs_queue', 'arn'));
      // Retries keep the scheduled time (not the per-attempt execution id), so they reuse the run id.
      expect(JSON.parse(schedule.target.input)).toEqual({
        id: 'weekly-<aws.scheduler.scheduled-time>',
        scheduledTime: '<aws.scheduler.scheduled-time>',
      });
    });
  });

  describe('start-transform Lambda', () => {
    it('knows the Glue job and may be invoked by S3 events of this bucket only', () => {
      const start = fn(names.startTransformFunction);
      expect(start.runtime).toBe(LAMBDA_RUNTIME);
      expect(start.environment.variables.GLUE_JOB_NAME).toBe(names.glueJob);
      const permission = findResource(s.compute, 'aws_lambda_permission');
      expect(permission).toMatchObject({
        principal: 's3.amazonaws.com',
        source_arn: `arn:aws:s3:::${names.bucket}`,
        source_account: '123456789012',
        action: 'lambda:InvokeFunction',
      });
    });

    it('sends failed async invocations of both functions to the failure queue', () => {
      const configs = resources(s.compute, 'aws_lambda_function_event_invoke_config');
      expect(configs).toHaveLength(2);
      for (const c of configs) {
        expect(c.destination_config.on_failure.destination).toBe(refTo(s.compute, 'aws_sqs_queue', 'arn'));
        expect(c.maximum_retry_attempts).toBe(2);
      }
    });
  });

  it('creates the secret container only: its value never reaches Terraform', () => {
    expect(findResource(s.compute, 'aws_secretsmanager_secret').name).toBe(names.spotifySecret);
    expect(resources(s.compute, 'aws_secretsmanager_secret_version')).toHaveLength(0);
  });

  describe('Glue job', () => {
    it('is Glue 5.1, one run at a time with queuing, with a timeout', () => {
      expect(s.text.compute).toHaveResourceWithProperties(GlueJob, {
        name: names.glueJob,
        glue_version: '5.1',
        worker_type: 'G.1X',
        number_of_workers: 2,
        timeout: 60,
        job_run_queuing_enabled: true,
        execution_property: { max_concurrent_runs: 1 },
      });
    });

    it('runs the uploaded script with the package, the schema files and its arguments', () => {
      const job = findResource(s.compute, 'aws_glue_job');
      const objects = resources(s.compute, 'aws_s3_object');
      const keyOf = (name: string) => objects.find((o) => o.key.endsWith(`/${name}`))!.key;
      expect(job.command).toMatchObject({ name: 'glueetl', python_version: '3' });
      const objectKey = (file: string) => refTo(s.compute, 'aws_s3_object', 'key', (o) => o.key.endsWith(`/${file}`));
      expect(job.command.script_location).toBe(`s3://${names.bucket}/${objectKey('transform_job.py')}`);
      expect(keyOf('transform_job.py')).toMatch(/^artifacts\/glue\/[0-9A-F]+\/transform_job\.py$/);
      expect(keyOf('spotify_transform.zip')).toMatch(/^artifacts\/glue\//);
      expect(keyOf('tables.json')).toMatch(/^artifacts\/glue\//);
      expect(keyOf('raw-documents.json')).toMatch(/^artifacts\/glue\//);
      const args = job.default_arguments;
      expect(args).toMatchObject({
        '--PROCESSED_PREFIX': `s3://${names.bucket}/processed/`,
        '--REJECTS_PREFIX': `s3://${names.bucket}/rejects/`,
        '--extra-py-files': `s3://${names.bucket}/${objectKey('spotify_transform.zip')}`,
        // Both schema files land in the job's working directory: the table schemas and the raw layer's declaration.
        '--extra-files': [objectKey('tables.json'), objectKey('raw-documents.json')].map((key) => `s3://${names.bucket}/${key}`).join(','),
        // Runs are named by run id; bookmarks would skip a deliberate re-run.
        '--job-bookmark-option': 'job-bookmark-disable',
        '--custom-logGroup-prefix': `/aws-glue/jobs/${names.glueJob}`,
      });
      // Job metrics only where an alarm reads them, and none does (a failed run alarms through its state change):
      // each Glue metric would cost $0.30 a month for every hour it is reported (docs/costs.md).
      expect(args['--enable-metrics']).toBeUndefined();
      expect(args['--enable-observability-metrics']).toBeUndefined();
      // Per-run arguments come from the start-transform Lambda, never from defaults.
      expect(args['--RAW_RUN_PREFIX']).toBeUndefined();
      expect(args['--RUN_ID']).toBeUndefined();
    });

    it('ships the Python package as a zip with spotify_transform/ at its root', () => {
      const pkg = findResource(s.compute, 'aws_s3_object', (o) => o.key.endsWith('spotify_transform.zip'));
      expect(pkg.source).toMatch(/archive\.zip$/);
      const stack = s.stacks.compute;
      const asset = stack.node.findAll().find((c) => c.node.id === 'glue-package') as any;
      const { readdirSync } = require('node:fs');
      expect(readdirSync(asset.sourcePath ?? asset.path)).toEqual(['spotify_transform']);
    });

    it('crawls every processed table weekly, since plays are polled hourly (a crawl after each transform would cost ~$110 a month)', () => {
      const crawler = findResource(s.compute, 'aws_glue_crawler');
      expect(crawler.name).toBe(names.glueCrawler);
      expect(crawler.s3_target.map((t: any) => t.path).sort()).toEqual(
        TABLES.map((t) => `s3://${names.bucket}/processed/${t.name}/`).sort(),
      );
      expect(crawler.database_name).toMatch(/cross-stack-reference-input-spotify-pipeline-dev-storage/);
      const trigger = findResource(s.compute, 'aws_glue_trigger');
      expect(trigger).toMatchObject({ type: 'SCHEDULED', schedule: 'cron(0 7 ? * MON *)', start_on_creation: true });
      expect(trigger.actions).toEqual([{ crawler_name: refTo(s.compute, 'aws_glue_crawler', 'name') }]);
    });
  });

  describe('logs and alarms', () => {
    it('keeps every log group for the configured retention (dev: no customer-managed key, see first-deploy.test.ts)', () => {
      const groups = resources(s.compute, 'aws_cloudwatch_log_group');
      // Not /aws-glue/crawlers: one per account, which prod.json owns (environments.test.ts).
      expect(groups.map((g) => g.name).sort()).toEqual(
        [
          `/aws-glue/jobs/${names.glueJob}/error`,
          `/aws-glue/jobs/${names.glueJob}/output`,
          `/aws/lambda/${names.extractFunction}`,
          `/aws/lambda/${names.startTransformFunction}`,
        ].sort(),
      );
      for (const g of groups) expect(g.retention_in_days).toBe(14);
    });

    it('alarms on Lambda errors and failed invocations, to the alarm topic', () => {
      const alarms = resources(s.compute, 'aws_cloudwatch_metric_alarm');
      const lambdaAlarms = alarms.filter((a) => a.namespace === 'AWS/Lambda');
      expect(lambdaAlarms.map((a) => a.dimensions.FunctionName).sort()).toEqual(
        [names.extractFunction, names.startTransformFunction].sort(),
      );
      for (const a of alarms) expect(a.alarm_actions).toEqual([refTo(s.compute, 'aws_sns_topic', 'arn')]);
      expect(alarms.some((a) => a.namespace === 'AWS/SQS' && a.metric_name === 'ApproximateNumberOfMessagesVisible')).toBe(true);
      // The extract's own EMF metric: Powertools adds the service dimension, the handler the environment.
      const stopped = alarms.find((a) => a.metric_name === 'StoppedEarly')!;
      const vars = fn(names.extractFunction).environment.variables;
      expect(stopped.namespace).toBe(vars.POWERTOOLS_METRICS_NAMESPACE);
      expect(stopped.dimensions).toEqual({ service: vars.POWERTOOLS_SERVICE_NAME, environment: 'dev' });
    });

    it('alarms 14 days before a refresh token expires, and when no run reported the days left (missing data breaches)', () => {
      const alarm = resources(s.compute, 'aws_cloudwatch_metric_alarm').find((a) => a.metric_name === 'RefreshTokenDaysLeft')!;
      const vars = fn(names.extractFunction).environment.variables;
      expect(alarm).toMatchObject({
        namespace: vars.POWERTOOLS_METRICS_NAMESPACE,
        dimensions: { service: vars.POWERTOOLS_SERVICE_NAME, environment: 'dev' },
        statistic: 'Minimum',
        threshold: 14,
        comparison_operator: 'LessThanOrEqualToThreshold',
        treat_missing_data: 'breaching',
        // The plays poll of the 00 UTC hour reports it daily (dev polls plays hourly).
        period: 86400,
        evaluation_periods: 1,
      });
      expect(alarm.ok_actions).toEqual([refTo(s.compute, 'aws_sns_topic', 'arn')]);
    });

    it('routes Glue job and crawler failures to the alarm topic', () => {
      const rule = findResource(s.compute, 'aws_cloudwatch_event_rule');
      const pattern = JSON.parse(rule.event_pattern);
      expect(pattern.source).toEqual(['aws.glue']);
      expect(pattern.$or[0].detail).toEqual({ jobName: [names.glueJob], state: ['FAILED', 'TIMEOUT', 'ERROR'] });
      expect(pattern.$or[1].detail).toEqual({ crawlerName: [names.glueCrawler], state: ['Failed'] });
      expect(findResource(s.compute, 'aws_cloudwatch_event_target').arn).toBe(refTo(s.compute, 'aws_sns_topic', 'arn'));
      const topicPolicy = statements(findResource(s.compute, 'aws_sns_topic_policy').policy);
      expect(topicPolicy.find((p) => p.Sid === 'GlueFailureRule')?.Condition).toEqual({
        ArnEquals: { 'aws:SourceArn': refTo(s.compute, 'aws_cloudwatch_event_rule', 'arn') },
      });
    });

    it('encrypts the failure queue (SSE-SQS in dev; the pipeline key in prod, see first-deploy.test.ts)', () => {
      expect(findResource(s.compute, 'aws_sqs_queue').sqs_managed_sse_enabled).toBe(true);
    });
  });

  it('alarms when a listener has had no plays stored for a day (one alarm for every listener), missing data breaching', () => {
    const alarms = resources(s.compute, 'aws_cloudwatch_metric_alarm').filter((a) => a.metric_name === 'PlaysStored');
    expect(alarms).toHaveLength(1);
    const topic = refTo(s.compute, 'aws_sns_topic', 'arn');
    expect(alarms[0]).toMatchObject({
      alarm_name: 'spotify-pipeline-dev-plays-silent',
      namespace: 'SpotifyPipeline',
      dimensions: { service: 'spotify-extract', environment: 'dev' },
      statistic: 'Maximum',
      period: 3600,
      evaluation_periods: 24,
      datapoints_to_alarm: 24,
      threshold: 1,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'breaching',
      alarm_actions: [topic],
    });
  });
});
