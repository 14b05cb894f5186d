/**
 * The one typed, validated configuration of the pipeline.
 *
 * Every value the stacks, the Lambdas and the local run need to vary lives here, with one JSON file per
 * environment in config/environments/. The same schema validates all of them, so a typo in prod.json fails
 * `cdktf synth` and `make run` alike, with the file and the field named.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { effectiveListeners, ListenerNameSchema, ListeningConfigSchema, ListenersSchema, type ListenerConfig } from './listeners';

/** Spotify ids are 22 base62 characters; a playlist may also be given as an open.spotify.com URL or URI. */
const SPOTIFY_ID = /^[0-9A-Za-z]{22}$/;

export function parsePlaylistRef(ref: string): string {
  const trimmed = ref.trim();
  if (SPOTIFY_ID.test(trimmed)) return trimmed;
  const uri = /^spotify:playlist:([0-9A-Za-z]{22})$/.exec(trimmed);
  if (uri) return uri[1];
  const url = /^https?:\/\/open\.spotify\.com\/(?:intl-[a-z-]+\/)?playlist\/([0-9A-Za-z]{22})(?:[/?#].*)?$/.exec(trimmed);
  if (url) return url[1];
  throw new Error(
    `"${ref}" is not a Spotify playlist id, URI or URL. Use the 22-character id, spotify:playlist:<id>, ` +
      'or https://open.spotify.com/playlist/<id>.',
  );
}

const playlistRef = z.string().transform((value, ctx) => {
  try {
    return parsePlaylistRef(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/**
 * A configured playlist: its id, and the listener whose token reads it when the configuration names one. A plain
 * id (or `{ "id" }` alone) is read by whoever can: the listener who owns it or collaborates on it (their
 * /v1/me/playlists says so), else each listener in turn until one may read its items (docs/extraction.md).
 */
export interface PlaylistRef {
  id: string;
  listener?: string;
}

// A plain id is `{ id }`: one shape to validate, so a bad id's own message reaches the user (a union would say "Invalid input").
const playlistEntry = z.preprocess(
  (value) => (typeof value === 'string' ? { id: value } : value),
  z.object({ id: playlistRef, listener: ListenerNameSchema.optional() }).strict(),
);

/** A playlist as the configuration or an event override gives it (id, URI, URL, or `{ id, listener }`) -> its ref. */
export function playlistRefOf(entry: string | { id: string; listener?: string }): PlaylistRef {
  if (typeof entry === 'string') return { id: parsePlaylistRef(entry) };
  return entry.listener ? { id: parsePlaylistRef(entry.id), listener: entry.listener } : { id: parsePlaylistRef(entry.id) };
}

const name = (what: string) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,40}$/, `${what} must be lower-case letters, digits and dashes, starting with a letter`);

export const TIME_RANGES = ['short_term', 'medium_term', 'long_term'] as const;

export const PipelineConfigSchema = z
  .object({
    /** Which environment this file describes; names and tags carry it. */
    environment: z.enum(['local', 'dev', 'prod']),
    /** Prefix of every resource name (bucket, functions, job, Snowflake objects). */
    project: name('project'),

    aws: z.object({
      region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'region must look like eu-west-1'),
      /** Globally unique; defaults to <project>-<environment>-<accountId> when left out. */
      bucketName: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'bucketName must be a valid S3 bucket name')
        .optional(),
      /** Needed to build the predictable ARNs that break the Snowflake <-> IAM cycle. */
      accountId: z.string().regex(/^\d{12}$/, 'accountId must be the 12-digit AWS account id').optional(),
      /** Remote state for `cdktf deploy`; off for local synth. */
      stateBackend: z
        .object({ bucket: z.string(), keyPrefix: z.string().default('spotify-pipeline'), region: z.string() })
        .optional(),
      /** Where alarms are sent (SNS email subscription), optional. */
      alarmEmail: z.email().optional(),
      logRetentionDays: z.number().int().positive().default(30),
      /**
       * One customer-managed KMS key (about $1/month plus requests) for logs, the secret, the failures queue and the
       * alarm topic. Off: AWS-managed encryption instead (docs/costs.md). Default: on for prod, off otherwise.
       */
      customerManagedKey: z.boolean().optional(),
      /** raw/ cannot be re-extracted (Spotify serves only the present): overwritten or deleted raw objects stay this long. */
      rawVersionRetentionDays: z.number().int().min(30).default(365),
    }),

    spotify: z.object({
      /** Base URLs are configuration so any Spotify-compatible server (the embedded fake, a proxy) can be used. */
      apiBaseUrl: z.url().default('https://api.spotify.com/v1'),
      accountsBaseUrl: z.url().default('https://accounts.spotify.com'),
      /** `user`: refresh token from a one-time PKCE authorisation; `client-credentials`: app-only token. */
      authMode: z.enum(['user', 'client-credentials']).default('user'),
      /**
       * Playlists to pull every run: ids, spotify: URIs or open.spotify.com URLs (normalised to ids), or
       * `{ "id": ..., "listener": "<name>" }` to read one with that listener's token (PlaylistRef).
       */
      playlists: z.array(playlistEntry).default([]),
      /** Also pull every playlist of the authorised user (/v1/me/playlists). Needs authMode user. */
      includeMyPlaylists: z.boolean().default(false),
      topItems: z
        .object({
          enabled: z.boolean().default(true),
          timeRanges: z.array(z.enum(TIME_RANGES)).nonempty().default([...TIME_RANGES]),
          limit: z.number().int().min(1).max(50).default(50),
        })
        .prefault({}),
      /** Page size of /v1/playlists/{id}/items; Spotify allows at most 50. */
      pageSize: z.number().int().min(1).max(50).default(50),
      market: z.string().regex(/^[A-Z]{2}$/).optional(),
      maxConcurrentRequests: z.number().int().min(1).max(16).default(4),
      requestTimeoutMs: z.number().int().min(100).max(60_000).default(10_000),
      maxRetries: z.number().int().min(0).max(10).default(5),
      /** Up to 5 listeners, each with their own refresh token (config/listeners.ts); none = the app secret's token. */
      listeners: ListenersSchema,
      /** Plays, saved tracks and followed artists of every listener (docs/extraction.md). */
      listening: ListeningConfigSchema,
    }),

    extract: z
      .object({
        /** EventBridge Scheduler expression; weekly by default (Mondays 06:00 UTC). */
        schedule: z.string().default('cron(0 6 ? * MON *)'),
        /**
         * EventBridge Scheduler expression of the plays poll: Spotify keeps only a listener's last 50 plays, so
         * hourly by default (50 plays is about 3 hours of listening); null turns the poll off.
         */
        playsSchedule: z.string().nullable().default('rate(1 hour)'),
        /** The plays poll's own budget: a few calls per listener. */
        playsTimeBudgetSeconds: z.number().int().min(10).max(880).default(120),
        /** The run stops cleanly (and says so) rather than sleep past this; below the Lambda timeout. */
        timeBudgetSeconds: z.number().int().min(10).max(880).default(780),
        lambdaMemoryMb: z.number().int().min(128).max(10_240).default(512),
        lambdaTimeoutSeconds: z.number().int().min(30).max(900).default(900),
      })
      .prefault({}),

    glue: z
      .object({
        glueVersion: z.literal('5.1').default('5.1'),
        workerType: z.enum(['G.1X', 'G.2X']).default('G.1X'),
        numberOfWorkers: z.number().int().min(2).max(20).default(2),
        timeoutMinutes: z.number().int().min(5).max(2880).default(60),
        /**
         * Crawl processed/ into the Glue Data Catalog after each successful transform (for Athena and other catalog
         * readers). A crawler run bills at least 10 minutes, more than the job itself (docs/costs.md); Snowflake
         * does not need it.
         */
        crawler: z.boolean().default(true),
        /**
         * When the crawler runs (Glue cron). Default: after each successful transform, except when plays are polled
         * (a transform an hour): then weekly, an hour after the weekly extract's default time (cron(0 7 ? * MON *)),
         * because 730 crawls a month at their 10-minute minimum would cost ~$110 (docs/benchmarks.md).
         */
        crawlerSchedule: z.string().nullable().default(null),
        /**
         * Whether this environment creates the log group every Glue crawler of the account and region writes to
         * (/aws-glue/crawlers; AWS names it, so it is one per account and region) with its own retention and key.
         * Exactly one environment of an account may own it; the others' crawlers write to it. Default: true.
         */
        ownsCrawlerLogGroup: z.boolean().default(true),
        /** Local Spark master for the local run. */
        localSparkMaster: z.string().default('local[2]'),
      })
      .prefault({}),

    snowflake: z
      .object({
        /** <orgname>-<account_name>; required to deploy the warehouse stack, unused locally. */
        organizationName: z.string().optional(),
        accountName: z.string().optional(),
        /** The key-pair user the provider and the CLI log in as (private key via SNOWFLAKE_PRIVATE_KEY*). */
        user: z.string().optional(),
        role: z.string().default('SYSADMIN'),
        /**
         * The key-pair user of main's plans (`pipeline deploy --plan-only`), granted the stack's <PREFIX>_PLANNER role
         * (sees every object, reads no row); its key lives in the `production` GitHub environment (docs/deploying.md).
         */
        planUser: z.string().optional(),
        /**
         * The key-pair user of pull requests' plans (`--plan-only --pull-request`): granted no role of the stack, it
         * only logs in (role PUBLIC) while Terraform compares the change with the state (docs/deploying.md).
         */
        prPlanUser: z.string().optional(),
        /**
         * The database, unique per environment: environments may share one Snowflake account. Default: SPOTIFY for
         * prod, SPOTIFY_<ENVIRONMENT> otherwise (defaultSnowflakeNames).
         */
        database: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'database must be an upper-case identifier').optional(),
        schema: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'schema must be an upper-case identifier').default('RAW'),
        /** The query warehouse, an account-wide name like the database. Default: <database>_WH (SPOTIFY_WH for prod). */
        warehouse: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'warehouse must be an upper-case identifier').optional(),
        /** Snowflake's own AWS user ARN for the storage integration (from DESC INTEGRATION); set after first deploy. */
        awsUserArn: z.string().optional(),
        /** External id the Snowflake IAM role trusts; we set it ourselves to break the cycle. */
        storageExternalId: z.string().min(8).optional(),
      })
      .prefault({}),

    /**
     * The GitHub repository whose workflow plans and deploys this environment: when set, the storage stack creates
     * its two AWS roles (pull-request planner, production deploy role; constructs/github-ci-identities.ts).
     * Needs aws.stateBackend. Default: none (no CI roles).
     */
    ci: z
      .object({
        /** `owner/name`. Required. */
        githubRepository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'githubRepository must be "owner/name"'),
        /** The GitHub environment whose jobs may deploy. */
        deployEnvironment: z.string().default('production'),
        /** One GitHub OIDC provider per AWS account: false in the environment that shares another's. */
        createOidcProvider: z.boolean().default(true),
      })
      .optional(),
    /**
     * When silence becomes an alarm (docs/warehouse.md, "Alerts"). The defaults follow the schedules: the weekly
     * run is committed and loaded within a day of its time, plays are polled hourly, every weekly run fills every pipe.
     */
    freshness: z
      .object({
        /** Hours without a weekly run committed and loaded before Snowflake alerts: a week and a day. */
        weeklyCommitHours: z.number().int().min(1).default(8 * 24),
        /** Hours without a plays poll stored for a listener before the compute stack's alarm: a day (at most a week). */
        playsSilentHours: z.number().int().min(1).max(7 * 24).default(24),
        /** Hours the commit records' pipe (loading's heartbeat) may ingest nothing before Snowflake alerts: a week and a day. */
        pipeIdleHours: z.number().int().min(1).default(8 * 24),
        /** Minutes a pipe may hold pending files while ingesting nothing. */
        pipePendingMinutes: z.number().int().min(1).default(120),
        /** When Snowflake runs the checks and the freshness alerts (cron, UTC): daily, after the daily plays batch and the weekly run. */
        snowflakeAlertCron: z.string().default('0 9 * * *'),
      })
      .prefault({}),

    local: z
      .object({
        /** A folder laid out like the bucket (raw/, processed/, rejects/). */
        bucketDir: z.string().default('.local/bucket'),
        /** The embedded DuckDB warehouse file. */
        warehouseFile: z.string().default('.local/warehouse.duckdb'),
        /** Git-ignored file holding local Spotify secrets (client id/secret, refresh token). */
        secretsFile: z.string().default('.local/spotify-secrets.json'),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const tooLong = namesOverLimit(config);
    if (tooLong.length > 0) {
      const worst = tooLong[0];
      const room = Math.min(...tooLong.map((n) => config.project.length - (n.name.length - n.limit)));
      ctx.addIssue({
        code: 'custom',
        path: ['project'],
        message:
          `project "${config.project}" makes the ${worst.what} name "${worst.name}" ${worst.name.length} characters long, ` +
          `over the limit of ${worst.limit}${tooLong.length > 1 ? ` (and ${tooLong.length - 1} more names)` : ''}. ` +
          `Use a project name of at most ${Math.max(room, 0)} characters.`,
      });
    }
    if (config.spotify.includeMyPlaylists && config.spotify.authMode !== 'user') {
      ctx.addIssue({
        code: 'custom',
        path: ['spotify', 'includeMyPlaylists'],
        message: 'includeMyPlaylists needs authMode "user": /v1/me/playlists has no meaning for an app-only token',
      });
    }
    // A playlist that names its listener names one the pipeline reads (none configured: the implicit one).
    const names = effectiveListeners(config.spotify.listeners).map((l) => l.name);
    config.spotify.playlists.forEach((ref, index) => {
      if (ref.listener === undefined) return;
      if (config.spotify.authMode !== 'user') {
        ctx.addIssue({ code: 'custom', path: ['spotify', 'playlists', index, 'listener'], message: 'a playlist read by a listener needs authMode "user"; give the plain id instead' });
      } else if (!names.includes(ref.listener)) {
        ctx.addIssue({
          code: 'custom',
          path: ['spotify', 'playlists', index, 'listener'],
          message: `listener "${ref.listener}" is not one the pipeline reads (${names.join(', ')}): add them to spotify.listeners, or name one of those`,
        });
      }
    });
    const listening = config.spotify.listening;
    // Any listener document switched on (one switch per listener document of schemas/raw-documents.json).
    const listens = config.spotify.authMode === 'user' && Object.values(listening).some(Boolean);
    if (config.spotify.playlists.length === 0 && !config.spotify.includeMyPlaylists && !config.spotify.topItems.enabled && !listens) {
      ctx.addIssue({
        code: 'custom',
        path: ['spotify', 'playlists'],
        message: 'nothing to extract: list playlists, or turn on includeMyPlaylists, topItems or spotify.listening',
      });
    }
  })
  .transform((config) => ({ ...config, snowflake: { ...config.snowflake, ...defaultSnowflakeNames(config) } }));

/**
 * The Snowflake database and warehouse when the configuration leaves them out. Both are account-wide names, so they
 * carry the environment (prod keeps the plain SPOTIFY and SPOTIFY_WH): dev and prod may share a Snowflake account.
 */
export function defaultSnowflakeNames(config: { environment: string; snowflake: { database?: string; warehouse?: string } }): {
  database: string;
  warehouse: string;
} {
  const database = config.snowflake.database ?? (config.environment === 'prod' ? 'SPOTIFY' : `SPOTIFY_${config.environment.toUpperCase()}`);
  return { database, warehouse: config.snowflake.warehouse ?? `${database}_WH` };
}

export type PipelineConfig = z.output<typeof PipelineConfigSchema>;
export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;
export type EnvironmentName = PipelineConfig['environment'];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a raw object; the error lists every problem as `path: message`, with the source named. */
export function parseConfig(raw: unknown, source = 'configuration'): PipelineConfig {
  const result = PipelineConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigError(`${source} is invalid:\n${problems.join('\n')}\nFix the file and run again.`);
}

export const CONFIG_DIR = resolve(__dirname, 'environments');

/** Loads config/environments/<env>.json, or an explicit file path. */
export function loadConfig(envOrPath: string = process.env.PIPELINE_ENV ?? 'local'): PipelineConfig {
  const file = envOrPath.endsWith('.json') ? resolve(envOrPath) : join(CONFIG_DIR, `${envOrPath}.json`);
  if (!existsSync(file)) {
    throw new ConfigError(
      `No configuration at ${file}. Pass an environment name (local, dev, prod) or the path of a JSON file.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const config = parseConfig(raw, file);
  refuseSharedNames(config, file);
  return config;
}

/**
 * The names environments could share only by configuration (every other name carries the prefix): the bucket, the
 * Snowflake database and warehouse, and the one crawler log group of an account and region.
 */
function configuredAccountNames(config: PipelineConfig): { what: string; name: string; account: string }[] {
  const aws = `AWS account ${config.aws.accountId} in ${config.aws.region}`;
  const snowflake = `Snowflake account ${config.snowflake.organizationName}-${config.snowflake.accountName}`;
  return [
    { what: 'S3 bucket', name: resourceNames(config).bucket, account: 'S3' },
    { what: 'Snowflake database', name: config.snowflake.database, account: snowflake },
    { what: 'Snowflake warehouse', name: config.snowflake.warehouse, account: snowflake },
    ...(config.glue.crawler && config.glue.ownsCrawlerLogGroup ? [{ what: 'crawler log group', name: '/aws-glue/crawlers', account: aws }] : []),
  ];
}

/**
 * Refuses a configuration that would create an object another environment file beside it creates too (dev and prod
 * may share accounts): the second deploy would fail, or the two states would fight over one object. Files that do
 * not validate are left to their own load.
 */
function refuseSharedNames(config: PipelineConfig, file: string): void {
  if (config.environment === 'local') return;
  const mine = configuredAccountNames(config);
  for (const sibling of readdirSync(dirname(file)).filter((f) => f.endsWith('.json')).map((f) => join(dirname(file), f))) {
    if (resolve(sibling) === resolve(file)) continue;
    let other: PipelineConfig;
    try {
      other = parseConfig(JSON.parse(readFileSync(sibling, 'utf8')), sibling);
    } catch {
      continue;
    }
    if (other.environment === 'local' || other.environment === config.environment) continue;
    const theirs = configuredAccountNames(other);
    for (const name of mine) {
      if (theirs.some((t) => t.what === name.what && t.name === name.name && t.account === name.account)) {
        throw new ConfigError(
          `${file} and ${sibling} both create the ${name.what} "${name.name}"${name.account === 'S3' ? '' : ` in the ${name.account}`}: ` +
            'the second deploy would fail with "already exists", and destroying one environment would delete the ' +
            "other's. Give one of them its own name" +
            (name.what === 'crawler log group' ? ' (set glue.ownsCrawlerLogGroup to false in all but one; docs/deploying.md).' : '.'),
        );
      }
    }
  }
}

/** Whether the stacks create the customer-managed pipeline key (aws.customerManagedKey; prod on, others off by default). */
export function usesCustomerManagedKey(config: PipelineConfig): boolean {
  return config.aws.customerManagedKey ?? config.environment === 'prod';
}

/** What resourceNames needs: the names depend on nothing else. */
export interface NameInputs {
  project: string;
  environment: string;
  aws: { bucketName?: string; accountId?: string };
  /** The listeners, whose secrets are named after them (config/listeners.ts listenerSecretId). Default: none. */
  spotify?: { listeners?: ListenerConfig[] };
}

/**
 * Resource names derived in one place so stacks, Lambdas and docs agree, and so validation can check their lengths
 * (nameLimits). Every name carries the prefix <project>-<environment>: environments never share one.
 */
export function resourceNames(config: NameInputs) {
  const prefix = `${config.project}-${config.environment}`;
  const extractFunction = `${prefix}-extract`;
  const snowflakePrefix = prefix.replace(/-/g, '_').toUpperCase();
  return {
    prefix,
    bucket: config.aws.bucketName ?? `${prefix}-${config.aws.accountId ?? 'data'}`,
    glueDatabase: `${config.project}_${config.environment}`.replace(/-/g, '_'),
    glueJob: `${prefix}-transform`,
    glueCrawler: `${prefix}-processed-crawler`,
    /** The crawler's and the job's IAM roles, the job's security configuration and its failure rule. */
    glueCrawlerRole: `${prefix}-glue-crawler`,
    glueTransformRole: `${prefix}-glue-transform`,
    glueSecurityConfiguration: `${prefix}-glue`,
    glueFailedRule: `${prefix}-glue-failed`,
    /** The crawler's Glue triggers: on its schedule, or after each successful transform. */
    crawlScheduledTrigger: `${prefix}-crawl-scheduled`,
    crawlAfterTransformTrigger: `${prefix}-crawl-after-transform`,
    extractFunction,
    startTransformFunction: `${prefix}-start-transform`,
    /** The extract's EventBridge Scheduler schedules (weekly, plays) and the role they invoke it with. */
    extractSchedules: { weekly: `${prefix}-weekly-extract`, plays: `${prefix}-plays-extract` },
    schedulerRole: `${prefix}-scheduler`,
    /** The pipeline key's alias (prod, or aws.customerManagedKey). */
    keyAlias: `alias/${prefix}`,
    spotifySecret: `${prefix}/spotify`,
    /** The failures queue, the alarm topic and the alarm on the queue (constructs/pipeline-alerts.ts). */
    failuresQueue: `${prefix}-failures`,
    alarmTopic: `${prefix}-alarms`,
    failuresAlarm: `${prefix}-failed-invocations`,
    snowflakeIntegrationRole: `${prefix}-snowflake-s3-read`,
    snowflakeNotificationRole: `${prefix}-snowflake-sns-publish`,
    /** The CI identities (constructs/github-ci-identities.ts): the pull-request planner and main's deploy role. */
    githubPullRequestPlanRole: `${prefix}-github-pr-plan`,
    githubDeployRole: `${prefix}-github-deploy`,
    /** The alarm 14 days before a listener's refresh token expires (constructs/token-expiry-alarm.ts). */
    tokenExpiryAlarm: `${extractFunction}-token-expiry`,
    /** The alarm when a polled listener has had no plays stored for a day (constructs/freshness-alarms.ts). */
    playsSilentAlarm: `${prefix}-plays-silent`,
    /** Upper-case prefix of Snowflake account objects (integrations, roles), e.g. SPOTIFY_PIPELINE_DEV. */
    snowflakePrefix,
    /** The Snowflake account objects: the two integrations and the three roles (constructs/warehouse-access.ts). */
    snowflakeAccountObjects: {
      processedIntegration: `${snowflakePrefix}_PROCESSED`,
      pipeErrorsIntegration: `${snowflakePrefix}_PIPE_ERRORS`,
      loaderRole: `${snowflakePrefix}_LOADER`,
      analystRole: `${snowflakePrefix}_ANALYST`,
      plannerRole: `${snowflakePrefix}_PLANNER`,
    },
  };
}

export type ResourceNames = ReturnType<typeof resourceNames>;

/** AWS's and Snowflake's longest names, per kind of object (the limits validation holds every derived name to). */
export const NAME_LIMITS = {
  'S3 bucket': 63,
  'IAM role': 64,
  'IAM role policy': 128,
  'Lambda function': 64,
  'EventBridge Scheduler schedule': 64,
  'EventBridge rule': 64,
  'SQS queue': 80,
  'SNS topic': 256,
  'CloudWatch alarm': 255,
  'CloudWatch log group': 512,
  'Glue job': 255,
  'Glue crawler': 255,
  'Glue trigger': 255,
  'Glue security configuration': 255,
  'Glue database': 255,
  'Secrets Manager secret': 512,
  'KMS alias': 256,
  'Snowflake identifier': 255,
} as const;

export type NameKind = keyof typeof NAME_LIMITS;

/**
 * Every name the stacks derive from the prefix, with its kind: resourceNames, and what the constructs build from
 * those (a role's inline policy `<role>-policy`, a Lambda's log group and alarms, the job's log groups). __tests__/stacks/name-limits.test.ts synthesises the
 * longest project this accepts and holds every synthesised name to NAME_LIMITS, so a new name that could overflow
 * fails there first.
 */
export function derivedNames(config: NameInputs): { what: NameKind; name: string }[] {
  const n = resourceNames(config);
  const roles = [n.extractFunction, n.startTransformFunction, n.glueCrawlerRole, n.glueTransformRole, n.schedulerRole, n.snowflakeIntegrationRole, n.snowflakeNotificationRole];
  // The CI roles exist only where ci.githubRepository is set; their names are checked everywhere (a later setting
  // must not be refused for a project name already deployed).
  const ciRoles = [n.githubPullRequestPlanRole, n.githubDeployRole];
  const functions = [n.extractFunction, n.startTransformFunction];
  return [
    ...(config.aws.bucketName ? [] : [{ what: 'S3 bucket' as const, name: n.bucket }]),
    ...roles.map((name) => ({ what: 'IAM role' as const, name })),
    ...roles.map((name) => ({ what: 'IAM role policy' as const, name: `${name}-policy` })),
    ...ciRoles.map((name) => ({ what: 'IAM role' as const, name })),
    { what: 'IAM role policy', name: `${n.githubPullRequestPlanRole}-policy` },
    ...functions.map((name) => ({ what: 'Lambda function' as const, name })),
    ...functions.map((name) => ({ what: 'CloudWatch log group' as const, name: `/aws/lambda/${name}` })),
    ...functions.map((name) => ({ what: 'CloudWatch alarm' as const, name: `${name}-errors` })),
    { what: 'CloudWatch alarm', name: `${n.extractFunction}-stopped-early` },
    { what: 'CloudWatch alarm', name: n.failuresAlarm },
    { what: 'CloudWatch alarm', name: n.tokenExpiryAlarm },
    { what: 'CloudWatch alarm', name: n.playsSilentAlarm },
    ...Object.values(n.extractSchedules).map((name) => ({ what: 'EventBridge Scheduler schedule' as const, name })),
    { what: 'EventBridge rule', name: n.glueFailedRule },
    { what: 'SQS queue', name: n.failuresQueue },
    { what: 'SNS topic', name: n.alarmTopic },
    { what: 'Glue job', name: n.glueJob },
    ...['error', 'output'].map((stream) => ({ what: 'CloudWatch log group' as const, name: `/aws-glue/jobs/${n.glueJob}/${stream}` })),
    { what: 'Glue crawler', name: n.glueCrawler },
    { what: 'Glue trigger', name: n.crawlScheduledTrigger },
    { what: 'Glue trigger', name: n.crawlAfterTransformTrigger },
    { what: 'Glue security configuration', name: n.glueSecurityConfiguration },
    { what: 'Glue database', name: n.glueDatabase },
    { what: 'Secrets Manager secret', name: n.spotifySecret },
    { what: 'KMS alias', name: n.keyAlias },
    ...Object.values(n.snowflakeAccountObjects).map((name) => ({ what: 'Snowflake identifier' as const, name })),
  ];
}

/** The derived names over their limit, longest overflow first (none for the local environment: it has no stacks). */
export function namesOverLimit(config: NameInputs): { what: NameKind; name: string; limit: number }[] {
  if (config.environment === 'local') return [];
  return derivedNames(config)
    .map((n) => ({ ...n, limit: NAME_LIMITS[n.what] }))
    .filter((n) => n.name.length > n.limit)
    .sort((a, b) => b.name.length - b.limit - (a.name.length - a.limit));
}

/** Plays are polled on their own schedule (a plays run every extract.playsSchedule). */
export function pollsPlays(config: PipelineConfig): boolean {
  return config.extract.playsSchedule !== null && config.spotify.listening.plays && config.spotify.authMode === 'user';
}

/** The crawler's schedule: configured, or weekly when plays are polled, or none (after each transform). */
export function crawlerSchedule(config: PipelineConfig): string | null {
  return config.glue.crawlerSchedule ?? (pollsPlays(config) ? 'cron(0 7 ? * MON *)' : null);
}
