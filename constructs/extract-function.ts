/**
 * The extract Lambda with what starts and watches it: its environment and least-privilege grants (raw/, its run
 * claims, the Spotify secrets), its EventBridge Scheduler schedules (the weekly full run and, when plays are polled,
 * the plays poll), the role the schedules invoke it with, and the alarm on the extract's own StoppedEarly metric.
 *
 * A scheduled run's id is derived from the scheduled time, which survives the Scheduler's retries (the execution
 * id does not): a retried run gets the same run id and rewrites the same keys.
 */
import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { pollsPlays, resourceNames, type PipelineConfig } from '../config/pipeline-config';
import { EXTRACT_ENV, EXTRACT_SERVICE, METRICS_NAMESPACE, OUTCOME_METRICS } from '../handlers/shared/runtime-contract';
import { bucketArn, objectsArn, ServiceRole, type PolicyStatement } from './iam';
import { NodeLambda, NO_KEY_REASON } from './node-lambda';
import { skipCheck } from './checkov';
import { requireAlerts, type PipelineBucket, type PipelineContext } from './context';

export interface ExtractSchedule {
  /** Construct id and name suffix, e.g. "weekly" -> <prefix>-weekly-extract. Required. */
  id: string;
  /** What the schedule starts, as shown in the console. Required. */
  description: string;
  /** EventBridge Scheduler expression, e.g. cron(0 6 ? * MON *). Required. */
  expression: string;
  /** Extra fields of the event the schedule sends (e.g. what to extract); `id` and `scheduledTime` are always set. Default: none. */
  input?: Record<string, unknown>;
}

/** The weekly full run, and (when plays are polled) a plays run on its own schedule: Spotify keeps only a listener's last 50 plays. */
export function extractSchedules(config: PipelineConfig): ExtractSchedule[] {
  const schedules: ExtractSchedule[] = [{ id: 'weekly', description: 'Weekly Spotify extract.', expression: config.extract.schedule }];
  if (pollsPlays(config)) {
    schedules.push({ id: 'plays', description: "Polls every listener's recently played tracks.", expression: config.extract.playsSchedule!, input: { mode: 'plays' } });
  }
  return schedules;
}

/** Terraform reads "${" and "%{" in a string as templates; configuration JSON must stay literal. */
export function terraformLiteral(value: string): string {
  // Replacement functions: in a replacement string "$$" would itself collapse to "$".
  return value.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/**
 * The configuration the extract Lambda receives (PIPELINE_CONFIG): the validated configuration without the
 * sections that mean nothing inside Lambda (local folders, Glue sizing, Snowflake account, state backend); parseConfig()
 * fills their defaults back in.
 */
export function lambdaConfigJson(config: PipelineConfig): string {
  const { environment, project, aws, spotify, extract } = config;
  // The account id is left out too: the Lambda does not use it, and a 12-digit number in an environment
  // variable reads as an AWS credential to secret scanners.
  return JSON.stringify({ environment, project, aws: { ...aws, accountId: undefined, stateBackend: undefined }, spotify, extract });
}

export interface ExtractFunctionProps {
  /** Account, region, key, log retention and alerts of the stack; `alerts` is required here. Required. */
  context: PipelineContext;
  /** The validated pipeline configuration: the function receives it (PIPELINE_CONFIG) and takes its name, memory, timeout and schedules from it. Required. */
  config: PipelineConfig;
  /** The pipeline bucket: the function reads and writes raw/ and its run claims under claims/extract/. Required. */
  bucket: PipelineBucket;
  /** ARN of the app's Spotify secret (client id/secret, and the refresh token when no listeners are configured). Required. */
  spotifySecretArn: string;
  /** ARNs (or ARN patterns) of the listeners' refresh-token secrets. Default: none. */
  listenerSecretArns?: readonly string[];
  /** Folder holding the esbuild output of handlers/extract (handlers/build.ts). Required. */
  bundleDir: string;
}

export class ExtractFunction extends Construct {
  readonly lambda: NodeLambda;
  readonly schedulerRole: ServiceRole;
  readonly schedules: SchedulerSchedule[];
  readonly stoppedEarlyAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: ExtractFunctionProps) {
    super(scope, id);
    const { context, config, bucket } = props;
    const functionName = resourceNames(config).extractFunction;
    this.lambda = new NodeLambda(this, 'extract', {
      context,
      functionName,
      description: 'Extracts playlists, top items and listening data from the Spotify Web API into raw/ (manifest last).',
      bundleDir: props.bundleDir,
      memoryMb: config.extract.lambdaMemoryMb,
      timeoutSeconds: config.extract.lambdaTimeoutSeconds,
      // No reserved concurrency: a scheduled run is claimed in S3 before it starts (claims/extract/), so a
      // duplicate or overlapping delivery of the same run does nothing.
      environment: {
        [EXTRACT_ENV.config]: terraformLiteral(lambdaConfigJson(config)),
        [EXTRACT_ENV.bucket]: bucket.ref,
        [EXTRACT_ENV.spotifySecretArn]: props.spotifySecretArn,
        [EXTRACT_ENV.serviceName]: EXTRACT_SERVICE,
        [EXTRACT_ENV.metricsNamespace]: METRICS_NAMESPACE,
      },
      statements: extractStatements(context, bucket, [props.spotifySecretArn, ...(props.listenerSecretArns ?? [])]),
    });

    // A run that stopped early (quota 429, time budget) still succeeds; it is worth a look all the same.
    this.stoppedEarlyAlarm = new CloudwatchMetricAlarm(this, 'stopped-early', {
      alarmName: `${functionName}-stopped-early`,
      alarmDescription: 'The extract stopped before finishing (quota or time budget); the manifest says why. The next run catches up.',
      namespace: METRICS_NAMESPACE,
      metricName: OUTCOME_METRICS.stoppedEarly,
      dimensions: { service: EXTRACT_SERVICE, environment: context.environmentName },
      statistic: 'Maximum',
      period: 3600,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [requireAlerts(context, 'the extract').topicArn],
    });

    this.schedulerRole = schedulerRole(this, context, this.lambda.function.arn);
    this.schedules = extractSchedules(config).map((schedule) => this.schedule(context, schedule));
    if (!context.kmsKeyArn) {
      for (const schedule of this.schedules) skipCheck(schedule, 'CKV_AWS_297', NO_KEY_REASON);
    }
  }

  private schedule(context: PipelineContext, schedule: ExtractSchedule): SchedulerSchedule {
    const failureQueueArn = requireAlerts(context, 'the extract schedules').failureQueueArn;
    return new SchedulerSchedule(this, schedule.id, {
      name: `${context.prefix}-${schedule.id}-extract`,
      description: schedule.description,
      scheduleExpression: schedule.expression,
      scheduleExpressionTimezone: 'UTC',
      kmsKeyArn: context.kmsKeyArn,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: this.lambda.function.arn,
        roleArn: this.schedulerRole.role.arn,
        // The extract derives the run id from `id` and the start time from `scheduledTime`. Both are the
        // scheduled time, which stays the same when the Scheduler retries (the execution id does not).
        input: JSON.stringify({
          id: `${schedule.id}-<aws.scheduler.scheduled-time>`,
          scheduledTime: '<aws.scheduler.scheduled-time>',
          ...schedule.input,
        }),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: failureQueueArn },
      },
    });
  }
}

/** What the extract may do: write and read raw/, claim its runs, read and store back the Spotify secrets. */
function extractStatements(context: PipelineContext, bucket: PipelineBucket, secretArns: string[]): PolicyStatement[] {
  const { raw, claims } = bucket.prefixes;
  return [
    { Sid: 'WriteRaw', Action: ['s3:PutObject'], Resource: [objectsArn(bucket.name, `${raw}*`)] },
    // A run resumes from what raw/ holds: its checkpoint, an existing manifest, the playlist state (raw/_state/)
    // and, by HEAD, the earlier objects a manifest points at. ListBucket makes a missing key answer 404 (no
    // checkpoint yet) instead of 403.
    { Sid: 'ReadRaw', Action: ['s3:GetObject'], Resource: [objectsArn(bucket.name, `${raw}*`)] },
    {
      Sid: 'ListRaw',
      Action: ['s3:ListBucket'],
      Resource: [bucketArn(bucket.name)],
      Condition: { StringLike: { 's3:prefix': [`${raw}*`] } },
    },
    // The run claim: a conditional put, read back when it already exists (handlers/shared/run-claim.ts).
    { Sid: 'ClaimRuns', Action: ['s3:PutObject', 's3:GetObject'], Resource: [objectsArn(bucket.name, `${claims}extract/*`)] },
    // PutSecretValue: Spotify may hand out a new refresh token, which the Lambda stores back (each listener's too),
    // as a compare-and-set: UpdateSecretVersionStage moves AWSCURRENT to it only from the version it read.
    {
      Sid: 'SpotifySecret',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      Resource: secretArns,
    },
    ...(context.kmsKeyArn
      ? [
          {
            Sid: 'SpotifySecretKey',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: [context.kmsKeyArn],
            Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${context.region}.amazonaws.com` } },
          },
        ]
      : []),
  ];
}

/** The role EventBridge Scheduler invokes the extract with; it dead-letters what it cannot deliver. */
function schedulerRole(scope: Construct, context: PipelineContext, functionArn: string): ServiceRole {
  const { kmsKeyArn } = context;
  const failureQueueArn = requireAlerts(context, 'the extract schedules').failureQueueArn;
  return new ServiceRole(scope, 'scheduler-role', {
    name: `${context.prefix}-scheduler`,
    service: 'scheduler.amazonaws.com',
    accountId: context.accountId,
    description: "Lets the extract's schedules invoke the extract Lambda and dead-letter what they cannot deliver.",
    statements: [
      { Sid: 'InvokeExtract', Action: ['lambda:InvokeFunction'], Resource: [functionArn] },
      { Sid: 'DeadLetter', Action: ['sqs:SendMessage'], Resource: [failureQueueArn] },
      ...(kmsKeyArn
        ? [
            // The schedules' input is encrypted with the pipeline key; the Scheduler decrypts it with this role.
            // The same key protects the Spotify secret, so the grant holds only through the Scheduler
            // (kms:ViaService) or for the input of this pipeline's own schedules (the encryption context Scheduler
            // binds to it): an execution role's own calls carry no kms:ViaService, and neither form opens the secret.
            {
              Sid: 'ScheduleInputKey',
              Action: ['kms:Decrypt'],
              Resource: [kmsKeyArn],
              Condition: { StringEquals: { 'kms:ViaService': `scheduler.${context.region}.amazonaws.com` } },
            },
            {
              Sid: 'ScheduleInputKeyContext',
              Action: ['kms:Decrypt'],
              Resource: [kmsKeyArn],
              Condition: {
                ArnLike: { 'kms:EncryptionContext:aws:scheduler:schedule-arn': `arn:aws:scheduler:${context.region}:${context.accountId}:schedule/*/${context.prefix}-*` },
              },
            },
            // Dead letters go to the queue encrypted with the same key: through SQS only.
            {
              Sid: 'DeadLetterKey',
              Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
              Resource: [kmsKeyArn],
              Condition: { StringEquals: { 'kms:ViaService': `sqs.${context.region}.amazonaws.com` } },
            },
          ]
        : []),
    ],
  });
}
