/**
 * The Glue transform: the job (script, package and schemas uploaded from the repository as content-hashed
 * assets), its role, its security configuration and log group, and the EventBridge rule that sends job (and
 * crawler) failures to the alarm topic. The crawler that follows a successful run is its own construct
 * (ProcessedCrawler) and is passed in so the failure rule covers it too.
 */
import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { GlueJob } from '@cdktf/provider-aws/lib/glue-job';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { bucketArn, objectsArn, ServiceRole } from './iam';
import type { PipelineAlerts } from './pipeline-alerts';
import { skipCheck } from './checkov';
import { LOG_RETENTION_REASON, NO_KEY_REASON } from './node-lambda';

const ROOT = resolve(__dirname, '..');

/** Files of the Glue job, relative to the repository root. */
export const GLUE_SOURCES = {
  script: 'glue/transform_job.py',
  package: 'glue/spotify_transform',
  schemas: 'schemas/tables.json',
} as const;

/** Key prefixes of the bucket the job reads and writes (the storage stack's PREFIXES). */
export interface TransformPrefixes {
  raw: string;
  processed: string;
  rejects: string;
  artifacts: string;
  glueTemp: string;
}

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
function stageGluePackage(): string {
  const staging = mkdtempSync(join(tmpdir(), 'glue-package-'));
  if (stagingFolders.push(staging) === 1) {
    process.once('exit', () => stagingFolders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));
  }
  cpSync(requireSource(GLUE_SOURCES.package), join(staging, 'spotify_transform'), {
    recursive: true,
    filter: (source) => !/(__pycache__|\.pyc$|[/\\]tests?([/\\]|$))/.test(source),
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
  prefix: string;
  jobName: string;
  /** The crawler that follows the job, if there is one: its failures go to the same rule. */
  crawlerName?: string;
  accountId: string;
  region: string;
  /** The configured bucket name (IAM policies and job arguments). */
  bucketName: string;
  /** The storage stack's bucket, by reference: the uploads make cdktf deploy storage first. */
  bucketRef: string;
  prefixes: TransformPrefixes;
  glueVersion: string;
  workerType: string;
  numberOfWorkers: number;
  timeoutMinutes: number;
  logRetentionDays: number;
  kmsKeyArn?: string;
  alerts: PipelineAlerts;
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
    const { accountId, region, bucketName: bucket, prefixes, jobName } = props;

    const script = new TerraformAsset(this, 'glue-script', { path: requireSource(GLUE_SOURCES.script), type: AssetType.FILE });
    const pkg = new TerraformAsset(this, 'glue-package', { path: stageGluePackage(), type: AssetType.ARCHIVE });
    const schemas = new TerraformAsset(this, 'glue-schemas', { path: requireSource(GLUE_SOURCES.schemas), type: AssetType.FILE });
    // The content hash in the key makes each version a new object the job points at; old ones expire by lifecycle.
    const upload = (uploadId: string, asset: TerraformAsset, fileName: string) =>
      new S3Object(this, uploadId, {
        bucket: props.bucketRef,
        key: `${prefixes.artifacts}glue/${asset.assetHash}/${fileName}`,
        source: asset.path,
        sourceHash: asset.assetHash,
      });
    const scriptObject = upload('glue-script-object', script, 'transform_job.py');
    const pkgObject = upload('glue-package-object', pkg, 'spotify_transform.zip');
    const schemasObject = upload('glue-schemas-object', schemas, 'tables.json');
    const s3Url = (object: S3Object) => `s3://${bucket}/${object.key}`;

    // Glue 5 writes driver/executor logs to <prefix>/error and print()/stdout to <prefix>/output, where the prefix is
    // --custom-logGroup-prefix (default /aws-glue/jobs, shared by every job of the region). Glue 4's
    // --enable-continuous-cloudwatch-log / --continuous-log-logGroup do not apply. Both groups are created here,
    // with retention (and the pipeline key when there is one), so Glue writes into them and never creates its own.
    this.logGroupPrefix = `/aws-glue/jobs/${jobName}`;
    const logs = (['error', 'output'] as const).map((stream) => {
      const group = new CloudwatchLogGroup(this, `logs-${stream}`, {
        name: `${this.logGroupPrefix}/${stream}`,
        retentionInDays: props.logRetentionDays,
        kmsKeyId: props.kmsKeyArn,
      });
      skipCheck(group, 'CKV_AWS_338', LOG_RETENTION_REASON);
      if (!props.kmsKeyArn) skipCheck(group, 'CKV_AWS_158', NO_KEY_REASON);
      return group;
    });
    this.role = new ServiceRole(this, 'glue-role', {
      name: `${props.prefix}-glue-transform`,
      service: 'glue.amazonaws.com',
      accountId,
      description: 'The transform job: reads raw/, writes processed/ and rejects/. Never writes raw/.',
      allowStarResource: ['GlueMetrics'],
      statements: [
        { Sid: 'ReadRaw', Action: ['s3:GetObject'], Resource: [objectsArn(bucket, `${prefixes.raw}*`)] },
        { Sid: 'ReadJobArtifacts', Action: ['s3:GetObject'], Resource: [objectsArn(bucket, `${prefixes.artifacts}glue/*`)] },
        {
          // Each attempt writes its own keys and deletes only its own files after a failure; once committed it
          // tags the older attempts of its run for the lifecycle rule (PutObjectTagging).
          Sid: 'WriteProcessedAndRejects',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:PutObjectTagging'],
          Resource: [
            objectsArn(bucket, `${prefixes.processed}*`),
            objectsArn(bucket, `${prefixes.rejects}*`),
            objectsArn(bucket, `${prefixes.glueTemp}*`),
          ],
        },
        {
          Sid: 'ListOwnPrefixes',
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(bucket)],
          Condition: {
            StringLike: { 's3:prefix': [prefixes.raw, prefixes.processed, prefixes.rejects, prefixes.glueTemp].map((p) => `${p}*`) },
          },
        },
        {
          Sid: 'WriteJobLogs',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: ['error', 'output'].map((stream) => `arn:aws:logs:${region}:${accountId}:log-group:${this.logGroupPrefix}/${stream}:*`),
        },
        {
          // PutMetricData has no resource-level permissions; the namespace condition is the narrowing.
          Sid: 'GlueMetrics',
          Action: ['cloudwatch:PutMetricData'],
          Resource: ['*'],
          Condition: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
        },
      ],
    });
    // What Glue writes to S3 is encrypted (SSE-S3, like the bucket default). CloudWatch encryption stays with
    // the log groups themselves (pipeline key, when there is one): Glue's own SSE-KMS mode would move the logs to
    // groups named after the configuration. Bookmarks are off, so there is nothing to encrypt there.
    this.securityConfiguration = new GlueSecurityConfiguration(this, 'glue-security', {
      name: `${props.prefix}-glue`,
      encryptionConfiguration: {
        s3Encryption: { s3EncryptionMode: 'SSE-S3' },
        cloudwatchEncryption: { cloudwatchEncryptionMode: 'DISABLED' },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'DISABLED' },
      },
    });
    skipCheck(
      this.securityConfiguration,
      'CKV_AWS_99',
      "Glue's S3 output is encrypted (SSE-S3); the job's log groups are encrypted by CloudWatch itself (with the " +
        "pipeline key when there is one) instead of Glue's mode, and bookmarks are disabled (runs go by run id).",
    );
    this.job = new GlueJob(this, 'transform', {
      securityConfiguration: this.securityConfiguration.name,
      name: jobName,
      description: 'raw/ run -> processed/ Parquet tables (+ rejects/). Driven by --RAW_RUN_PREFIX and --RUN_ID.',
      roleArn: this.role.role.arn,
      glueVersion: props.glueVersion,
      workerType: props.workerType,
      numberOfWorkers: props.numberOfWorkers,
      timeout: props.timeoutMinutes,
      maxRetries: 0,
      // One run at a time; further runs wait in Glue's queue instead of failing with ConcurrentRunsExceeded.
      executionProperty: { maxConcurrentRuns: 1 },
      jobRunQueuingEnabled: true,
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: s3Url(scriptObject) },
      defaultArguments: {
        '--PROCESSED_PREFIX': `s3://${bucket}/${prefixes.processed}`,
        '--REJECTS_PREFIX': `s3://${bucket}/${prefixes.rejects}`,
        '--extra-py-files': s3Url(pkgObject),
        // Lands tables.json in the job's working directory, where spotify_transform looks for it.
        '--extra-files': s3Url(schemasObject),
        '--TempDir': `s3://${bucket}/${prefixes.glueTemp}`,
        // Each run is named by --RAW_RUN_PREFIX/--RUN_ID and a re-run (a new attempt, named by Glue's job run id)
        // must replace what the earlier attempt said, which bookmarks would skip as "already processed".
        '--job-bookmark-option': 'job-bookmark-disable',
        '--enable-metrics': 'true',
        '--enable-observability-metrics': 'true',
        '--custom-logGroup-prefix': this.logGroupPrefix,
        '--enable-job-insights': 'true',
      },
      dependsOn: [...logs, this.role.policy],
    });

    // Job (and crawler) failures -> the alarm topic.
    this.failedRule = new CloudwatchEventRule(this, 'glue-failed', {
      name: `${props.prefix}-glue-failed`,
      description: 'The transform job or the crawler failed.',
      eventPattern: JSON.stringify(glueFailurePattern(jobName, props.crawlerName)),
    });
    new CloudwatchEventTarget(this, 'glue-failed-to-topic', {
      rule: this.failedRule.name,
      arn: props.alerts.topic.arn,
      deadLetterConfig: { arn: props.alerts.failures.arn },
    });
    props.alerts.allowEventRule('GlueFailureRule', this.failedRule.arn);
  }
}
