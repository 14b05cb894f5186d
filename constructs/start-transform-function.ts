/**
 * The start-transform Lambda: invoked by the S3 event of a raw/ run manifest (the notification itself lives in
 * the warehouse stack, see docs/architecture.md), it starts the Glue job once for that run. This construct holds
 * the function and S3's permission to invoke it, limited to the pipeline bucket in this account.
 */
import { Construct } from 'constructs';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { bucketArn, type PolicyStatement } from './iam';
import { NodeLambda, type NodeLambdaCommonProps } from './node-lambda';

export interface StartTransformFunctionProps {
  /** Runtime, account, logs, key, failure queue and alarm topic, shared by the pipeline's Lambdas. */
  common: NodeLambdaCommonProps;
  functionName: string;
  bundleDir: string;
  /** The configured bucket name (the S3 permission's source ARN). */
  bucketName: string;
  environment: Record<string, string>;
  statements: PolicyStatement[];
}

export class StartTransformFunction extends Construct {
  readonly lambda: NodeLambda;

  constructor(scope: Construct, id: string, props: StartTransformFunctionProps) {
    super(scope, id);
    this.lambda = new NodeLambda(this, 'start-transform', {
      ...props.common,
      functionName: props.functionName,
      description: 'Starts the Glue transform for a run when its raw/ manifest lands.',
      bundleDir: props.bundleDir,
      memoryMb: 256,
      timeoutSeconds: 60,
      environment: props.environment,
      statements: props.statements,
    });
    new LambdaPermission(this, 'from-s3', {
      statementId: 'AllowRawManifestEvents',
      action: 'lambda:InvokeFunction',
      functionName: this.lambda.function.functionName,
      principal: 's3.amazonaws.com',
      sourceArn: bucketArn(props.bucketName),
      sourceAccount: props.common.accountId,
    });
  }
}
