/**
 * The one typed, validated configuration of the pipeline.
 *
 * Every value the stacks, the Lambdas and the local run need to vary lives here, with one JSON file per
 * environment in config/environments/. The same schema validates all of them, so a typo in prod.json fails
 * `cdktf synth` and `make run` alike, with the file and the field named.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { effectiveListeners, ListenerNameSchema, ListeningConfigSchema, ListenersSchema } from './listeners';

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
         * The read-only key-pair user of pull-request plans (`pipeline deploy --plan-only`), granted the stack's
         * <PREFIX>_PLANNER role; its key is the only Snowflake key a pull request sees (docs/deploying.md).
         */
        planUser: z.string().optional(),
        database: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'database must be an upper-case identifier').default('SPOTIFY'),
        schema: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'schema must be an upper-case identifier').default('RAW'),
        warehouse: z.string().regex(/^[A-Z][A-Z0-9_]*$/).default('SPOTIFY_WH'),
        /** Snowflake's own AWS user ARN for the storage integration (from DESC INTEGRATION); set after first deploy. */
        awsUserArn: z.string().optional(),
        /** External id the Snowflake IAM role trusts; we set it ourselves to break the cycle. */
        storageExternalId: z.string().min(8).optional(),
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
  });

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
  return parseConfig(raw, file);
}

/** Whether the stacks create the customer-managed pipeline key (aws.customerManagedKey; prod on, others off by default). */
export function usesCustomerManagedKey(config: PipelineConfig): boolean {
  return config.aws.customerManagedKey ?? config.environment === 'prod';
}

/** Resource names derived in one place so stacks, Lambdas and docs agree. */
export function resourceNames(config: PipelineConfig) {
  const prefix = `${config.project}-${config.environment}`;
  return {
    prefix,
    bucket: config.aws.bucketName ?? `${prefix}-${config.aws.accountId ?? 'data'}`,
    glueDatabase: `${config.project}_${config.environment}`.replace(/-/g, '_'),
    glueJob: `${prefix}-transform`,
    glueCrawler: `${prefix}-processed-crawler`,
    extractFunction: `${prefix}-extract`,
    startTransformFunction: `${prefix}-start-transform`,
    spotifySecret: `${prefix}/spotify`,
    snowflakeIntegrationRole: `${prefix}-snowflake-s3-read`,
    snowflakeNotificationRole: `${prefix}-snowflake-sns-publish`,
    /** Upper-case prefix of Snowflake account objects (integrations, roles), e.g. SPOTIFY_PIPELINE_DEV. */
    snowflakePrefix: prefix.replace(/-/g, '_').toUpperCase(),
  };
}

/** Plays are polled on their own schedule (a plays run every extract.playsSchedule). */
export function pollsPlays(config: PipelineConfig): boolean {
  return config.extract.playsSchedule !== null && config.spotify.listening.plays && config.spotify.authMode === 'user';
}

/** The crawler's schedule: configured, or weekly when plays are polled, or none (after each transform). */
export function crawlerSchedule(config: PipelineConfig): string | null {
  return config.glue.crawlerSchedule ?? (pollsPlays(config) ? 'cron(0 7 ? * MON *)' : null);
}
