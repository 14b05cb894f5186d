/**
 * compute: everything that runs. The extract Lambda on its EventBridge Scheduler schedule, the start-transform
 * Lambda (invoked by the raw/ manifest's S3 event, declared in the warehouse stack), the Glue Spark job and the
 * crawler it triggers, the Spotify secret, and where failures go (alarm topic, failures queue). Each part is a
 * construct of constructs/; this stack wires them together.
 */
import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { crawlerSchedule, pollsPlays, usesCustomerManagedKey, type PipelineConfig } from '../config/pipeline-config';
import { buildLambdaBundlesSync, LAMBDA_RUNTIME, type LambdaBundle, type LambdaName } from '../handlers/build';
import { TABLE_NAMES } from '../schemas/table-schemas';
import { bucketArn, objectsArn } from '../constructs/iam';
import { skipCheck } from '../constructs/checkov';
import { NO_KEY_REASON } from '../constructs/node-lambda';
import { ExtractFunction, type ExtractSchedule } from '../constructs/extract-function';
import { ListenerSecrets } from '../constructs/listener-secrets';
import { PipelineAlerts } from '../constructs/pipeline-alerts';
import { PipelineKey } from '../constructs/pipeline-key';
import { ProcessedCrawler } from '../constructs/processed-crawler';
import { StartTransformFunction } from '../constructs/start-transform-function';
import { TransformJob } from '../constructs/transform-job';
import { PipelineStack } from './common';
import { PREFIXES, type StorageStack } from './storage-stack';

/** The daily plays batch looks this many days back for plays runs not yet transformed (a week and a day). */
export const PLAYS_BATCH_LOOKBACK_DAYS = 8;

export { EXTRACT_SERVICE, METRICS_NAMESPACE } from '../constructs/extract-function';
export { GLUE_SOURCES } from '../constructs/transform-job';

export interface ComputeStackProps {
  storage: StorageStack;
  /** Prebuilt bundles (tests build once for several stacks); built here when left out. */
  bundles?: LambdaBundle[];
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
  /** The customer-managed pipeline key, when aws.customerManagedKey is on (prod by default). */
  readonly key?: PipelineKey;
  readonly alerts: PipelineAlerts;
  readonly secret: SecretsmanagerSecret;
  /** One secret per configured listener (their refresh tokens). */
  readonly listenerSecrets: ListenerSecrets;
  readonly extract: ExtractFunction;
  readonly startTransform: StartTransformFunction;
  readonly transform: TransformJob;
  /** The catalog crawler, unless glue.crawler is off. */
  readonly crawler?: ProcessedCrawler;

  constructor(scope: Construct, config: PipelineConfig, props: ComputeStackProps) {
    super(scope, 'compute', config);
    const { names, accountId } = this;
    const region = config.aws.region;
    const bucket = names.bucket;
    // The object uploads and Lambda settings reference the storage stack's bucket: that reference is what makes
    // cdktf deploy storage first. IAM policies use the (same, configured) name to stay readable in the plan.
    const bucketRef = props.storage.dataBucket.bucket.bucket;

    if (usesCustomerManagedKey(config)) this.key = new PipelineKey(this, 'key', { alias: names.prefix, accountId, region });
    const keyArn = this.key?.key.arn;
    this.alerts = new PipelineAlerts(this, 'alerts', { prefix: names.prefix, accountId, kmsKeyArn: keyArn, alarmEmail: config.aws.alarmEmail });

    // Only the container: its value (client id/secret, refresh token) is put with the AWS CLI or
    // `pipeline authorize --store aws` (docs/deploying.md), so it never appears in Terraform state or in code.
    this.secret = new SecretsmanagerSecret(this, 'spotify-secret', {
      name: names.spotifySecret,
      description: 'Spotify client id/secret and refresh token of the extract Lambda (JSON).',
      kmsKeyId: keyArn,
      recoveryWindowInDays: config.environment === 'prod' ? 30 : 7,
    });
    skipCheck(
      this.secret,
      'CKV2_AWS_57',
      'The Spotify refresh token is rotated by Spotify: the extract Lambda stores each new token back ' +
        '(PutSecretValue). A rotation Lambda would have nothing it could rotate.',
    );
    if (!keyArn) skipCheck(this.secret, 'CKV_AWS_149', NO_KEY_REASON);
    this.listenerSecrets = new ListenerSecrets(this, 'listener-secrets', {
      prefix: names.prefix,
      listeners: config.spotify.listeners,
      accountId,
      region,
      kmsKeyArn: keyArn,
      recoveryWindowInDays: config.environment === 'prod' ? 30 : 7,
    });
    // The weekly run, and (when plays are polled) a plays run on its own schedule: Spotify keeps only a listener's
    // last 50 plays.
    const schedules: ExtractSchedule[] = [{ id: 'weekly', description: 'Weekly Spotify extract.', expression: config.extract.schedule }];
    if (pollsPlays(config)) {
      schedules.push({ id: 'plays', description: "Polls every listener's recently played tracks.", expression: config.extract.playsSchedule!, input: { mode: 'plays' } });
    }

    const bundles = props.bundles ?? buildLambdaBundlesSync();
    const bundle = (name: LambdaName) => {
      const found = bundles.find((b) => b.name === name);
      if (!found) throw new Error(`No Lambda bundle named ${name}; buildLambdaBundlesSync() builds extract and start-transform.`);
      return found.dir;
    };
    const lambdaCommon = {
      runtime: LAMBDA_RUNTIME,
      accountId,
      region,
      logRetentionDays: config.aws.logRetentionDays,
      kmsKeyArn: keyArn,
      failureQueueArn: this.alerts.failures.arn,
      alarmTopicArn: this.alerts.topic.arn,
    };

    this.extract = new ExtractFunction(this, 'extract', {
      common: lambdaCommon,
      prefix: names.prefix,
      environmentName: config.environment,
      functionName: names.extractFunction,
      bundleDir: bundle('extract'),
      memoryMb: config.extract.lambdaMemoryMb,
      timeoutSeconds: config.extract.lambdaTimeoutSeconds,
      // No reserved concurrency: a scheduled run is claimed in S3 before it starts (claims/extract/), so a
      // duplicate or overlapping delivery of the same run does nothing.
      environment: {
        PIPELINE_CONFIG: terraformLiteral(lambdaConfigJson(config)),
        BUCKET_NAME: bucketRef,
        SPOTIFY_SECRET_ARN: this.secret.arn,
      },
      statements: [
        { Sid: 'WriteRaw', Action: ['s3:PutObject'], Resource: [objectsArn(bucket, `${PREFIXES.raw}*`)] },
        // The resumable extract (issue 9) reads raw/: its run's checkpoint, an existing manifest, the playlist state
        // (raw/_state/) and, by HEAD, the earlier objects a manifest points at. ListBucket makes a missing key answer
        // 404 (no checkpoint yet) instead of 403.
        { Sid: 'ReadRaw', Action: ['s3:GetObject'], Resource: [objectsArn(bucket, `${PREFIXES.raw}*`)] },
        {
          Sid: 'ListRaw',
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(bucket)],
          Condition: { StringLike: { 's3:prefix': [`${PREFIXES.raw}*`] } },
        },
        // The run claim: a conditional put, read back when it already exists (handlers/shared/run-claim.ts).
        { Sid: 'ClaimRuns', Action: ['s3:PutObject', 's3:GetObject'], Resource: [objectsArn(bucket, `${PREFIXES.claims}extract/*`)] },
        // PutSecretValue: Spotify may hand out a new refresh token, which the Lambda stores back (each listener's too).
        {
          Sid: 'SpotifySecret',
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
          Resource: [this.secret.arn, ...this.listenerSecrets.secretArns],
        },
        ...(keyArn
          ? [
              {
                Sid: 'SpotifySecretKey',
                Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
                Resource: [keyArn],
                Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
              },
            ]
          : []),
      ],
      schedules,
    });

    this.startTransform = new StartTransformFunction(this, 'start-transform', {
      common: lambdaCommon,
      functionName: names.startTransformFunction,
      bundleDir: bundle('start-transform'),
      bucketName: bucket,
      // No reserved concurrency: the run id is claimed in S3 (claims/transform/) before the job is started.
      environment: {
        GLUE_JOB_NAME: names.glueJob,
        BUCKET_NAME: bucketRef,
        POWERTOOLS_SERVICE_NAME: 'spotify-start-transform',
        POWERTOOLS_METRICS_NAMESPACE: 'SpotifyPipeline',
        // Hourly plays polls are transformed in one job run a day, not one each (handlers/start-transform/plays-batch.ts).
        ...(pollsPlays(config) ? { PLAYS_BATCH_DAYS: String(PLAYS_BATCH_LOOKBACK_DAYS) } : {}),
      },
      statements: [
        { Sid: 'StartTransform', Action: ['glue:StartJobRun', 'glue:GetJobRuns'], Resource: [`arn:aws:glue:${region}:${accountId}:job/${names.glueJob}`] },
        { Sid: 'ClaimRuns', Action: ['s3:PutObject', 's3:GetObject'], Resource: [objectsArn(bucket, `${PREFIXES.claims}transform/*`)] },
        // The daily plays batch lists the manifests of the last days' plays runs (keys only; it reads no object).
        ...(pollsPlays(config)
          ? [{ Sid: 'ListRawRuns', Action: ['s3:ListBucket'], Resource: [bucketArn(bucket)], Condition: { StringLike: { 's3:prefix': [`${PREFIXES.raw}extract_date=*`] } } }]
          : []),
      ],
    });

    this.transform = new TransformJob(this, 'transform', {
      prefix: names.prefix,
      jobName: names.glueJob,
      crawlerName: config.glue.crawler ? names.glueCrawler : undefined,
      accountId,
      region,
      bucketName: bucket,
      bucketRef,
      prefixes: PREFIXES,
      glueVersion: config.glue.glueVersion,
      workerType: config.glue.workerType,
      numberOfWorkers: config.glue.numberOfWorkers,
      timeoutMinutes: config.glue.timeoutMinutes,
      logRetentionDays: config.aws.logRetentionDays,
      kmsKeyArn: keyArn,
      alerts: this.alerts,
    });
    if (config.glue.crawler) this.crawler = new ProcessedCrawler(this, 'crawler', {
      prefix: names.prefix,
      crawlerName: names.glueCrawler,
      accountId,
      region,
      bucketName: bucket,
      processedPrefix: PREFIXES.processed,
      tables: TABLE_NAMES,
      databaseName: names.glueDatabase,
      databaseRef: props.storage.glueDatabase.name,
      securityConfiguration: this.transform.securityConfiguration.name,
      jobName: this.transform.job.name,
      schedule: crawlerSchedule(config),
      logRetentionDays: config.aws.logRetentionDays,
      kmsKeyArn: keyArn,
    });

    new TerraformOutput(this, 'extract_function', { value: this.extract.lambda.function.functionName });
    new TerraformOutput(this, 'glue_job', { value: this.transform.job.name });
    new TerraformOutput(this, 'spotify_secret_arn', { value: this.secret.arn });
    new TerraformOutput(this, 'alarm_topic_arn', { value: this.alerts.topic.arn });
  }
}
