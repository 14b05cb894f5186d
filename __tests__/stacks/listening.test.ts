/**
 * What the listening history adds to the compute stack: the plays schedule (the extract Lambda in plays mode), one
 * secret per listener that only the extract may read and write back, and the crawler on a schedule when plays are
 * polled (a crawl after each hourly transform would cost more than the rest of the deployment).
 */
import { loadConfig, parseConfig, resourceNames, type PipelineConfig } from '../../config/pipeline-config';
import { PLAYS_BATCH_LOOKBACK_DAYS } from '../../stacks/compute-stack';
import { allows, findResource, refTo, resources, rolePolicy, synthPipeline, type Synthesised } from './synth-helper';

const dev = loadConfig('dev');
const withListeners = (extra: Partial<PipelineConfig['extract']> = {}): PipelineConfig =>
  parseConfig({
    ...JSON.parse(JSON.stringify(dev)),
    spotify: { ...dev.spotify, listeners: [{ name: 'sam' }, { name: 'mira', refreshToken: { awsSecretId: 'shared/spotify/mira' } }] },
    extract: { ...dev.extract, ...extra },
  });

describe('compute stack with two listeners, plays polled hourly', () => {
  let s: Synthesised;
  let names: ReturnType<typeof resourceNames>;
  beforeAll(() => {
    s = synthPipeline(withListeners());
    names = resourceNames(s.config);
  });

  it('polls plays hourly with the extract Lambda in plays mode, retried with the same run id', () => {
    const plays = findResource(s.compute, 'aws_scheduler_schedule', (r) => r.name === `${names.prefix}-plays-extract`);
    expect(plays).toMatchObject({ schedule_expression: 'rate(1 hour)', schedule_expression_timezone: 'UTC', flexible_time_window: { mode: 'OFF' } });
    expect(JSON.parse(plays.target.input)).toEqual({
      id: 'plays-<aws.scheduler.scheduled-time>',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      mode: 'plays',
    });
    expect(plays.target.arn).toBe(findResource(s.compute, 'aws_scheduler_schedule', (r) => r.name === `${names.prefix}-weekly-extract`).target.arn);
    expect(plays.target.dead_letter_config.arn).toBe(refTo(s.compute, 'aws_sqs_queue', 'arn'));
  });

  it("keeps every listener's token in the app's one secret (no secret each), which only the extract may read and compare-and-set", () => {
    // A secret is $0.40 a month: five listeners in secrets of their own cost $2.00 (docs/costs.md).
    const secrets = resources(s.compute, 'aws_secretsmanager_secret').map((r) => r.name).sort();
    expect(secrets).toEqual([names.spotifySecret]);
    const extract = rolePolicy(s.compute, names.extractFunction);
    const appArn = refTo(s.compute, 'aws_secretsmanager_secret', 'arn');
    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']) {
      expect(allows(extract, action, appArn)).toBe(true);
      // Mira's token lives in a secret of her own, named in the configuration.
      expect(allows(extract, action, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/spotify/mira-AbCdEf')).toBe(true);
      expect(allows(extract, action, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/spotify/other-AbCdEf')).toBe(false);
    }
    const start = rolePolicy(s.compute, names.startTransformFunction);
    expect(allows(start, 'secretsmanager:GetSecretValue', appArn)).toBe(false);
  });

  it('transforms the hourly polls in a daily batch: the start-transform Lambda looks 8 days back and may list raw/ keys', () => {
    const start = findResource(s.compute, 'aws_lambda_function', (r) => r.function_name === names.startTransformFunction);
    expect(start.environment.variables.PLAYS_BATCH_DAYS).toBe(String(PLAYS_BATCH_LOOKBACK_DAYS));
    const policy = rolePolicy(s.compute, names.startTransformFunction);
    const list = policy.find((st) => st.Sid === 'ListRawRuns');
    expect(list).toMatchObject({ Action: ['s3:ListBucket'], Condition: { StringLike: { 's3:prefix': ['raw/extract_date=*'] } } });
    // Keys only: the batch reads no raw object.
    expect(allows(policy, 's3:GetObject', `arn:aws:s3:::${names.bucket}/raw/extract_date=2026-11-25/run_id=x/_manifest.json`)).toBe(false);
  });

  it('has one plays alarm for both listeners: it fires while fewer than 2 had plays stored every hour for a day', () => {
    const alarms = resources(s.compute, 'aws_cloudwatch_metric_alarm').filter((a) => a.metric_name === 'PlaysStored');
    expect(alarms.map((a) => [a.alarm_name, a.statistic, a.threshold, a.comparison_operator, a.evaluation_periods])).toEqual([
      ['spotify-pipeline-dev-plays-silent', 'Maximum', 2, 'LessThanThreshold', 24],
    ]);
    expect(alarms[0].alarm_description).toContain('(of sam, mira)');
  });

  it('crawls weekly instead of after every transform', () => {
    const trigger = findResource(s.compute, 'aws_glue_trigger');
    expect(trigger).toMatchObject({ type: 'SCHEDULED', schedule: 'cron(0 7 ? * MON *)' });
  });
});

describe('compute stack without the plays schedule', () => {
  it('has the weekly schedule alone and crawls after each transform', () => {
    const s = synthPipeline(withListeners({ playsSchedule: null }));
    const schedules = resources(s.compute, 'aws_scheduler_schedule');
    expect(schedules.map((r) => r.schedule_expression)).toEqual(['cron(0 6 ? * MON *)']);
    const trigger = findResource(s.compute, 'aws_glue_trigger');
    expect(trigger.type).toBe('CONDITIONAL');
    // No hourly polls, no batch: every run's manifest starts its own transform.
    const start = findResource(s.compute, 'aws_lambda_function', (r) => r.function_name === resourceNames(s.config).startTransformFunction);
    expect(start.environment.variables.PLAYS_BATCH_DAYS).toBeUndefined();
    expect(rolePolicy(s.compute, resourceNames(s.config).startTransformFunction).some((st) => st.Sid === 'ListRawRuns')).toBe(false);
  });
});
