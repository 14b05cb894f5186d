/**
 * The extract Lambda with what starts and watches it: its EventBridge Scheduler schedules (the weekly run today;
 * the construct takes a list, so an hourly plays schedule is one more entry), the role the schedules invoke it
 * with, and the alarm on the extract's own StoppedEarly metric.
 *
 * A scheduled run's id is derived from the scheduled time, which survives the Scheduler's retries (the execution
 * id does not): a retried run gets the same run id and rewrites the same keys.
 */
import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import type { PolicyStatement } from './iam';
import { ServiceRole } from './iam';
import { NodeLambda, NO_KEY_REASON, type NodeLambdaCommonProps } from './node-lambda';
import { skipCheck } from './checkov';

/** Powertools metrics of the extract (EMF): namespace, and the service dimension it adds to each metric. */
export const METRICS_NAMESPACE = 'SpotifyPipeline';
export const EXTRACT_SERVICE = 'spotify-extract';

export interface ExtractSchedule {
  /** Construct id and name suffix, e.g. "weekly" -> <prefix>-weekly-extract. */
  id: string;
  description: string;
  /** EventBridge Scheduler expression, e.g. cron(0 6 ? * MON *). */
  expression: string;
  /** Extra fields of the event the schedule sends (e.g. what to extract); `id` and `scheduledTime` are always set. */
  input?: Record<string, unknown>;
}

export interface ExtractFunctionProps {
  /** Runtime, account, logs, key, failure queue and alarm topic, shared by the pipeline's Lambdas. */
  common: NodeLambdaCommonProps;
  prefix: string;
  environmentName: string;
  functionName: string;
  bundleDir: string;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
  statements: PolicyStatement[];
  schedules: ExtractSchedule[];
}

export class ExtractFunction extends Construct {
  readonly lambda: NodeLambda;
  readonly schedulerRole: ServiceRole;
  readonly schedules: SchedulerSchedule[];
  readonly stoppedEarlyAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: ExtractFunctionProps) {
    super(scope, id);
    const { prefix, common } = props;
    this.lambda = new NodeLambda(this, 'extract', {
      ...common,
      functionName: props.functionName,
      description: 'Extracts playlists and top items from the Spotify Web API into raw/ (manifest last).',
      bundleDir: props.bundleDir,
      memoryMb: props.memoryMb,
      timeoutSeconds: props.timeoutSeconds,
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: EXTRACT_SERVICE, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE },
      statements: props.statements,
    });

    // A run that stopped early (quota 429, time budget) still succeeds; it is worth a look all the same.
    this.stoppedEarlyAlarm = new CloudwatchMetricAlarm(this, 'stopped-early', {
      alarmName: `${props.functionName}-stopped-early`,
      alarmDescription: 'The extract stopped before finishing (quota or time budget); the manifest says why. The next run catches up.',
      namespace: METRICS_NAMESPACE,
      metricName: 'StoppedEarly',
      dimensions: { service: EXTRACT_SERVICE, environment: props.environmentName },
      statistic: 'Maximum',
      period: 3600,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [common.alarmTopicArn],
    });

    this.schedulerRole = new ServiceRole(this, 'scheduler-role', {
      name: `${prefix}-scheduler`,
      service: 'scheduler.amazonaws.com',
      accountId: common.accountId,
      description: 'Lets the weekly schedule invoke the extract Lambda and dead-letter what it cannot deliver.',
      statements: [
        { Sid: 'InvokeExtract', Action: ['lambda:InvokeFunction'], Resource: [this.lambda.function.arn] },
        { Sid: 'DeadLetter', Action: ['sqs:SendMessage'], Resource: [common.failureQueueArn] },
        ...(common.kmsKeyArn
          ? [
              // The schedules' input is encrypted with the pipeline key; the Scheduler decrypts it with this role.
              { Sid: 'ScheduleInputKey', Action: ['kms:Decrypt'], Resource: [common.kmsKeyArn] },
              // Dead letters go to the queue encrypted with the same key: through SQS only.
              {
                Sid: 'DeadLetterKey',
                Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
                Resource: [common.kmsKeyArn],
                Condition: { StringEquals: { 'kms:ViaService': `sqs.${common.region}.amazonaws.com` } },
              },
            ]
          : []),
      ],
    });
    this.schedules = props.schedules.map(
      (schedule) =>
        new SchedulerSchedule(this, schedule.id, {
          name: `${prefix}-${schedule.id}-extract`,
          description: schedule.description,
          scheduleExpression: schedule.expression,
          scheduleExpressionTimezone: 'UTC',
          kmsKeyArn: common.kmsKeyArn,
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
            deadLetterConfig: { arn: common.failureQueueArn },
          },
        }),
    );
    if (!common.kmsKeyArn) {
      for (const schedule of this.schedules) skipCheck(schedule, 'CKV_AWS_297', NO_KEY_REASON);
    }
  }
}
