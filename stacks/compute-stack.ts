/**
 * compute: everything that runs. The extract Lambda on its EventBridge Scheduler schedules, the start-transform
 * Lambda (invoked by the raw/ manifest's S3 event, declared in the warehouse stack), the Glue Spark job and the
 * crawler it triggers, the Spotify secret, and where failures go (alarm topic, failures queue). Each part is a
 * construct of constructs/; this stack wires them together.
 */
import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { effectiveListeners } from '../config/listeners';
import { crawlerSchedule, pollsPlays, usesCustomerManagedKey, type PipelineConfig } from '../config/pipeline-config';
import { buildLambdaBundlesSync, type LambdaBundle, type LambdaName } from '../handlers/build';
import { TABLE_NAMES } from '../schemas/table-schemas';
import { skipCheck } from '../constructs/checkov';
import type { PipelineContext } from '../constructs/context';
import { NO_KEY_REASON } from '../constructs/node-lambda';
import { ExtractFunction } from '../constructs/extract-function';
import { FreshnessAlarms } from '../constructs/freshness-alarms';
import { TokenExpiryAlarm } from '../constructs/token-expiry-alarm';
import { ListenerSecrets, secretRecoveryDays } from '../constructs/listener-secrets';
import { PipelineAlerts } from '../constructs/pipeline-alerts';
import { PipelineKey } from '../constructs/pipeline-key';
import { ProcessedCrawler } from '../constructs/processed-crawler';
import { StartTransformFunction } from '../constructs/start-transform-function';
import { TransformJob } from '../constructs/transform-job';
import { PipelineStack, pipelineContext } from './common';
import type { StorageStack } from './storage-stack';

/** The daily plays batch looks this many days back for plays runs not yet transformed (a week and a day). */
export const PLAYS_BATCH_LOOKBACK_DAYS = 8;

export { EXTRACT_SERVICE, METRICS_NAMESPACE } from '../handlers/shared/runtime-contract';
export { lambdaConfigJson, terraformLiteral } from '../constructs/extract-function';
export { GLUE_SOURCES } from '../constructs/transform-job';

export interface ComputeStackProps {
  /** The storage stack: its bucket and catalog database. Required. */
  storage: StorageStack;
  /** Prebuilt bundles (tests build once for several stacks). Default: built here with esbuild. */
  bundles?: LambdaBundle[];
}

/**
 * The app's Spotify secret. Only the container: its value (client id/secret, refresh token) is put with the AWS CLI
 * or `pipeline authorize --store aws` (docs/deploying.md), so it never appears in Terraform state or in code.
 */
function spotifyAppSecret(scope: Construct, context: PipelineContext, name: string): SecretsmanagerSecret {
  const secret = new SecretsmanagerSecret(scope, 'spotify-secret', {
    name,
    description: 'Spotify client id/secret, and the refresh tokens of the app (refreshToken) and of every listener (listeners.<name>), each with authorizedAt (JSON).',
    kmsKeyId: context.kmsKeyArn,
    recoveryWindowInDays: secretRecoveryDays(context.environmentName),
  });
  skipCheck(
    secret,
    'CKV2_AWS_57',
    'The Spotify refresh token is rotated by Spotify: the extract Lambda stores each new token back ' +
      '(PutSecretValue). A rotation Lambda would have nothing it could rotate.',
  );
  if (!context.kmsKeyArn) skipCheck(secret, 'CKV_AWS_149', NO_KEY_REASON);
  return secret;
}

/** The folder of one prebuilt Lambda bundle. */
function bundleDir(bundles: LambdaBundle[], name: LambdaName): string {
  const found = bundles.find((b) => b.name === name);
  if (!found) throw new Error(`No Lambda bundle named ${name}; buildLambdaBundlesSync() builds extract and start-transform.`);
  return found.dir;
}

export class ComputeStack extends PipelineStack {
  /** The customer-managed pipeline key, when aws.customerManagedKey is on (prod by default). */
  readonly key?: PipelineKey;
  readonly alerts: PipelineAlerts;
  /** What the compute constructs share: account, region, names, the pipeline key and the alerts. */
  readonly context: PipelineContext;
  readonly secret: SecretsmanagerSecret;
  /** The secrets of listeners who name one of their own; the others keep their tokens in the app secret. */
  readonly listenerSecrets: ListenerSecrets;
  readonly extract: ExtractFunction;
  /** Goes off 14 days before a listener's refresh token expires (RefreshTokenDaysLeft). */
  readonly tokenExpiry: TokenExpiryAlarm;
  readonly startTransform: StartTransformFunction;
  readonly transform: TransformJob;
  /** Alarms on silence: no plays stored for a listener for freshness.playsSilentHours. */
  readonly freshness: FreshnessAlarms;
  /** The catalog crawler, unless glue.crawler is off. */
  readonly crawler?: ProcessedCrawler;

  constructor(scope: Construct, config: PipelineConfig, props: ComputeStackProps) {
    super(scope, 'compute', config);
    const { names } = this;
    const bucket = props.storage.bucket;
    if (usesCustomerManagedKey(config)) this.key = new PipelineKey(this, 'key', { context: pipelineContext(config) });
    const keyed = pipelineContext(config, { kmsKeyArn: this.key?.key.arn });
    this.alerts = new PipelineAlerts(this, 'alerts', { context: keyed, alarmEmail: config.aws.alarmEmail });
    const context = (this.context = { ...keyed, alerts: this.alerts });
    this.secret = spotifyAppSecret(this, context, names.spotifySecret);
    this.listenerSecrets = new ListenerSecrets(this, 'listener-secrets', { context, listeners: config.spotify.listeners });
    const bundles = props.bundles ?? buildLambdaBundlesSync();
    this.extract = new ExtractFunction(this, 'extract', {
      context,
      config,
      bucket,
      spotifySecretArn: this.secret.arn,
      listenerSecretArns: this.listenerSecrets.secretArns,
      bundleDir: bundleDir(bundles, 'extract'),
    });
    this.tokenExpiry = new TokenExpiryAlarm(this, 'token-expiry', { context, config });
    this.startTransform = new StartTransformFunction(this, 'start-transform', {
      context,
      functionName: names.startTransformFunction,
      bundleDir: bundleDir(bundles, 'start-transform'),
      bucket,
      glueJobName: names.glueJob,
      // Hourly plays polls are transformed in one job run a day, not one each (handlers/start-transform/plays-batch.ts).
      playsBatchDays: pollsPlays(config) ? PLAYS_BATCH_LOOKBACK_DAYS : undefined,
    });
    const playsListeners = pollsPlays(config) ? effectiveListeners(config.spotify.listeners).map((l) => l.name) : [];
    this.freshness = new FreshnessAlarms(this, 'freshness', { context, playsListeners, playsSilentHours: config.freshness.playsSilentHours });
    const crawlerName = config.glue.crawler ? names.glueCrawler : undefined;
    this.transform = new TransformJob(this, 'transform', { context, bucket, jobName: names.glueJob, crawlerName, glue: config.glue });
    if (crawlerName) this.crawler = new ProcessedCrawler(this, 'crawler', {
      context,
      crawlerName,
      bucket,
      tables: TABLE_NAMES,
      databaseName: names.glueDatabase,
      databaseRef: props.storage.glueDatabase.name,
      securityConfiguration: this.transform.securityConfiguration.name,
      jobName: this.transform.job.name,
      schedule: crawlerSchedule(config),
      ownsLogGroup: config.glue.ownsCrawlerLogGroup,
    });
    new TerraformOutput(this, 'extract_function', { value: this.extract.lambda.function.functionName });
    new TerraformOutput(this, 'glue_job', { value: this.transform.job.name });
    new TerraformOutput(this, 'spotify_secret_arn', { value: this.secret.arn });
    new TerraformOutput(this, 'alarm_topic_arn', { value: this.alerts.topic.arn });
  }
}
