/**
 * The extract Lambda: a thin adapter around extractRun(). It reads the configuration from the environment
 * the compute stack sets, the Spotify credentials from Secrets Manager, derives the run id from the schedule's
 * event (so a retried or re-delivered event resumes the same run from its checkpoint, or finds it complete),
 * and emits structured logs and one EMF metric set per run. `pipeline extract` runs the same handler locally.
 * A scheduled run is claimed in S3 first (claims/extract/<run id>.json, handlers/shared/run-claim.ts): a duplicate
 * delivery while it runs, or after it finished, does nothing; a retry after a failed or timed-out attempt takes
 * the claim over and runs the same run id again, which resumes it from its checkpoint.
 *
 * `mode: "plays"` (the plays schedule's events) polls the listeners' plays alone, within extract.playsTimeBudgetSeconds.
 * Each configured listener's refresh token lives in their own secret (config/listeners.ts), the app's client id in
 * SPOTIFY_SECRET_ARN.
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
import { listenerSecretId } from '../../config/listeners';
import { parseConfig, resourceNames, type PipelineConfig } from '../../config/pipeline-config';
import { S3ObjectWriter, type RawObjectWriter } from '../shared/raw-writer';
import { ListenerCredentialStore, SpotifySecretStore, type SpotifyCredentialStore } from '../shared/spotify-secret';
import { COUNTS, isListeningKind } from '../../schemas/raw-documents';
import { RUN_ID_PATTERN, runIdStartedAt, type PlaysGap, type StoppedEarly } from '../shared/manifest';
import { RunClaims, type HeldClaim } from '../shared/run-claim';
import { EXTRACT_ENV, EXTRACT_REQUIRED_ENV, EXTRACT_SERVICE, METRICS_NAMESPACE } from '../shared/runtime-contract';
import {
  ExtractFailedError,
  extractRun,
  newRunId,
  type BackoffOptions,
  type ExtractListenerInput,
  type ExtractProgressEvent,
  type MinimalLogger,
} from './extract-run';

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
}

/** A claim outlives the invocation that took it by this much, so it never lapses while its holder still runs. */
export const LEASE_MARGIN_SECONDS = 30;

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
    if (resolved.claims && isScheduledRun(event)) {
      const leaseSeconds = Math.ceil((context?.getRemainingTimeInMillis() ?? config.extract.lambdaTimeoutSeconds * 1000) / 1000) + LEASE_MARGIN_SECONDS;
      const claimed = await resolved.claims.claim('extract', runId, { owner: context?.awsRequestId ?? 'extract', leaseSeconds });
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
      if (claimed.takenOverFrom) logger.info('taking over the run from an attempt that failed or timed out', { previous: claimed.takenOverFrom });
    }
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
        writer,
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
        // Every count schemas/raw-documents.json gives a metric; a plays run only those it marks plays_runs.
        for (const count of COUNTS) {
          if (count.metric && (mode === 'full' || count.playsRuns)) metrics.addMetric(count.metric, MetricUnit.Count, c[count.name] ?? 0);
        }
        if (mode === 'full') metrics.addMetric('EntityErrors', MetricUnit.Count, manifest.errors.length);
        for (const [name, value] of failureCounts) if (mode === 'full' || value > 0) metrics.addMetric(name, MetricUnit.Count, value);
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
      };
    } catch (error) {
      metrics.addMetric('ExtractFailed', MetricUnit.Count, 1);
      // A refused token may mean the secret changed under a warm container: read it afresh next time.
      secrets.invalidate?.();
      for (const listener of resolved.listeners ?? []) (listener.credentials as { invalidate?(): void }).invalidate?.();
      logger.error('extract failed; no manifest was written (a retry of this event resumes from the checkpoint)', { error: error as Error });
      // Release the claim so that the retry of this delivery runs the same run id again (and resumes it).
      await claim?.failed(error).catch((releaseError: unknown) =>
        logger.warn('could not mark the claim failed; the retry waits for its lease to end', { error: releaseError as Error }),
      );
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** Production wiring from the environment; built on the first invocation and reused while the container is warm. */
/**
 * Each configured listener with their own secret (their refresh token; a rotated one is written back there) beside
 * the app secret (client id and secret). None configured: undefined, and the app secret's own token is read.
 */
export function listenersWithSecrets(
  config: PipelineConfig,
  app: SpotifyCredentialStore,
  secretsManager: SecretsManagerClient,
  prefix = resourceNames(config).prefix,
): ExtractListenerInput[] | undefined {
  if (config.spotify.listeners.length === 0) return undefined;
  return config.spotify.listeners.map((l) => ({
    name: l.name,
    credentials: new ListenerCredentialStore(l.name, app, new SpotifySecretStore(secretsManager, listenerSecretId(prefix, l), undefined, undefined, { listenerToken: true })),
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
  const prefix = resourceNames(config).prefix;
  const serviceName = env[EXTRACT_ENV.serviceName] ?? EXTRACT_SERVICE;
  return {
    config,
    writer: new S3ObjectWriter(s3, bucket),
    claims: new RunClaims(s3, bucket),
    secrets: app,
    listeners: listenersWithSecrets(config, app, secretsManager, prefix),
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: env[EXTRACT_ENV.metricsNamespace] ?? METRICS_NAMESPACE, serviceName }),
  };
}

export const handler = createExtractHandler(() => depsFromEnvironment());
