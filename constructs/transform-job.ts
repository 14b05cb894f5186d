/**
 * The Glue transform: the job (script, package and the schema files tables.json and raw-documents.json uploaded
 * from the repository as content-hashed assets), its role, its security configuration and log groups, and the
 * EventBridge rule that sends job (and crawler) failures to the alarm topic. The crawler that follows a successful
 * run is its own construct (ProcessedCrawler); its name is passed in so the failure rule covers it too.
 */
import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { GlueJob } from '@cdktf/provider-aws/lib/glue-job';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { bucketArn, objectsArn, ServiceRole, type PolicyStatement } from './iam';
import type { PipelineConfig } from '../config/pipeline-config';
import { requireAlerts, type PipelineBucket, type PipelineContext } from './context';
import { skipCheck } from './checkov';
import { retainedLogGroup } from './node-lambda';

const ROOT = resolve(__dirname, '..');

/** Files of the Glue job, relative to the repository root. */
export const GLUE_SOURCES = {
  script: 'glue/transform_job.py',
  package: 'glue/spotify_transform',
  schemas: 'schemas/tables.json',
  /** The raw layer's declaration (bucket layout, run ids, manifest, document kinds), read by the job at run time. */
  rawDocuments: 'schemas/raw-documents.json',
} as const;

function requireSource(relative: string): string {
  const path = join(ROOT, relative);
  if (!existsSync(path)) {
    throw new Error(`${relative} is missing: the compute stack uploads it to S3 for the Glue job. Restore it from git.`);
  }
  return path;
}

/** Staging folders of this process, removed when it exits (cdktf zips them during synth, after the constructor). */
const stagingFolders: string[] = [];

/**
 * Glue imports the --extra-py-files zip from its root, so the zip must hold spotify_transform/ itself,
 * not its contents: stage the package in a fresh temporary folder (parallel synths never share it) and zip that.
 */
export function stageGluePackage(packageDir: string = requireSource(GLUE_SOURCES.package)): string {
  const staging = mkdtempSync(join(tmpdir(), 'glue-package-'));
  if (stagingFolders.push(staging) === 1) {
    process.once('exit', () => stagingFolders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));
  }
  cpSync(packageDir, join(staging, 'spotify_transform'), {
    recursive: true,
    // Judged on the path inside the package: the folders the repository was cloned into do not decide what ships.
    filter: (source) => !/(^|[/\\])(__pycache__|tests?)([/\\]|$)|\.pyc$/.test(relative(packageDir, source)),
  });
  return staging;
}

/** EventBridge pattern of a failed job run (and a failed crawl, when there is a crawler). */
export function glueFailurePattern(jobName: string, crawlerName?: string): Record<string, unknown> {
  const job = { 'detail-type': ['Glue Job State Change'], detail: { jobName: [jobName], state: ['FAILED', 'TIMEOUT', 'ERROR'] } };
  if (!crawlerName) return { source: ['aws.glue'], ...job };
  return {
    source: ['aws.glue'],
    'detail-type': ['Glue Job State Change', 'Glue Crawler State Change'],
    $or: [job, { 'detail-type': ['Glue Crawler State Change'], detail: { crawlerName: [crawlerName], state: ['Failed'] } }],
  };
}

export interface TransformJobProps {
  /** Account, region, prefix, key, log retention and alerts of the stack; `alerts` is required here. Required. */
  context: PipelineContext;
  /** The pipeline bucket: the job reads raw/, writes processed/, rejects/ and glue-temp/; its files go under artifacts/glue/. Required. */
  bucket: PipelineBucket;
  /** The job's name. Required. */
  jobName: string;
  /** The crawler that follows the job, if there is one: its failures go to the same rule. Default: none. */
  crawlerName?: string;
  /** Glue version, worker type and count, and timeout in minutes (the configuration's glue section). Required. */
  glue: Pick<PipelineConfig['glue'], 'glueVersion' | 'workerType' | 'numberOfWorkers' | 'timeoutMinutes'>;
}

export class TransformJob extends Construct {
  readonly job: GlueJob;
  readonly role: ServiceRole;
  readonly securityConfiguration: GlueSecurityConfiguration;
  readonly failedRule: CloudwatchEventRule;
  /** The job's log groups are <prefix>/error and <prefix>/output. */
  readonly logGroupPrefix: string;

  constructor(scope: Construct, id: string, props: TransformJobProps) {
    super(scope, id);
    const { context, bucket, jobName, glue } = props;
    const { prefixes } = bucket;
    const files = this.uploadJobFiles(bucket);

    // Glue 5 writes driver/executor logs to <prefix>/error and print()/stdout to <prefix>/output, where the prefix is
    // --custom-logGroup-prefix (default /aws-glue/jobs, shared by every job of the region). Glue 4's
    // --enable-continuous-cloudwatch-log / --continuous-log-logGroup do not apply. Both groups are created here,
    // with retention (and the pipeline key when there is one), so Glue writes into them and never creates its own.
    this.logGroupPrefix = `/aws-glue/jobs/${jobName}`;
    const logs = LOG_STREAMS.map((stream) => retainedLogGroup(this, `logs-${stream}`, `${this.logGroupPrefix}/${stream}`, context));
    this.role = new ServiceRole(this, 'glue-role', {
      name: `${context.prefix}-glue-transform`,
      service: 'glue.amazonaws.com',
      accountId: context.accountId,
      description: 'The transform job: reads raw/, writes processed/ and rejects/. Never writes raw/.',
      allowStarResource: ['GlueMetrics'],
      statements: transformStatements(context, bucket, this.logGroupPrefix),
    });
    this.securityConfiguration = glueSecurityConfiguration(this, context.prefix);
    this.job = new GlueJob(this, 'transform', {
      securityConfiguration: this.securityConfiguration.name,
      name: jobName,
      description: 'raw/ run -> processed/ Parquet tables (+ rejects/). Driven by --RAW_RUN_PREFIX and --RUN_ID.',
      roleArn: this.role.role.arn,
      glueVersion: glue.glueVersion,
      workerType: glue.workerType,
      numberOfWorkers: glue.numberOfWorkers,
      timeout: glue.timeoutMinutes,
      maxRetries: 0,
      // One run at a time; further runs wait in Glue's queue instead of failing with ConcurrentRunsExceeded.
      executionProperty: { maxConcurrentRuns: 1 },
      jobRunQueuingEnabled: true,
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: files.script },
      defaultArguments: {
        '--PROCESSED_PREFIX': `s3://${bucket.name}/${prefixes.processed}`,
        '--REJECTS_PREFIX': `s3://${bucket.name}/${prefixes.rejects}`,
        '--extra-py-files': files.package,
        // Lands tables.json and raw-documents.json in the job's working directory, where spotify_transform looks for them.
        '--extra-files': [files.schemas, files.rawDocuments].join(','),
        '--TempDir': `s3://${bucket.name}/${prefixes.glueTemp}`,
        // Each run is named by --RAW_RUN_PREFIX/--RUN_ID and a re-run (a new attempt, named by Glue's job run id)
        // must replace what the earlier attempt said, which bookmarks would skip as "already processed".
        '--job-bookmark-option': 'job-bookmark-disable',
        // No --enable-metrics / --enable-observability-metrics: no alarm reads Glue's job metrics (a failed run
        // alarms through its state change, failedRule), and each is billed as a custom metric for every hour it is
        // reported: with the daily plays batch that was ~$0.60 a month (docs/costs.md).
        '--custom-logGroup-prefix': this.logGroupPrefix,
        '--enable-job-insights': 'true',
      },
      dependsOn: [...logs, this.role.policy],
    });
    this.failedRule = this.alertOnFailure(context, jobName, props.crawlerName);
  }

  /** Uploads the script, the package and the schema files as content-hashed objects; gives their s3:// URLs. */
  private uploadJobFiles(bucket: PipelineBucket): Record<keyof typeof GLUE_SOURCES, string> {
    // The content hash in the key makes each version a new object the job points at; old ones expire by lifecycle.
    const upload = (assetId: string, asset: TerraformAsset, fileName: string) => {
      const object = new S3Object(this, `${assetId}-object`, {
        bucket: bucket.ref,
        key: `${bucket.prefixes.artifacts}glue/${asset.assetHash}/${fileName}`,
        source: asset.path,
        sourceHash: asset.assetHash,
      });
      return `s3://${bucket.name}/${object.key}`;
    };
    const file = (assetId: string, relative: string) => new TerraformAsset(this, assetId, { path: requireSource(relative), type: AssetType.FILE });
    return {
      script: upload('glue-script', file('glue-script', GLUE_SOURCES.script), 'transform_job.py'),
      package: upload('glue-package', new TerraformAsset(this, 'glue-package', { path: stageGluePackage(), type: AssetType.ARCHIVE }), 'spotify_transform.zip'),
      schemas: upload('glue-schemas', file('glue-schemas', GLUE_SOURCES.schemas), 'tables.json'),
      rawDocuments: upload('glue-raw-documents', file('glue-raw-documents', GLUE_SOURCES.rawDocuments), 'raw-documents.json'),
    };
  }

  /** Job (and crawler) failures -> the alarm topic, dead letters to the failures queue. */
  private alertOnFailure(context: PipelineContext, jobName: string, crawlerName?: string): CloudwatchEventRule {
    const alerts = requireAlerts(context, 'the transform job');
    const rule = new CloudwatchEventRule(this, 'glue-failed', {
      name: `${context.prefix}-glue-failed`,
      description: 'The transform job or the crawler failed.',
      eventPattern: JSON.stringify(glueFailurePattern(jobName, crawlerName)),
    });
    new CloudwatchEventTarget(this, 'glue-failed-to-topic', { rule: rule.name, arn: alerts.topicArn, deadLetterConfig: { arn: alerts.failureQueueArn } });
    alerts.allowEventRule('GlueFailureRule', rule.arn);
    return rule;
  }
}

const LOG_STREAMS = ['error', 'output'] as const;

/** What the job may do: read raw/ and its own files, write processed/, rejects/ and glue-temp/, its logs and metrics. */
function transformStatements(context: PipelineContext, bucket: PipelineBucket, logGroupPrefix: string): PolicyStatement[] {
  const { raw, processed, rejects, glueTemp, artifacts, imports } = bucket.prefixes;
  const { region, accountId } = context;
  return [
    // raw/ (extract runs) and imports/ (exports uploaded by `pipeline import`): the job reads both, writes neither.
    { Sid: 'ReadRaw', Action: ['s3:GetObject'], Resource: [raw, imports].map((prefix) => objectsArn(bucket.name, `${prefix}*`)) },
    { Sid: 'ReadJobArtifacts', Action: ['s3:GetObject'], Resource: [objectsArn(bucket.name, `${artifacts}glue/*`)] },
    {
      // Each attempt writes its own keys and deletes only its own files after a failure; once committed it
      // tags the older attempts of its run for the lifecycle rule (PutObjectTagging). Spark writes large files in
      // parts and aborts the upload of a failed task (AbortMultipartUpload), so no orphaned parts pile up.
      Sid: 'WriteProcessedAndRejects',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
      Resource: [processed, rejects, glueTemp].map((prefix) => objectsArn(bucket.name, `${prefix}*`)),
    },
    {
      Sid: 'ListOwnPrefixes',
      Action: ['s3:ListBucket'],
      Resource: [bucketArn(bucket.name)],
      Condition: { StringLike: { 's3:prefix': [raw, imports, processed, rejects, glueTemp].map((p) => `${p}*`) } },
    },
    {
      Sid: 'WriteJobLogs',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: LOG_STREAMS.map((stream) => `arn:aws:logs:${region}:${accountId}:log-group:${logGroupPrefix}/${stream}:*`),
    },
    {
      // PutMetricData has no resource-level permissions; the namespace condition is the narrowing.
      Sid: 'GlueMetrics',
      Action: ['cloudwatch:PutMetricData'],
      Resource: ['*'],
      Condition: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
    },
  ];
}

/**
 * What Glue writes to S3 is encrypted (SSE-S3, like the bucket default). CloudWatch encryption stays with the log
 * groups themselves (pipeline key, when there is one): Glue's own SSE-KMS mode would move the logs to groups named
 * after the configuration. Bookmarks are off, so there is nothing to encrypt there.
 */
function glueSecurityConfiguration(scope: Construct, prefix: string): GlueSecurityConfiguration {
  const configuration = new GlueSecurityConfiguration(scope, 'glue-security', {
    name: `${prefix}-glue`,
    encryptionConfiguration: {
      s3Encryption: { s3EncryptionMode: 'SSE-S3' },
      cloudwatchEncryption: { cloudwatchEncryptionMode: 'DISABLED' },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'DISABLED' },
    },
  });
  skipCheck(
    configuration,
    'CKV_AWS_99',
    "Glue's S3 output is encrypted (SSE-S3); the job's log groups are encrypted by CloudWatch itself (with the " +
      "pipeline key when there is one) instead of Glue's mode, and bookmarks are disabled (runs go by run id).",
  );
  return configuration;
}
