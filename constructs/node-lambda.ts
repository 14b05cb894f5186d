/**
 * A bundled Node.js Lambda with what it always needs around it: its role (least privilege: its own log
 * group plus the statements the caller passes), a KMS-encrypted log group with retention, async-invoke
 * failure destination, and an alarm on errors.
 */
import { Construct } from 'constructs';
import { TerraformAsset, AssetType } from 'cdktf';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config';
import { ServiceRole, type PolicyStatement } from './iam';
import { skipCheck } from './checkov';
import { requireAlerts, type PipelineContext } from './context';
import { LAMBDA_RUNTIME } from '../handlers/build';

export interface NodeLambdaProps {
  /** Account, region, log retention, key and alerts of the stack; `alerts` is required here. Required. */
  context: PipelineContext;
  /** The function's name; its role and log group (/aws/lambda/<name>) are named after it. Required. */
  functionName: string;
  /** What the function does, as shown in the console. Required. */
  description: string;
  /** Folder holding the esbuild output (index.js + map), from handlers/build.ts. Required. */
  bundleDir: string;
  /** Node.js runtime. Default: LAMBDA_RUNTIME of handlers/build.ts (what the bundles are built for). */
  runtime?: string;
  /** Memory in MB. Required. */
  memoryMb: number;
  /** Timeout in seconds. Required. */
  timeoutSeconds: number;
  /** The function's environment variables (NODE_OPTIONS for source maps is added). Required. */
  environment: Record<string, string>;
  /** What the function may do beyond writing its own logs, dead-lettering and tracing. Required. */
  statements: PolicyStatement[];
}

/** Why log groups keep aws.logRetentionDays rather than a year (checkov CKV_AWS_338). */
export const LOG_RETENTION_REASON =
  'Retention is configuration (aws.logRetentionDays: dev 14, prod 90 days): operational logs of a weekly batch, ' +
  'not audit records; a year of them is cost without use.';

/** Why a resource uses AWS-managed rather than customer-managed encryption when aws.customerManagedKey is off. */
export const NO_KEY_REASON =
  'aws.customerManagedKey is off for this environment (docs/costs.md): encrypted at rest with the AWS-managed key ' +
  'instead of the pipeline key, by the configuration owner\'s choice.';

/** A log group kept for the context's retention, encrypted with its key when there is one. */
export function retainedLogGroup(scope: Construct, id: string, name: string, context: PipelineContext): CloudwatchLogGroup {
  const group = new CloudwatchLogGroup(scope, id, { name, retentionInDays: context.logRetentionDays, kmsKeyId: context.kmsKeyArn });
  skipCheck(group, 'CKV_AWS_338', LOG_RETENTION_REASON);
  if (!context.kmsKeyArn) skipCheck(group, 'CKV_AWS_158', NO_KEY_REASON);
  return group;
}

/** The checkov checks every pipeline Lambda does not meet, each with the reason. */
function explainFunctionChecks(fn: LambdaFunction, kmsKeyArn: string | undefined): void {
  skipCheck(
    fn,
    'CKV_AWS_115',
    'No reserved concurrency: new accounts (concurrency quota 10) refuse any reservation, and exactly-once per run ' +
      'comes from the S3 claims (handlers/shared/run-claim.ts), not from serialising invocations.',
  );
  skipCheck(
    fn,
    'CKV_AWS_116',
    'Failed async invocations go to an on-failure destination (the failures queue), which carries the error too; ' +
      'a DLQ as well would deliver each failure twice.',
  );
  skipCheck(
    fn,
    'CKV_AWS_117',
    "Calls Spotify's public API and AWS endpoints only; a VPC would add a NAT gateway (cost, one more failure " +
      'point) and protect nothing private.',
  );
  skipCheck(
    fn,
    'CKV_AWS_272',
    'Code signing needs an AWS Signer profile and a signing step; the bundle is built from this repository by the ' +
      'reviewed workflow and deployed by Terraform with its source hash.',
  );
  if (!kmsKeyArn) skipCheck(fn, 'CKV_AWS_173', NO_KEY_REASON);
}

export class NodeLambda extends Construct {
  readonly function: LambdaFunction;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly asset: TerraformAsset;
  readonly errorsAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: NodeLambdaProps) {
    super(scope, id);
    const { accountId, region, kmsKeyArn } = props.context;
    const alerts = requireAlerts(props.context, `the ${props.functionName} Lambda`);
    const logGroupName = `/aws/lambda/${props.functionName}`;
    this.logGroup = retainedLogGroup(this, 'logs', logGroupName, props.context);
    const logGroupArn = `arn:aws:logs:${region}:${accountId}:log-group:${logGroupName}`;
    this.role = new ServiceRole(this, 'role', {
      name: props.functionName,
      service: 'lambda.amazonaws.com',
      accountId: accountId,
      description: `Execution role of the ${props.functionName} Lambda`,
      statements: [
        // The log group exists (above), so the function never needs logs:CreateLogGroup.
        { Sid: 'WriteOwnLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`${logGroupArn}:*`] },
        // Async invocations (schedule, S3 events) that still fail after retries go to the failure queue.
        { Sid: 'SendFailedEvents', Action: ['sqs:SendMessage'], Resource: [alerts.failureQueueArn] },
        // With the pipeline key the queue is encrypted with it; the grant holds only through SQS, so it does not
        // open the key's other data (the Spotify secret) to the function.
        ...(kmsKeyArn
          ? [
              {
                Sid: 'EncryptFailedEvents',
                Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
                Resource: [kmsKeyArn],
                Condition: { StringEquals: { 'kms:ViaService': `sqs.${region}.amazonaws.com` } },
              },
            ]
          : []),
        {
          // X-Ray has no resource-level permissions for sending traces.
          Sid: 'SendTraces',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: ['*'],
        },
        ...props.statements,
      ],
      allowStarResource: ['SendTraces'],
    });
    // The zip is made from the folder when the asset is constructed; assetHash changes only with the code.
    this.asset = new TerraformAsset(this, 'bundle', { path: props.bundleDir, type: AssetType.ARCHIVE });
    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      description: props.description,
      role: this.role.role.arn,
      runtime: props.runtime ?? LAMBDA_RUNTIME,
      handler: 'index.handler',
      architectures: ['arm64'],
      filename: this.asset.path,
      sourceCodeHash: this.asset.assetHash,
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      environment: { variables: { NODE_OPTIONS: '--enable-source-maps', ...props.environment } },
      kmsKeyArn,
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      dependsOn: [this.logGroup, this.role.policy],
    });
    explainFunctionChecks(this.function, kmsKeyArn);
    new LambdaFunctionEventInvokeConfig(this, 'async', {
      functionName: this.function.functionName,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 6 * 3600,
      destinationConfig: { onFailure: { destination: alerts.failureQueueArn } },
    });
    this.errorsAlarm = new CloudwatchMetricAlarm(this, 'errors', {
      alarmName: `${props.functionName}-errors`,
      alarmDescription: `${props.functionName} failed; see ${logGroupName}.`,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: props.functionName },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [alerts.topicArn],
    });
  }
}
