/**
 * compute: everything that runs. The extract Lambda on a weekly EventBridge Scheduler schedule, the
 * start-transform Lambda (invoked by the raw/ manifest's S3 event, declared in the warehouse stack), the Glue
 * Spark job and the crawler it triggers, the Spotify secret, log groups, the failure queue and the alarms.
 */
import { Construct } from 'constructs';
import { AssetType, TerraformAsset, TerraformOutput } from 'cdktf';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler';
import { GlueJob } from '@cdktf/provider-aws/lib/glue-job';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration';
import { GlueTrigger } from '@cdktf/provider-aws/lib/glue-trigger';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import type { PipelineConfig } from '../config/pipeline-config';
import { buildLambdaBundlesSync, LAMBDA_RUNTIME, type LambdaBundle, type LambdaName } from '../handlers/build';
import { TABLES } from '../schemas/table-schemas';
import { bucketArn, objectsArn, resourcePolicy, ServiceRole } from '../constructs/iam';
import { NodeLambda } from '../constructs/node-lambda';
import { PipelineKey } from '../constructs/pipeline-key';
import { PipelineStack } from './common';
import { PREFIXES, type StorageStack } from './storage-stack';

const ROOT = resolve(__dirname, '..');

/** Powertools metrics of the extract (EMF): namespace, and the service dimension it adds to each metric. */
export const METRICS_NAMESPACE = 'SpotifyPipeline';
export const EXTRACT_SERVICE = 'spotify-extract';

/** Files of the Glue job, relative to the repository root. */
export const GLUE_SOURCES = {
  script: 'glue/transform_job.py',
  package: 'glue/spotify_transform',
  schemas: 'schemas/tables.json',
} as const;

export interface ComputeStackProps {
  storage: StorageStack;
  /** Prebuilt bundles (tests build once for several stacks); built here when left out. */
  bundles?: LambdaBundle[];
}

function requireSource(relative: string): string {
  const path = join(ROOT, relative);
  if (!existsSync(path)) {
    throw new Error(`${relative} is missing: the compute stack uploads it to S3 for the Glue job. Restore it from git.`);
  }
  return path;
}

/**
 * Glue imports the --extra-py-files zip from its root, so the zip must hold spotify_transform/ itself,
 * not its contents: stage the package in a fresh temporary folder (parallel synths never share it) and zip that.
 */
function stageGluePackage(): string {
  const staging = mkdtempSync(join(tmpdir(), 'glue-package-'));
  cpSync(requireSource(GLUE_SOURCES.package), join(staging, 'spotify_transform'), {
    recursive: true,
    filter: (source) => !/(__pycache__|\.pyc$|[/\\]tests?([/\\]|$))/.test(source),
  });
  return staging;
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

export class ComputeStack extends PipelineStack {
  readonly key: PipelineKey;
  readonly alarms: SnsTopic;
  readonly failures: SqsQueue;
  readonly secret: SecretsmanagerSecret;
  readonly extract: NodeLambda;
  readonly startTransform: NodeLambda;
  readonly glueJob: GlueJob;
  readonly glueRole: ServiceRole;
  readonly crawler: GlueCrawler;
  readonly crawlerRole: ServiceRole;
  readonly schedule: SchedulerSchedule;
  readonly schedulerRole: ServiceRole;

  constructor(scope: Construct, config: PipelineConfig, props: ComputeStackProps) {
    super(scope, 'compute', config);
    const { names, accountId } = this;
    const region = config.aws.region;
    const bucket = names.bucket;
    // The object uploads reference the storage stack's bucket: that reference is what makes cdktf deploy
    // storage first. IAM policies use the (same, configured) name to stay readable in the plan.
    const bucketRef = props.storage.dataBucket.bucket.bucket;

    this.key = new PipelineKey(this, 'key', { alias: names.prefix, accountId, region });
    const keyArn = this.key.key.arn;

    // ---- failures and alarms -------------------------------------------------------------------------
    this.failures = new SqsQueue(this, 'failures', {
      name: `${names.prefix}-failures`,
      messageRetentionSeconds: 14 * 24 * 3600,
      kmsMasterKeyId: keyArn,
      kmsDataKeyReusePeriodSeconds: 3600,
    });
    this.alarms = new SnsTopic(this, 'alarms', { name: `${names.prefix}-alarms`, kmsMasterKeyId: keyArn });
    if (config.aws.alarmEmail) {
      new SnsTopicSubscription(this, 'alarm-email', {
        topicArn: this.alarms.arn,
        protocol: 'email',
        endpoint: config.aws.alarmEmail,
      });
    }
    new CloudwatchMetricAlarm(this, 'failures-alarm', {
      alarmName: `${names.prefix}-failed-invocations`,
      alarmDescription: `An invocation failed after its retries; the event waits in ${names.prefix}-failures.`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: this.failures.name },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [this.alarms.arn],
    });

    // ---- the Spotify secret ---------------------------------------------------------------------------
    // Only the container: its value (client id/secret, refresh token) is put with the AWS CLI
    // (docs/deploying.md), so it never appears in Terraform state or in code.
    this.secret = new SecretsmanagerSecret(this, 'spotify-secret', {
      name: names.spotifySecret,
      description: 'Spotify client id/secret and refresh token of the extract Lambda (JSON).',
      kmsKeyId: keyArn,
      recoveryWindowInDays: config.environment === 'prod' ? 30 : 7,
    });

    // ---- Lambdas ---------------------------------------------------------------------------------------
    const bundles = props.bundles ?? buildLambdaBundlesSync();
    const bundle = (name: LambdaName) => {
      const found = bundles.find((b) => b.name === name);
      if (!found) throw new Error(`No Lambda bundle named ${name}; buildLambdaBundlesSync() builds extract and start-transform.`);
      return found.dir;
    };
    const common = {
      runtime: LAMBDA_RUNTIME,
      accountId,
      region,
      logRetentionDays: config.aws.logRetentionDays,
      kmsKeyArn: keyArn,
      failureQueueArn: this.failures.arn,
      alarmTopicArn: this.alarms.arn,
    };

    this.extract = new NodeLambda(this, 'extract', {
      ...common,
      functionName: names.extractFunction,
      description: 'Extracts playlists and top items from the Spotify Web API into raw/ (manifest last).',
      bundleDir: bundle('extract'),
      memoryMb: config.extract.lambdaMemoryMb,
      timeoutSeconds: config.extract.lambdaTimeoutSeconds,
      // One run at a time: two overlapping runs would share Spotify's rate limit and the refresh token.
      reservedConcurrency: 1,
      environment: {
        PIPELINE_CONFIG: terraformLiteral(lambdaConfigJson(config)),
        BUCKET_NAME: bucketRef,
        SPOTIFY_SECRET_ARN: this.secret.arn,
        POWERTOOLS_SERVICE_NAME: EXTRACT_SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      statements: [
        { Sid: 'WriteRaw', Action: ['s3:PutObject', 's3:GetObject'], Resource: [objectsArn(bucket, `${PREFIXES.raw}*`)] },
        {
          Sid: 'ListRaw',
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(bucket)],
          Condition: { StringLike: { 's3:prefix': [`${PREFIXES.raw}*`] } },
        },
        // PutSecretValue: Spotify may hand out a new refresh token, which the Lambda stores back.
        { Sid: 'SpotifySecret', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], Resource: [this.secret.arn] },
        {
          Sid: 'SpotifySecretKey',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: [keyArn],
          Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
        },
      ],
    });

    // A run that stopped early (quota 429, time budget) still succeeds; it is worth a look all the same.
    new CloudwatchMetricAlarm(this, 'extract-stopped-early', {
      alarmName: `${names.extractFunction}-stopped-early`,
      alarmDescription: 'The extract stopped before finishing (quota or time budget); the manifest says why. The next run catches up.',
      namespace: METRICS_NAMESPACE,
      metricName: 'StoppedEarly',
      dimensions: { service: EXTRACT_SERVICE, environment: config.environment },
      statistic: 'Maximum',
      period: 3600,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [this.alarms.arn],
    });

    const jobArn = `arn:aws:glue:${region}:${accountId}:job/${names.glueJob}`;
    this.startTransform = new NodeLambda(this, 'start-transform', {
      ...common,
      functionName: names.startTransformFunction,
      description: 'Starts the Glue transform for a run when its raw/ manifest lands.',
      bundleDir: bundle('start-transform'),
      memoryMb: 256,
      timeoutSeconds: 60,
      // Manifests arrive once a week; one at a time keeps the "already started for this run id?" check simple.
      reservedConcurrency: 1,
      environment: {
        GLUE_JOB_NAME: names.glueJob,
        BUCKET_NAME: bucketRef,
        POWERTOOLS_SERVICE_NAME: 'spotify-start-transform',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      statements: [
        { Sid: 'StartTransform', Action: ['glue:StartJobRun', 'glue:GetJobRuns'], Resource: [jobArn] },
        { Sid: 'ReadManifests', Action: ['s3:GetObject'], Resource: [objectsArn(bucket, `${PREFIXES.raw}*/_manifest.json`)] },
      ],
    });
    new LambdaPermission(this, 'start-transform-from-s3', {
      statementId: 'AllowRawManifestEvents',
      action: 'lambda:InvokeFunction',
      functionName: this.startTransform.function.functionName,
      principal: 's3.amazonaws.com',
      sourceArn: bucketArn(bucket),
      sourceAccount: accountId,
    });

    // ---- the weekly schedule ---------------------------------------------------------------------------
    this.schedulerRole = new ServiceRole(this, 'scheduler-role', {
      name: `${names.prefix}-scheduler`,
      service: 'scheduler.amazonaws.com',
      accountId,
      description: 'Lets the weekly schedule invoke the extract Lambda and dead-letter what it cannot deliver.',
      statements: [
        { Sid: 'InvokeExtract', Action: ['lambda:InvokeFunction'], Resource: [this.extract.function.arn] },
        { Sid: 'DeadLetter', Action: ['sqs:SendMessage'], Resource: [this.failures.arn] },
        { Sid: 'DeadLetterKey', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [keyArn] },
      ],
    });
    this.schedule = new SchedulerSchedule(this, 'weekly', {
      name: `${names.prefix}-weekly-extract`,
      description: 'Weekly Spotify extract.',
      scheduleExpression: config.extract.schedule,
      scheduleExpressionTimezone: 'UTC',
      kmsKeyArn: keyArn,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: this.extract.function.arn,
        roleArn: this.schedulerRole.role.arn,
        // The extract derives the run id from `id` and the start time from `scheduledTime`. Both are the
        // scheduled time, which stays the same when the Scheduler retries (the execution id does not), so a
        // retried run gets the same run id and rewrites the same keys instead of writing a second copy.
        input: JSON.stringify({
          id: 'weekly-<aws.scheduler.scheduled-time>',
          scheduledTime: '<aws.scheduler.scheduled-time>',
        }),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: this.failures.arn },
      },
    });

    // ---- the Glue job ----------------------------------------------------------------------------------
    const script = new TerraformAsset(this, 'glue-script', { path: requireSource(GLUE_SOURCES.script), type: AssetType.FILE });
    const pkg = new TerraformAsset(this, 'glue-package', { path: stageGluePackage(), type: AssetType.ARCHIVE });
    const schemas = new TerraformAsset(this, 'glue-schemas', { path: requireSource(GLUE_SOURCES.schemas), type: AssetType.FILE });
    // The content hash in the key makes each version a new object the job points at; old ones expire by lifecycle.
    const upload = (id: string, asset: TerraformAsset, fileName: string) =>
      new S3Object(this, id, {
        bucket: bucketRef,
        key: `${PREFIXES.artifacts}glue/${asset.assetHash}/${fileName}`,
        source: asset.path,
        sourceHash: asset.assetHash,
      });
    const scriptObject = upload('glue-script-object', script, 'transform_job.py');
    const pkgObject = upload('glue-package-object', pkg, 'spotify_transform.zip');
    const schemasObject = upload('glue-schemas-object', schemas, 'tables.json');
    const s3Url = (object: S3Object) => `s3://${bucket}/${object.key}`;

    const glueLogGroupName = `/aws-glue/jobs/${names.glueJob}`;
    const glueLogs = new CloudwatchLogGroup(this, 'glue-logs', {
      name: glueLogGroupName,
      retentionInDays: config.aws.logRetentionDays,
      kmsKeyId: keyArn,
    });
    this.glueRole = new ServiceRole(this, 'glue-role', {
      name: `${names.prefix}-glue-transform`,
      service: 'glue.amazonaws.com',
      accountId,
      description: 'The transform job: reads raw/, writes processed/ and rejects/. Never writes raw/.',
      allowStarResource: ['GlueMetrics'],
      statements: [
        { Sid: 'ReadRaw', Action: ['s3:GetObject'], Resource: [objectsArn(bucket, `${PREFIXES.raw}*`)] },
        { Sid: 'ReadJobArtifacts', Action: ['s3:GetObject'], Resource: [objectsArn(bucket, `${PREFIXES.artifacts}glue/*`)] },
        {
          // Each attempt writes its own keys and deletes only its own files after a failure; once committed it
          // tags the older attempts of its run for the lifecycle rule (PutObjectTagging).
          Sid: 'WriteProcessedAndRejects',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:PutObjectTagging'],
          Resource: [
            objectsArn(bucket, `${PREFIXES.processed}*`),
            objectsArn(bucket, `${PREFIXES.rejects}*`),
            objectsArn(bucket, `${PREFIXES.glueTemp}*`),
          ],
        },
        {
          Sid: 'ListOwnPrefixes',
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(bucket)],
          Condition: {
            StringLike: {
              's3:prefix': [PREFIXES.raw, PREFIXES.processed, PREFIXES.rejects, PREFIXES.glueTemp].map((p) => `${p}*`),
            },
          },
        },
        {
          Sid: 'WriteJobLogs',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [
            `arn:aws:logs:${region}:${accountId}:log-group:${glueLogGroupName}:*`,
            `arn:aws:logs:${region}:${accountId}:log-group:/aws-glue/jobs/error:*`,
            `arn:aws:logs:${region}:${accountId}:log-group:/aws-glue/jobs/output:*`,
          ],
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
    // the log groups themselves (pipeline key): Glue's own SSE-KMS mode would move the logs to groups named
    // after the configuration. Bookmarks are off, so there is nothing to encrypt there.
    const glueSecurity = new GlueSecurityConfiguration(this, 'glue-security', {
      name: `${names.prefix}-glue`,
      encryptionConfiguration: {
        s3Encryption: { s3EncryptionMode: 'SSE-S3' },
        cloudwatchEncryption: { cloudwatchEncryptionMode: 'DISABLED' },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'DISABLED' },
      },
    });
    this.glueJob = new GlueJob(this, 'transform', {
      securityConfiguration: glueSecurity.name,
      name: names.glueJob,
      description: 'raw/ run -> processed/ Parquet tables (+ rejects/). Driven by --RAW_RUN_PREFIX and --RUN_ID.',
      roleArn: this.glueRole.role.arn,
      glueVersion: config.glue.glueVersion,
      workerType: config.glue.workerType,
      numberOfWorkers: config.glue.numberOfWorkers,
      timeout: config.glue.timeoutMinutes,
      maxRetries: 0,
      // One run at a time; further runs wait in Glue's queue instead of failing with ConcurrentRunsExceeded.
      executionProperty: { maxConcurrentRuns: 1 },
      jobRunQueuingEnabled: true,
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: s3Url(scriptObject) },
      defaultArguments: {
        '--PROCESSED_PREFIX': `s3://${bucket}/${PREFIXES.processed}`,
        '--REJECTS_PREFIX': `s3://${bucket}/${PREFIXES.rejects}`,
        '--extra-py-files': s3Url(pkgObject),
        // Lands tables.json in the job's working directory, where spotify_transform looks for it.
        '--extra-files': s3Url(schemasObject),
        '--TempDir': `s3://${bucket}/${PREFIXES.glueTemp}`,
        // Each run is named by --RAW_RUN_PREFIX/--RUN_ID and a re-run must replace that run's output, which
        // bookmarks would skip as "already processed".
        '--job-bookmark-option': 'job-bookmark-disable',
        '--enable-metrics': 'true',
        '--enable-observability-metrics': 'true',
        '--enable-continuous-cloudwatch-log': 'true',
        '--continuous-log-logGroup': glueLogGroupName,
        '--enable-job-insights': 'true',
      },
      dependsOn: [glueLogs, this.glueRole.policy],
    });

    // ---- the crawler over processed/, run after each successful transform -------------------------------
    const glueDatabase = props.storage.glueDatabase;
    const catalogArn = `arn:aws:glue:${region}:${accountId}`;
    this.crawlerRole = new ServiceRole(this, 'crawler-role', {
      name: `${names.prefix}-glue-crawler`,
      service: 'glue.amazonaws.com',
      accountId,
      description: 'The crawler: reads processed/ and keeps its tables and partitions in the Data Catalog.',
      statements: [
        { Sid: 'ReadProcessed', Action: ['s3:GetObject'], Resource: [objectsArn(bucket, `${PREFIXES.processed}*`)] },
        {
          Sid: 'ListProcessed',
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(bucket)],
          Condition: { StringLike: { 's3:prefix': [`${PREFIXES.processed}*`] } },
        },
        {
          Sid: 'MaintainCatalogTables',
          Action: [
            'glue:GetDatabase',
            'glue:GetTable',
            'glue:GetTables',
            'glue:CreateTable',
            'glue:UpdateTable',
            'glue:GetPartition',
            'glue:GetPartitions',
            'glue:BatchGetPartition',
            'glue:CreatePartition',
            'glue:BatchCreatePartition',
            'glue:UpdatePartition',
            'glue:BatchUpdatePartition',
          ],
          Resource: [
            `${catalogArn}:catalog`,
            `${catalogArn}:database/${names.glueDatabase}`,
            `${catalogArn}:table/${names.glueDatabase}/*`,
          ],
        },
        {
          Sid: 'WriteCrawlerLogs',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [
            `arn:aws:logs:${region}:${accountId}:log-group:/aws-glue/crawlers`,
            `arn:aws:logs:${region}:${accountId}:log-group:/aws-glue/crawlers:*`,
          ],
        },
      ],
    });
    this.crawler = new GlueCrawler(this, 'crawler', {
      name: names.glueCrawler,
      description: 'Registers the processed/ tables and their extract_date/run_id partitions.',
      role: this.crawlerRole.role.arn,
      securityConfiguration: glueSecurity.name,
      databaseName: glueDatabase.name,
      s3Target: TABLES.map((table) => ({ path: `s3://${bucket}/${PREFIXES.processed}${table.name}/` })),
      // Only new run folders are crawled; the schemas come from tables.json and do not drift.
      recrawlPolicy: { recrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      schemaChangePolicy: { updateBehavior: 'LOG', deleteBehavior: 'LOG' },
      configuration: JSON.stringify({ Version: 1, CreatePartitionIndex: true }),
      dependsOn: [this.crawlerRole.policy],
    });
    new GlueTrigger(this, 'crawl-after-transform', {
      name: `${names.prefix}-crawl-after-transform`,
      description: 'Starts the crawler when the transform succeeds.',
      type: 'CONDITIONAL',
      predicate: { conditions: [{ jobName: this.glueJob.name, state: 'SUCCEEDED' }] },
      actions: [{ crawlerName: this.crawler.name }],
    });

    // ---- Glue failures -> alarm topic -------------------------------------------------------------------
    const glueFailed = new CloudwatchEventRule(this, 'glue-failed', {
      name: `${names.prefix}-glue-failed`,
      description: 'The transform job or the crawler failed.',
      eventPattern: JSON.stringify({
        source: ['aws.glue'],
        'detail-type': ['Glue Job State Change', 'Glue Crawler State Change'],
        $or: [
          { 'detail-type': ['Glue Job State Change'], detail: { jobName: [names.glueJob], state: ['FAILED', 'TIMEOUT', 'ERROR'] } },
          { 'detail-type': ['Glue Crawler State Change'], detail: { crawlerName: [names.glueCrawler], state: ['Failed'] } },
        ],
      }),
    });
    new CloudwatchEventTarget(this, 'glue-failed-to-topic', {
      rule: glueFailed.name,
      arn: this.alarms.arn,
      deadLetterConfig: { arn: this.failures.arn },
    });
    new SqsQueuePolicy(this, 'failures-policy', {
      queueUrl: this.failures.url,
      policy: resourcePolicy([
        {
          Sid: 'GlueFailureRuleDeadLetters',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['sqs:SendMessage'],
          Resource: [this.failures.arn],
          Condition: { ArnEquals: { 'aws:SourceArn': glueFailed.arn } },
        },
      ]),
    });
    new SnsTopicPolicy(this, 'alarms-policy', {
      arn: this.alarms.arn,
      policy: resourcePolicy([
        {
          Sid: 'GlueFailureRule',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['sns:Publish'],
          Resource: [this.alarms.arn],
          Condition: { ArnEquals: { 'aws:SourceArn': glueFailed.arn } },
        },
        {
          Sid: 'CloudWatchAlarms',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['sns:Publish'],
          Resource: [this.alarms.arn],
          Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
        },
      ]),
    });

    new TerraformOutput(this, 'extract_function', { value: this.extract.function.functionName });
    new TerraformOutput(this, 'glue_job', { value: this.glueJob.name });
    new TerraformOutput(this, 'spotify_secret_arn', { value: this.secret.arn });
    new TerraformOutput(this, 'alarm_topic_arn', { value: this.alarms.arn });
  }
}
