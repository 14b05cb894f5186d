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

/** What every Lambda of the pipeline shares: runtime, account, logs, key, failure destination, alarm topic. */
export interface NodeLambdaCommonProps {
  runtime: string;
  accountId: string;
  region: string;
  logRetentionDays: number;
  /** The pipeline's customer-managed key (logs, environment, failures queue), or none: AWS-managed encryption. */
  kmsKeyArn?: string;
  /** SQS queue receiving events whose async invocation failed after retries. */
  failureQueueArn: string;
  alarmTopicArn: string;
}

export interface NodeLambdaProps extends NodeLambdaCommonProps {
  functionName: string;
  description: string;
  /** Folder holding the esbuild output (index.js + map), from handlers/build.ts. */
  bundleDir: string;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
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

export class NodeLambda extends Construct {
  readonly function: LambdaFunction;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly asset: TerraformAsset;
  readonly errorsAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: NodeLambdaProps) {
    super(scope, id);
    const logGroupName = `/aws/lambda/${props.functionName}`;
    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: logGroupName,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });
    skipCheck(this.logGroup, 'CKV_AWS_338', LOG_RETENTION_REASON);
    if (!props.kmsKeyArn) skipCheck(this.logGroup, 'CKV_AWS_158', NO_KEY_REASON);
    const logGroupArn = `arn:aws:logs:${props.region}:${props.accountId}:log-group:${logGroupName}`;
    this.role = new ServiceRole(this, 'role', {
      name: props.functionName,
      service: 'lambda.amazonaws.com',
      accountId: props.accountId,
      description: `Execution role of the ${props.functionName} Lambda`,
      statements: [
        // The log group exists (above), so the function never needs logs:CreateLogGroup.
        { Sid: 'WriteOwnLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`${logGroupArn}:*`] },
        // Async invocations (schedule, S3 events) that still fail after retries go to the failure queue.
        { Sid: 'SendFailedEvents', Action: ['sqs:SendMessage'], Resource: [props.failureQueueArn] },
        // With the pipeline key the queue is encrypted with it; the grant holds only through SQS, so it does not
        // open the key's other data (the Spotify secret) to the function.
        ...(props.kmsKeyArn
          ? [
              {
                Sid: 'EncryptFailedEvents',
                Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
                Resource: [props.kmsKeyArn],
                Condition: { StringEquals: { 'kms:ViaService': `sqs.${props.region}.amazonaws.com` } },
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
      runtime: props.runtime,
      handler: 'index.handler',
      architectures: ['arm64'],
      filename: this.asset.path,
      sourceCodeHash: this.asset.assetHash,
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      environment: { variables: { NODE_OPTIONS: '--enable-source-maps', ...props.environment } },
      kmsKeyArn: props.kmsKeyArn,
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      dependsOn: [this.logGroup, this.role.policy],
    });
    skipCheck(
      this.function,
      'CKV_AWS_115',
      'No reserved concurrency: new accounts (concurrency quota 10) refuse any reservation, and exactly-once per run ' +
        'comes from the S3 claims (handlers/shared/run-claim.ts), not from serialising invocations.',
    );
    skipCheck(
      this.function,
      'CKV_AWS_116',
      'Failed async invocations go to an on-failure destination (the failures queue), which carries the error too; ' +
        'a DLQ as well would deliver each failure twice.',
    );
    skipCheck(
      this.function,
      'CKV_AWS_117',
      "Calls Spotify's public API and AWS endpoints only; a VPC would add a NAT gateway (cost, one more failure " +
        'point) and protect nothing private.',
    );
    skipCheck(
      this.function,
      'CKV_AWS_272',
      'Code signing needs an AWS Signer profile and a signing step; the bundle is built from this repository by the ' +
        'reviewed workflow and deployed by Terraform with its source hash.',
    );
    if (!props.kmsKeyArn) skipCheck(this.function, 'CKV_AWS_173', NO_KEY_REASON);
    new LambdaFunctionEventInvokeConfig(this, 'async', {
      functionName: this.function.functionName,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 6 * 3600,
      destinationConfig: { onFailure: { destination: props.failureQueueArn } },
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
      alarmActions: [props.alarmTopicArn],
    });
  }
}
