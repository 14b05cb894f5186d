/**
 * What every construct of a stack shares, built once per stack (stacks/common.ts) and passed as one `context` prop:
 * where it is deployed (account, region, environment), how its resources are named, the key its data at rest is
 * encrypted with, how long logs are kept, and where failures and alarms go. And the one bucket, as constructs that
 * read or write it see it.
 */
import type { ResourceNames } from '../config/pipeline-config';
import type { BUCKET_PREFIXES } from '../schemas/raw-documents';

/** Where failures and alarms go (constructs/pipeline-alerts.ts implements it). */
export interface AlertTargets {
  /** ARN of the SNS alarm topic every alarm publishes to. Required. */
  readonly topicArn: string;
  /** ARN of the SQS queue holding events whose delivery failed after retries (on-failure destinations, dead letters). Required. */
  readonly failureQueueArn: string;
  /** Lets an EventBridge rule publish to the topic and dead-letter to the queue (`sid` names the rule in the policies). */
  allowEventRule(sid: string, ruleArn: string): void;
}

export interface PipelineContext {
  /** The environment's name (dev, prod): a metric dimension and part of descriptions. Required. */
  readonly environmentName: string;
  /** The 12-digit AWS account id: predictable ARNs and the confused-deputy conditions of trust policies. Required. */
  readonly accountId: string;
  /** The AWS region of the stack (ARNs, `kms:ViaService` conditions). Required. */
  readonly region: string;
  /** Resource-name prefix, `<project>-<environment>` (e.g. spotify-pipeline-dev). Required. */
  readonly prefix: string;
  /**
   * The environment's resource names (config/pipeline-config.ts resourceNames: the names configuration validation
   * holds to AWS's and Snowflake's length limits). Constructs name what they create from these. Required.
   */
  readonly names: ResourceNames;
  /** Days every log group keeps its events (aws.logRetentionDays). Required. */
  readonly logRetentionDays: number;
  /** The pipeline's customer-managed KMS key (logs, secrets, queue, topic, schedules). Default: none, AWS-managed encryption. */
  readonly kmsKeyArn?: string;
  /** Where failures and alarms go. Default: none; constructs that alarm or dead-letter require it (requireAlerts). */
  readonly alerts?: AlertTargets;
}

/** The alert targets of a context; constructs that alarm or dead-letter cannot be built without them. */
export function requireAlerts(context: PipelineContext, who: string): AlertTargets {
  if (!context.alerts) throw new Error(`${who} sends failures and alarms to the pipeline's alerts: build its context with alerts`);
  return context.alerts;
}

export type BucketPrefixes = typeof BUCKET_PREFIXES;

/** The pipeline bucket as the constructs that use it see it. */
export interface PipelineBucket {
  /** The configured bucket name: IAM policies, ARNs and S3 URLs use it, so the plan shows them readable. Required. */
  readonly name: string;
  /**
   * The same name by reference to the storage stack's bucket: what must exist first (uploads, a Lambda's
   * environment) uses it, which makes cdktf deploy the storage stack first. Required.
   */
  readonly ref: string;
  /** Key prefixes of the bucket (schemas/raw-documents.json); every IAM policy is narrowed to these. Required. */
  readonly prefixes: BucketPrefixes;
}
