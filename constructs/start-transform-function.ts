/**
 * The start-transform Lambda: invoked by the S3 event of a raw/ run manifest (the notification itself lives in
 * the warehouse stack, see docs/architecture.md), it starts the Glue job once for that run. This construct holds
 * the function with its environment and grants (start the job, claim the run under claims/transform/, and with a
 * plays batch list the raw/ run folders), and S3's permission to invoke it, limited to the pipeline bucket in this
 * account.
 */
import { Construct } from 'constructs';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { METRICS_NAMESPACE, START_TRANSFORM_ENV, START_TRANSFORM_SERVICE } from '../handlers/shared/runtime-contract';
import { bucketArn, objectsArn, type PolicyStatement } from './iam';
import { NodeLambda } from './node-lambda';
import type { PipelineBucket, PipelineContext } from './context';

export interface StartTransformFunctionProps {
  /** Account, region, key, log retention and alerts of the stack; `alerts` is required here. Required. */
  context: PipelineContext;
  /** The function's name. Required. */
  functionName: string;
  /** Folder holding the esbuild output of handlers/start-transform (handlers/build.ts). Required. */
  bundleDir: string;
  /** The pipeline bucket: its manifest events invoke the function, and run claims live under claims/transform/. Required. */
  bucket: PipelineBucket;
  /** Name of the Glue job the function starts. Required. */
  glueJobName: string;
  /**
   * Start plays runs as one job run a day over this many days back (when plays are polled hourly) instead of one
   * job run per manifest. Default: none, every manifest starts its own job run.
   */
  playsBatchDays?: number;
}

export class StartTransformFunction extends Construct {
  readonly lambda: NodeLambda;

  constructor(scope: Construct, id: string, props: StartTransformFunctionProps) {
    super(scope, id);
    const { context, bucket, playsBatchDays } = props;
    const { raw, claims } = bucket.prefixes;
    const statements: PolicyStatement[] = [
      {
        Sid: 'StartTransform',
        Action: ['glue:StartJobRun', 'glue:GetJobRuns'],
        Resource: [`arn:aws:glue:${context.region}:${context.accountId}:job/${props.glueJobName}`],
      },
      { Sid: 'ClaimRuns', Action: ['s3:PutObject', 's3:GetObject'], Resource: [objectsArn(bucket.name, `${claims}transform/*`)] },
    ];
    // The daily plays batch lists the manifests of the last days' plays runs (keys only; it reads no object).
    if (playsBatchDays !== undefined) {
      statements.push({ Sid: 'ListRawRuns', Action: ['s3:ListBucket'], Resource: [bucketArn(bucket.name)], Condition: { StringLike: { 's3:prefix': [`${raw}extract_date=*`] } } });
    }
    this.lambda = new NodeLambda(this, 'start-transform', {
      context,
      functionName: props.functionName,
      description: 'Starts the Glue transform for a run when its raw/ manifest lands.',
      bundleDir: props.bundleDir,
      memoryMb: 256,
      timeoutSeconds: 60,
      // No reserved concurrency: the run id is claimed in S3 (claims/transform/) before the job is started.
      environment: {
        [START_TRANSFORM_ENV.glueJobName]: props.glueJobName,
        [START_TRANSFORM_ENV.bucket]: bucket.ref,
        [START_TRANSFORM_ENV.serviceName]: START_TRANSFORM_SERVICE,
        [START_TRANSFORM_ENV.metricsNamespace]: METRICS_NAMESPACE,
        ...(playsBatchDays !== undefined ? { [START_TRANSFORM_ENV.playsBatchDays]: String(playsBatchDays) } : {}),
      },
      statements,
    });
    new LambdaPermission(this, 'from-s3', {
      statementId: 'AllowRawManifestEvents',
      action: 'lambda:InvokeFunction',
      functionName: this.lambda.function.functionName,
      principal: 's3.amazonaws.com',
      sourceArn: bucketArn(bucket.name),
      sourceAccount: context.accountId,
    });
  }
}
