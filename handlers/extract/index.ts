/**
 * The extract Lambda: a thin adapter around extractRun(). It reads the configuration from the environment
 * the compute stack sets, the Spotify credentials from Secrets Manager, derives the run id from the schedule's
 * event (so a retried or re-delivered event resumes the same run from its checkpoint, or finds it complete),
 * and emits structured logs and one EMF metric set per run. `pipeline extract` runs the same handler locally.
 * A scheduled run is claimed in S3 first (claims/extract/<run id>.json, handlers/shared/run-claim.ts) with a short
 * lease (CLAIM_LEASE_SECONDS) that the attempt renews while it runs: a duplicate delivery while it runs, or after it
 * finished, does nothing; a retry after a failed attempt takes the claim over at once, and one after an attempt that
 * died (out of memory, runtime exit) as soon as the dead attempt's lease lapses; either runs the same run id again,
 * which resumes it from its checkpoint. An attempt that lost its claim writes nothing more (fencedWriter).
 *
 * `mode: "plays"` (the plays schedule's events) polls the listeners' plays alone, within extract.playsTimeBudgetSeconds.
 * The app's client id and every configured listener's refresh token live in one secret, SPOTIFY_SECRET_ARN
 * (`listeners.<name>`; a listener may name a secret of their own: config/listeners.ts).
 *
 * Environment: PIPELINE_CONFIG (the validated pipeline configuration, JSON), BUCKET_NAME, SPOTIFY_SECRET_ARN;
 * optional POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { DEFAULT_LISTENER_NAME } from '../../config/listeners';
import { parseConfig, type PipelineConfig } from '../../config/pipeline-config';
import { S3ObjectWriter, type RawObjectWriter } from '../shared/raw-writer';
import { ListenerCredentialStore, SharedSecretListenerStore, SpotifySecretStore, type SpotifyCredentialStore } from '../shared/spotify-secret';
import { COUNTS, isListeningKind } from '../../schemas/raw-documents';
import { RUN_ID_PATTERN, runIdStartedAt, type PlaysGap, type StoppedEarly } from '../shared/manifest';
import { ClaimLostError, RunClaims, type HeldClaim } from '../shared/run-claim';
import {
  EXTRACT_ENV,
  EXTRACT_REQUIRED_ENV,
  EXTRACT_SERVICE,
  METRICS_NAMESPACE,
  OUTCOME_METRICS,
  REFRESH_TOKEN_DAYS_LEFT_METRIC,
} from '../shared/runtime-contract';
import {
  ExtractFailedError,
  extractRun,
  newRunId,
  type BackoffOptions,
  type ExtractListenerInput,
  type ExtractProgressEvent,
  type MinimalLogger,
} from './extract-run';
import { systemClock, type Clock } from './spotify-http';
import { describeLifetime, reauthorizeCommand, tokenLifetime, type TokenLifetime } from '../shared/token-lifetime';

/**
 * What the function accepts. All fields optional:
 * - an EventBridge rule event carries `id` and `time`;
 * - the compute stack's EventBridge Scheduler target passes `id: weekly-<aws.scheduler.scheduled-time>` and
 *   `scheduledTime` (the scheduled time survives the Scheduler's retries; an execution id does not);
 *   `executionId` is still accepted as a seed for callers that have one;
 * - a manual invoke (backfill, one-off) may set `runId`, `playlists`, `includeMyPlaylists`, `topItems`;
 * - `mode: "plays"` polls the listeners' plays alone (the plays schedule sends it); default `full`.
 */
export const ExtractEventSchema = z
  .object({
    id: z.string().optional(),
    time: z.iso.datetime({ offset: true }).optional(),
    executionId: z.string().optional(),
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    runId: z.string().regex(RUN_ID_PATTERN, 'runId must look like 20261125T060000Z-a1b2c3').optional(),
    playlists: z.array(z.string()).optional(),
    includeMyPlaylists: z.boolean().optional(),
    topItems: z.boolean().optional(),
    mode: z.enum(['full', 'plays']).optional(),
  })
  .loose();
export type ExtractEvent = z.input<typeof ExtractEventSchema>;

export interface ExtractHandlerResult {
  runId: string;
  /** `skipped`: a scheduled run another attempt holds (`held`) or finished (`done`); see `skipped`. */
  status: 'complete' | 'partial' | 'skipped';
  skipped?: 'held' | 'done';
  manifestKey: string;
  counts: Record<string, number>;
  errors: number;
  stoppedEarly: string | null;
  /** Why it stopped early (the manifest's stopped_early.reason, e.g. `quota_exceeded`), if it did. */
  stopReason?: StoppedEarly['reason'] | null;
  /** The run id already had its manifest: nothing was fetched. */
  alreadyComplete: boolean;
  /** This invocation finished a run an earlier one had left unfinished. */
  resumed: boolean;
  /** Plays polls that may have missed plays (the manifest's plays_gaps). */
  playsGaps?: PlaysGap[];
  /** Each listener's refresh token lifetime (six months from their authorisation), as the run found it. */
  tokens?: TokenLifetime[];
}

/** What the handler needs of a logger and a metrics sink: Powertools' Logger and Metrics, or the CLI's own. */
export type ExtractLogger = MinimalLogger & { appendKeys(keys: Record<string, unknown>): void; addContext(context: Context): void };
export interface ExtractMetrics {
  addDimension(name: string, value: string): unknown;
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  publishStoredMetrics(): unknown;
}

export interface ExtractHandlerDeps {
  config: PipelineConfig;
  writer: RawObjectWriter;
  secrets: SpotifyCredentialStore & { invalidate?(): void };
  logger: ExtractLogger;
  metrics: ExtractMetrics;
  backoff?: BackoffOptions;
  onProgress?: (event: ExtractProgressEvent) => void;
  /** Run claims (S3); scheduled runs are claimed before they start. */
  claims?: RunClaims;
  /** The listeners, each with their own credentials; default: one listener on `secrets`. */
  listeners?: ExtractListenerInput[];
  /** The clock of the claim's lease, heartbeat and wait (the machine's by default; tests give a fake one). */
  clock?: Clock;
}

/**
 * The lease of a scheduled run's claim. Short, so that a retry after an attempt that died waits at most this long
 * before it takes the run over; the running attempt renews it every CLAIM_HEARTBEAT_MS, so it never lapses while
 * the attempt lives (two renewals may fail in a row before it would).
 */
export const CLAIM_LEASE_SECONDS = 60;
export const CLAIM_HEARTBEAT_MS = (CLAIM_LEASE_SECONDS * 1000) / 3;
/** How long a delivery that finds the run held waits to see the lease renewed (alive) or lapse (dead): two leases. */
export const CLAIM_WAIT_MS = 2 * CLAIM_LEASE_SECONDS * 1000 + 5000;

/**
 * Each listener's token lifetime from their stored `authorizedAt`: unknown when it was never recorded, or when the
 * credentials cannot be read (the run itself then says why).
 */
export async function tokenLifetimes(deps: Pick<ExtractHandlerDeps, 'secrets' | 'listeners'>, now: Date): Promise<TokenLifetime[]> {
  const listeners = deps.listeners?.length ? deps.listeners : [{ name: DEFAULT_LISTENER_NAME, credentials: deps.secrets }];
  const configured = Boolean(deps.listeners?.length);
  return Promise.all(
    listeners.map(async (listener) => {
      const store = listener.credentials as SpotifyCredentialStore;
      const authorizedAt = typeof store.load === 'function' ? await store.load().then((c) => c.authorizedAt, () => undefined) : (listener.credentials as { authorizedAt?: string }).authorizedAt;
      return tokenLifetime(listener.name, authorizedAt, now, reauthorizeCommand(configured ? listener.name : null));
    }),
  );
}

/**
 * RefreshTokenDaysLeft, the fewest days any listener's token has left (listeners with an unknown lifetime have none),
 * goes out on every full run and on the plays poll of the 00 UTC hour: a day's worth for the alarm (which treats a
 * missing day as breaching) at one reported hour a day, not 24 (CloudWatch bills a metric by the hours it is reported).
 */
export function reportsTokenLifetime(mode: 'full' | 'plays', startedAt: Date): boolean {
  return mode === 'full' || startedAt.getUTCHours() === 0;
}

/**
 * The writer as long as this attempt holds its claim: once the claim is lost (taken over after this attempt's lease
 * lapsed, e.g. the process was frozen) or its lease ran out unrenewed, every write throws, so two attempts never
 * both write a run's objects or its manifest.
 */
export function fencedWriter(writer: RawObjectWriter, claim: HeldClaim, clock: Clock): RawObjectWriter {
  return {
    put: async (key, body, contentType) => {
      if (!claim.holds(clock.now())) throw new ClaimLostError(claim.key);
      return writer.put(key, body, contentType);
    },
    get: (key) => writer.get(key),
    stat: (key) => writer.stat(key),
    describe: () => writer.describe(),
  };
}

/** Scheduled (Scheduler or EventBridge rule) deliveries are claimed; an explicit runId is a deliberate re-run. */
export function isScheduledRun(event: z.output<typeof ExtractEventSchema>): boolean {
  return !event.runId && Boolean(event.scheduledTime ?? event.time);
}

/** The run id and its start time, from the event: the same event always gives the same run id. */
export function runIdentity(event: z.output<typeof ExtractEventSchema>, now = new Date()): { runId: string; startedAt: Date } {
  const time = event.scheduledTime ?? event.time;
  const startedAt = time ? new Date(time) : now;
  // An explicit run id (resuming or re-running a given run) carries its own start time.
  if (event.runId) return { runId: event.runId, startedAt: runIdStartedAt(event.runId) };
  const seed = event.executionId ?? event.id;
  return { runId: newRunId(startedAt, seed, { plays: event.mode === 'plays' }), startedAt };
}

export function createExtractHandler(deps: ExtractHandlerDeps | (() => ExtractHandlerDeps)) {
  let resolved: ExtractHandlerDeps | null = null;
  return async (rawEvent: unknown, context?: Context): Promise<ExtractHandlerResult> => {
    resolved ??= typeof deps === 'function' ? deps() : deps;
    const { config, writer, secrets, logger, metrics } = resolved;
    if (context) logger.addContext(context);
    const parsed = ExtractEventSchema.safeParse(rawEvent ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
      logger.error('invalid event', { problems });
      throw new ExtractFailedError(`invalid event: ${problems}`);
    }
    const event = parsed.data;
    const { runId, startedAt } = runIdentity(event);
    logger.appendKeys({ runId });
    const override =
      event.playlists || event.includeMyPlaylists !== undefined || event.topItems !== undefined
        ? { playlists: event.playlists, includeMyPlaylists: event.includeMyPlaylists, topItems: event.topItems }
        : undefined;
    let claim: HeldClaim | undefined;
    const clock = resolved.clock ?? systemClock;
    if (resolved.claims && isScheduledRun(event)) {
      const claimed = await resolved.claims.claimWhenFree('extract', runId, {
        owner: context?.awsRequestId ?? 'extract',
        leaseSeconds: CLAIM_LEASE_SECONDS,
        clock,
        maxWaitMs: CLAIM_WAIT_MS,
      });
      if (claimed.status !== 'claimed') {
        logger.info('scheduled run already claimed; this delivery does nothing', { claim: claimed.status, owner: claimed.record.owner, attempt: claimed.record.attempt });
        return {
          runId,
          status: 'skipped',
          skipped: claimed.status,
          manifestKey: claimed.record.detail.manifest_key ?? '',
          counts: {},
          errors: 0,
          stoppedEarly: null,
          alreadyComplete: claimed.status === 'done',
          resumed: false,
        };
      }
      claim = claimed.claim;
      if (claimed.takenOverFrom) logger.info('taking over the run from an attempt that failed or died', { previous: claimed.takenOverFrom });
    }
    const heartbeat = claim?.keepAlive({
      clock,
      leaseSeconds: CLAIM_LEASE_SECONDS,
      everyMs: CLAIM_HEARTBEAT_MS,
      onLost: (error) => logger.error('another attempt took the run over; this attempt writes nothing more', { error }),
      onError: (error) => logger.warn('renewing the claim failed; trying again at the next beat', { error: error as Error }),
    });
    const runWriter = claim ? fencedWriter(writer, claim, clock) : writer;
    const tokens = await tokenLifetimes(resolved, new Date(clock.now()));
    for (const lifetime of tokens) {
      const line = describeLifetime(lifetime);
      if (!lifetime.known || lifetime.warn) logger.warn(line, { listener: lifetime.listener });
      else logger.info(line, { listener: lifetime.listener, daysLeft: lifetime.daysLeft });
    }
    const known = tokens.flatMap((t) => (t.known ? [t.daysLeft] : []));
    const mode = event.mode ?? 'full';
    logger.info('extract starting', { writer: writer.describe(), mode, override: override ?? null, authMode: config.spotify.authMode });
    metrics.addDimension('environment', config.environment);
    try {
      const result = await extractRun({
        spotify: config.spotify,
        timeBudgetSeconds: mode === 'plays' ? config.extract.playsTimeBudgetSeconds : config.extract.timeBudgetSeconds,
        credentials: secrets,
        mode,
        listeners: resolved.listeners,
        writer: runWriter,
        runId,
        startedAt,
        override,
        logger,
        backoff: resolved.backoff,
        onProgress: resolved.onProgress,
      });
      const { manifest } = result;
      const c = manifest.counts;
      // A run found complete was counted by the invocation that completed it. A plays run (hourly) reports its counts (Plays)
      // and the failure metrics only when they are not zero: CloudWatch bills a metric $0.30 a month prorated by the
      // hours it is reported in, so each metric reported every hour costs the full $0.30 (the alarms treat missing
      // data as not breaching). The weekly run reports everything.
      const failureCounts: Array<[string, number]> = [
        ['StoppedEarly', manifest.stopped_early ? 1 : 0],
        // Listeners not read in full: refused credentials, or a document of theirs that failed (a missing scope's 403).
        ['ListenersFailed', new Set(manifest.errors.filter((e) => e.kind === 'listener' || isListeningKind(e.kind)).map((e) => e.entity_id)).size],
        ['PlaysGaps', manifest.plays_gaps?.length ?? 0],
      ];
      if (!result.alreadyComplete) {
        // Every count schemas/raw-documents.json gives a metric, from the weekly run. A plays run reports none of
        // them: no alarm reads its hourly counts (PlaysStored below is the one its alarm reads), and a metric
        // reported every hour costs $0.30 a month; its counts are in its log line and manifest.
        for (const count of COUNTS) {
          if (count.metric && mode === 'full') metrics.addMetric(count.metric, MetricUnit.Count, c[count.name] ?? 0);
        }
        if (mode === 'full') metrics.addMetric('EntityErrors', MetricUnit.Count, manifest.errors.length);
        for (const [name, value] of failureCounts) if (mode === 'full' || value > 0) metrics.addMetric(name, MetricUnit.Count, value);
        // The listeners whose plays were stored (a poll with none counts): below the polled listeners for a day is an alarm.
        if (mode === 'plays' || manifest.objects.some((o) => o.kind === 'plays')) {
          const stored = new Set(manifest.objects.filter((o) => o.kind === 'plays' && o.fetched_in_run === runId).map((o) => o.entity_id));
          metrics.addMetric(OUTCOME_METRICS.playsStored, MetricUnit.Count, stored.size);
        }
      }
      if (mode === 'full') metrics.addMetric('ExtractFailed', MetricUnit.Count, 0);
      for (const error of manifest.errors) {
        logger.warn('entity not extracted', { kind: error.kind, entityId: error.entity_id, httpStatus: error.http_status, message: error.message });
      }
      logger.info(result.alreadyComplete ? 'run already complete; nothing extracted' : 'extract finished', {
        status: manifest.status,
        manifestKey: result.manifestKey,
        counts: c,
        stoppedEarly: manifest.stopped_early,
        resumed: result.resumed,
      });
      await heartbeat?.stop();
      await claim
        ?.done({ manifest_key: result.manifestKey, status: manifest.status })
        .catch((claimError: unknown) => logger.warn('the run finished but its claim could not be marked done', { error: claimError as Error }));
      return {
        runId,
        status: manifest.status,
        manifestKey: result.manifestKey,
        counts: { ...c },
        errors: manifest.errors.length,
        stoppedEarly: manifest.stopped_early?.message ?? null,
        stopReason: manifest.stopped_early?.reason ?? null,
        alreadyComplete: result.alreadyComplete,
        resumed: result.resumed,
        playsGaps: manifest.plays_gaps ?? [],
        tokens,
      };
    } catch (error) {
      metrics.addMetric('ExtractFailed', MetricUnit.Count, 1);
      // A refused token may mean the secret changed under a warm container: read it afresh next time.
      secrets.invalidate?.();
      for (const listener of resolved.listeners ?? []) (listener.credentials as { invalidate?(): void }).invalidate?.();
      logger.error('extract failed; no manifest was written (a retry of this event resumes from the checkpoint)', { error: error as Error });
      // Release the claim so that the retry of this delivery runs the same run id again (and resumes it).
      await heartbeat?.stop();
      await claim?.failed(error).catch((releaseError: unknown) =>
        logger.warn('could not mark the claim failed; the retry waits for its lease to end', { error: releaseError as Error }),
      );
      throw error;
    } finally {
      await heartbeat?.stop();
      if (known.length > 0 && reportsTokenLifetime(mode, startedAt)) metrics.addMetric(REFRESH_TOKEN_DAYS_LEFT_METRIC, MetricUnit.Count, Math.min(...known));
      metrics.publishStoredMetrics();
    }
  };
}

/**
 * Each configured listener with their refresh token (a rotated one is written back there) beside the app's client id
 * and secret: in the app secret itself (`listeners.<name>`, what `pipeline authorize --listener <name> --store aws`
 * writes: one secret for every listener), or in a secret of their own when `refreshToken.awsSecretId` names one.
 * None configured: undefined, and the app secret's own token is read.
 */
export function listenersWithSecrets(
  config: PipelineConfig,
  app: SpotifyCredentialStore,
  secretsManager: SecretsManagerClient,
  appSecretId: string,
): ExtractListenerInput[] | undefined {
  if (config.spotify.listeners.length === 0) return undefined;
  return config.spotify.listeners.map((l) => ({
    name: l.name,
    credentials: new ListenerCredentialStore(
      l.name,
      app,
      l.refreshToken.awsSecretId
        ? new SpotifySecretStore(secretsManager, l.refreshToken.awsSecretId, undefined, undefined, { listenerToken: true })
        : new SharedSecretListenerStore(secretsManager, appSecretId, l.name),
    ),
  }));
}

/** The handler's dependencies from the environment constructs/extract-function.ts sets (handlers/shared/runtime-contract.ts). */
export function depsFromEnvironment(env: NodeJS.ProcessEnv = process.env): ExtractHandlerDeps {
  const missing = EXTRACT_REQUIRED_ENV.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(`the extract function is missing environment variables ${missing.join(', ')} (set by the compute stack; see docs/extraction.md)`);
  }
  const bucket = env[EXTRACT_ENV.bucket] as string;
  let rawConfig: unknown;
  try {
    rawConfig = JSON.parse(env[EXTRACT_ENV.config] as string);
  } catch (error) {
    throw new Error(`${EXTRACT_ENV.config} is not valid JSON: ${(error as Error).message}`);
  }
  const config = parseConfig(rawConfig, EXTRACT_ENV.config);
  const s3 = new S3Client({});
  const secretsManager = new SecretsManagerClient({});
  const app = new SpotifySecretStore(secretsManager, env[EXTRACT_ENV.spotifySecretArn] as string);
  const serviceName = env[EXTRACT_ENV.serviceName] ?? EXTRACT_SERVICE;
  return {
    config,
    writer: new S3ObjectWriter(s3, bucket),
    claims: new RunClaims(s3, bucket),
    secrets: app,
    listeners: listenersWithSecrets(config, app, secretsManager, env[EXTRACT_ENV.spotifySecretArn] as string),
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: env[EXTRACT_ENV.metricsNamespace] ?? METRICS_NAMESPACE, serviceName }),
  };
}

export const handler = createExtractHandler(() => depsFromEnvironment());
