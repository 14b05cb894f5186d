/**
 * The extract itself, as a plain function: the Lambda adapter (index.ts), `pipeline extract` and the local run
 * all call it. It pulls the configured playlists (and optionally the user's own) and the user's top items, and
 * for every listener (each with their own token) their plays since their cursor, saved tracks and followed
 * artists; writes each as a raw object per docs/data-contracts.md, and writes the run manifest LAST. No manifest =
 * no complete run. A plays run (`mode: 'plays'`, the frequent schedule) reads only the listeners' plays. Each
 * listener's plays cursor moves only after the manifest is written.
 *
 * One listener whose token is refused (revoked, missing) is an error in the manifest, not a stop: the others are
 * extracted in full. Top lists and playlists are personal: each listener's top lists are read with their own token
 * and written as their own objects; each listener's own and collaborative playlists are listed and read with their
 * own token (a Development Mode app reads only those), a playlist two listeners share fetched once and belonging to
 * both (the manifest's `belongs_to`).
 *
 * A run never loses what it fetched: every finished entity is recorded in the run's checkpoint, so the same run
 * id run again (a Lambda retry, `pipeline extract --run-id X`) fetches only what is missing, then writes the
 * manifest. A run id that already has its manifest is final: running it again changes nothing. A playlist
 * unchanged since its last complete fetch (same snapshot id) is not paged again: the manifest points at that
 * object, so an unchanged library costs no item-page calls.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_LISTENER_NAME } from '../../config/listeners';
import { playlistRefOf, type PipelineConfig, type PlaylistRef } from '../../config/pipeline-config';
import { documentOf, LISTENING_DOCUMENTS } from '../../schemas/raw-documents';
import {
  assertRunId,
  COUNT_NAMES,
  extractDateOf,
  manifestKey,
  MANIFEST_VERSION,
  runPrefix,
  TOP_ITEM_TYPES,
  topEntityId,
  type ListeningKind,
  type ManifestCounts,
  type ManifestError,
  type ManifestObject,
  type RunManifest,
  type RunMode,
  type StoppedEarly,
  type TimeRange,
  type TopItemType,
} from '../shared/manifest';
import type { RawObjectWriter } from '../shared/raw-writer';
import type { SpotifyCredentialStore } from '../shared/spotify-secret';
import type { FetchContext } from './fetch-entities';
import { authorizeCommandOf, playsGapOf, type ListenerContext } from './listener-extract';
import { ListenerIdentity } from './listener-state';
import { advancePlaysCursor } from './plays-cursor';
import { PlaylistState } from './playlist-state';
import type { ExtractProgressEvent } from './progress';
import { RunAttempt, type Entity } from './run-attempt';
import { RunCheckpoint, type AttemptCounts } from './run-checkpoint';
import {
  RunStoppedError,
  SpotifyClient,
  silentLogger,
  type BackoffOptions,
  type MinimalLogger,
  type RateLimitGate,
  type SpotifyCredentials,
} from './spotify-client';
import { systemClock } from './spotify-http';

export type { SpotifyCredentials, SpotifyCredentialStore, MinimalLogger, BackoffOptions } from './spotify-client';
export { PLAYLIST_METADATA_FIELDS } from './fetch-entities';

export { listeningCaveat, type ExtractProgressEvent } from './progress';

/** One listener: their configured name and where their credentials (app id and their refresh token) come from. */
export interface ExtractListenerInput {
  name: string;
  credentials: SpotifyCredentials | SpotifyCredentialStore;
  /** With plain credentials: where a refresh token Spotify rotated goes. */
  onRefreshTokenRotated?: (newToken: string) => Promise<void>;
}

export interface ExtractRunInput {
  spotify: PipelineConfig['spotify'];
  timeBudgetSeconds: number;
  /** A credential store (AWS secret, local secrets file), or plain credentials (tests, the embedded fake). */
  credentials: SpotifyCredentials | SpotifyCredentialStore;
  /** With plain credentials: where a refresh token Spotify rotated goes. A store keeps it itself. */
  onRefreshTokenRotated?: (newToken: string) => Promise<void>;
  writer: RawObjectWriter;
  runId: string;
  startedAt: Date;
  /** Backfill / one-off: replaces what the configuration asks for. */
  override?: { playlists?: string[]; includeMyPlaylists?: boolean; topItems?: boolean };
  onProgress?: (event: ExtractProgressEvent) => void;
  logger?: MinimalLogger;
  /** Retry backoff for 5xx/timeouts/resets; defaults to 0.5 s doubling up to 8 s. Tests and benchmarks shorten it. */
  backoff?: BackoffOptions;
  /** The app's rate-limit gate, shared by the runs of several listeners of one app. */
  rateLimitGate?: RateLimitGate;
  /** `full` (default): everything configured; `plays`: the listeners' plays alone (the frequent schedule). */
  mode?: RunMode;
  /**
   * The listeners, each read with their own client (their documents, top lists and playlists). Default: one
   * listener, `me`, on `credentials`.
   */
  listeners?: ExtractListenerInput[];
}

export interface ExtractRunResult {
  manifest: RunManifest;
  manifestKey: string;
  prefix: string;
  /** The run id already had its manifest: nothing was fetched or written. */
  alreadyComplete: boolean;
  /** Earlier attempts of this run id had left a checkpoint that this one finished. */
  resumed: boolean;
}

/** Nothing could be extracted, or the input is invalid, or the run could not finish. No manifest was written. */
export class ExtractFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExtractFailedError';
  }
}


/**
 * `YYYYMMDDTHHMMSSZ-xxxxxx`. With a seed (e.g. the EventBridge event id) the suffix is derived from it, so a
 * re-delivered event gives the same run id and resumes (or finds complete) the same run.
 */
export function newRunId(at: Date, seed?: string, options: { plays?: boolean } = {}): string {
  if (Number.isNaN(at.getTime())) throw new Error('newRunId: the start time is not a valid date');
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const suffix =
    seed === undefined ? randomBytes(3).toString('hex') : createHash('sha256').update(seed).digest('hex').slice(0, 6);
  // A plays run says so in its id (isPlaysRunId): `p` and five hex digits.
  return `${stamp}-${options.plays ? `p${suffix.slice(0, 5)}` : suffix}`;
}

interface Plan {
  mode: RunMode;
  configured: PlaylistRef[];
  includeMine: boolean;
  /** The top lists read of every listener. */
  topLists: Array<[TopItemType, TimeRange]>;
  /** What is read of every listener. */
  listening: ListeningKind[];
}

/**
 * The listener documents a run of this mode reads: those whose switch under spotify.listening is on (a plays run: of
 * those, the ones marked for plays runs); none without a user token.
 */
function listeningOf(mode: RunMode, spotify: PipelineConfig['spotify']): ListeningKind[] {
  if (spotify.authMode !== 'user') return [];
  const switches: Record<string, boolean | undefined> = spotify.listening;
  const on = LISTENING_DOCUMENTS.filter((d) => switches[d.listeningSwitch] === true);
  return (mode === 'plays' ? on.filter((d) => d.playsRuns) : on).map((d) => d.kind);
}

/** Validates what was asked, before any call. */
function planOf(input: ExtractRunInput, logger: MinimalLogger): Plan {
  const { spotify } = input;
  try {
    assertRunId(input.runId);
  } catch (error) {
    throw new ExtractFailedError((error as Error).message);
  }
  if (!(input.timeBudgetSeconds > 0)) {
    throw new ExtractFailedError(`timeBudgetSeconds must be a positive number of seconds, got ${input.timeBudgetSeconds}`);
  }
  const plain = input.credentials as SpotifyCredentials;
  if (typeof (input.credentials as SpotifyCredentialStore).load !== 'function' && !plain?.clientId) {
    throw new ExtractFailedError(
      'no Spotify client id: set it in the secret (AWS) or the local secrets file / SPOTIFY_CLIENT_ID (local run)',
    );
  }
  const mode = input.mode ?? 'full';
  if (mode !== 'full' && mode !== 'plays') throw new ExtractFailedError(`mode must be "full" or "plays" (got "${String(mode)}")`);
  const listening = listeningOf(mode, spotify);
  const names = (input.listeners ?? []).map((l) => l.name);
  if (names.some((n) => !n) || new Set(names).size !== names.length) {
    throw new ExtractFailedError(`every listener needs a name of its own (got ${JSON.stringify(names)})`);
  }
  if (mode === 'plays') {
    if (listening.length === 0) {
      throw new ExtractFailedError('a plays run has nothing to do: plays are off (spotify.listening.plays) or authMode is not "user"');
    }
    return { mode, configured: [], includeMine: false, topLists: [], listening };
  }
  let configured: PlaylistRef[];
  try {
    configured = (input.override?.playlists ?? spotify.playlists).map(playlistRefOf);
  } catch (error) {
    throw new ExtractFailedError(`invalid playlist in the ${input.override?.playlists ? 'event override' : 'configuration'}: ${(error as Error).message}`);
  }
  const readers = names.length > 0 ? names : [DEFAULT_LISTENER_NAME];
  const stranger = configured.find((ref) => ref.listener !== undefined && !readers.includes(ref.listener));
  if (stranger) {
    throw new ExtractFailedError(
      `playlist ${stranger.id} is to be read by listener "${stranger.listener}", who is not one of this run's listeners (${readers.join(', ')}): ` +
        'add them to spotify.listeners, or name one of those',
    );
  }
  const includeMine = input.override?.includeMyPlaylists ?? spotify.includeMyPlaylists;
  const topEnabled = input.override?.topItems ?? spotify.topItems.enabled;
  if (includeMine && spotify.authMode !== 'user') {
    throw new ExtractFailedError('includeMyPlaylists needs authMode "user": an app-only token has no "me"');
  }
  if (configured.length === 0 && !includeMine && !topEnabled && listening.length === 0) {
    throw new ExtractFailedError('nothing to extract: no playlists, includeMyPlaylists off, topItems off and no listening data');
  }
  const topLists: Array<[TopItemType, TimeRange]> = [];
  if (topEnabled && spotify.authMode === 'user') {
    for (const itemType of TOP_ITEM_TYPES) for (const range of spotify.topItems.timeRanges) topLists.push([itemType, range]);
  } else if (topEnabled) {
    logger.warn('top items skipped: /v1/me/top needs authMode "user"');
  }
  // Each playlist once: the first mention (and the listener it names) wins.
  const unique = configured.filter((ref, i) => configured.findIndex((other) => other.id === ref.id) === i);
  return { mode, configured: unique, includeMine, topLists, listening };
}

async function readManifest(writer: RawObjectWriter, key: string): Promise<RunManifest | null> {
  const bytes = await writer.get(key);
  if (!bytes) return null;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as RunManifest;
  } catch (error) {
    throw new ExtractFailedError(`${key} exists but is not valid JSON (${(error as Error).message}); inspect it before running this run id again`);
  }
}

export async function extractRun(input: ExtractRunInput): Promise<ExtractRunResult> {
  const logger = input.logger ?? silentLogger;
  const progress = input.onProgress ?? (() => {});
  const { spotify, writer, runId } = input;
  const plan = planOf(input, logger);
  const extractDate = extractDateOf(input.startedAt);
  const prefix = runPrefix(runId, extractDate);
  const key = manifestKey(runId, extractDate);

  // A run id that has its manifest is final (the transform may have read it): report it, change nothing.
  const existing = await readManifest(writer, key);
  if (existing) {
    logger.info('the run already has its manifest; nothing to do', { key });
    await PlaylistState.recordRun(writer, existing, spotify.market ?? null).catch(() => undefined);
    // The attempt that wrote it may have died before it moved the plays cursors.
    await advanceCursors(writer, existing, logger);
    return { manifest: existing, manifestKey: key, prefix, alreadyComplete: true, resumed: false };
  }

  // One client per listener (their own token), all behind the app's one rate-limit gate.
  const listeners: ExtractListenerInput[] = input.listeners?.length
    ? input.listeners
    : [{ name: DEFAULT_LISTENER_NAME, credentials: input.credentials, onRefreshTokenRotated: input.onRefreshTokenRotated }];
  // Counted on the clock the clients check it against (the gate's; the machine's by default).
  const deadline = (input.rateLimitGate?.clock ?? systemClock).now() + input.timeBudgetSeconds * 1000;
  const authorizeCommand = (name: string) => authorizeCommandOf(name, Boolean(input.listeners?.length));
  const clients: SpotifyClient[] = [];
  for (const listener of listeners) {
    try {
      clients.push(
        new SpotifyClient({
          apiBaseUrl: spotify.apiBaseUrl,
          accountsBaseUrl: spotify.accountsBaseUrl,
          authMode: spotify.authMode,
          credentials: listener.credentials,
          onRefreshTokenRotated: listener.onRefreshTokenRotated,
          maxConcurrentRequests: spotify.maxConcurrentRequests,
          requestTimeoutMs: spotify.requestTimeoutMs,
          maxRetries: spotify.maxRetries,
          deadline,
          backoff: input.backoff,
          logger,
          gate: clients[0]?.gate ?? input.rateLimitGate,
          authorizeCommand: authorizeCommand(listener.name),
        }),
      );
    } catch (error) {
      throw new ExtractFailedError(`listener ${listener.name}: ${(error as Error).message}`, { cause: error });
    }
  }
  const client = clients[0];
  const checkpoint = await RunCheckpoint.open(writer, runId, extractDate, () => sumStats(clients), logger);
  if (checkpoint.resumed) {
    logger.info('resuming the run from its checkpoint', { attempt: checkpoint.attempts, done: checkpoint.allObjects().length });
    progress({ type: 'resumed', attempt: checkpoint.attempts, entitiesDone: checkpoint.allObjects().length });
  }
  // Who each listener is: a plays run trusts what an earlier run recorded while the credentials are the same. Only
  // a pipeline that polls plays keeps that record (raw/_state/listeners/).
  const pollsPlays = plan.listening.includes('plays');
  const identities = listeners.map(
    (listener, i) =>
      new ListenerIdentity(clients[i], { name: listener.name, authorizeCommand: authorizeCommand(listener.name), state: pollsPlays ? writer : undefined, useStored: plan.mode === 'plays' }),
  );
  const contexts: ListenerContext[] = listeners.map((listener, i) => ({
    name: listener.name,
    client: clients[i],
    runId,
    extractDate,
    writer,
    profile: identities[i].profile,
    authorizeCommand: authorizeCommand(listener.name),
  }));
  contexts.forEach((listener, i) => (listener.earlier = contexts.slice(0, i)));
  const ctx: FetchContext = {
    client,
    spotify,
    writer,
    runId,
    extractDate,
    logger,
    // Playlists say whose token read them (a user token has a "me"); each is read with its reader's own client.
    profile: spotify.authMode === 'user' ? contexts[0].profile : undefined,
  };
  const state = await PlaylistState.load(writer, { api_base_url: spotify.apiBaseUrl, market: spotify.market ?? null });
  const attempt = new RunAttempt(ctx, checkpoint, state, progress, contexts);
  try {
    const playlists = plan.mode === 'full' ? await attempt.resolvePlaylists(plan.configured, plan.includeMine) : [];
    // Every listener's own top lists (/v1/me/top is personal), each its own entity: its own checkpoint entry and key.
    const tops = contexts.flatMap((listener) =>
      plan.topLists.map(([itemType, timeRange]): Entity => ({ kind: 'top', entityId: topEntityId(listener.name, itemType, timeRange), itemType, timeRange, listener })),
    );
    const listening = contexts.flatMap((listener) => plan.listening.map((kind): Entity => ({ kind, entityId: listener.name, listener })));
    await attempt.fetchMissing([...playlists, ...tops, ...listening], spotify.maxConcurrentRequests);
  } finally {
    // A token call under way (maybe with a rotated refresh token in its answer) finishes and is stored first.
    await Promise.all(clients.map((c) => c.settled()));
  }
  const result = await finishAttempt({ ...input, mode: plan.mode }, { key, prefix, extractDate }, client, checkpoint, attempt, logger, progress);
  await Promise.all(identities.map((identity) => identity.record(runId)));
  return result;
}

function sumStats(clients: SpotifyClient[]) {
  const sum = { api_calls: 0, item_page_calls: 0, token_calls: 0, retries: 0, rate_limited: 0 };
  for (const c of clients) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += c.stats[k];
  return sum;
}

/** Moves each listener's plays cursor to the newest play the manifest's plays objects hold (never back). */
async function advanceCursors(writer: RawObjectWriter, manifest: RunManifest, logger: MinimalLogger): Promise<void> {
  for (const object of manifest.objects) {
    if (object.kind !== 'plays' || !object.spotify_user_id || typeof object.cursor_after !== 'number') continue;
    try {
      const owner = { accountId: object.account_id ?? null, spotifyUserId: object.spotify_user_id };
      await advancePlaysCursor(writer, owner, object.cursor_after, manifest.run_id);
    } catch (error) {
      // The next poll then starts from the older cursor: it reads some plays again, and the warehouse keeps each once.
      logger.warn('could not store the plays cursor; the next poll reads those plays again', { listener: object.entity_id, error: (error as Error).message });
    }
  }
}

/** After the attempt: no manifest when it failed (the checkpoint keeps what was done), else the manifest, last. */
async function finishAttempt(
  input: ExtractRunInput,
  run: { key: string; prefix: string; extractDate: string },
  client: SpotifyClient,
  checkpoint: RunCheckpoint,
  attempt: RunAttempt,
  logger: MinimalLogger,
  progress: (event: ExtractProgressEvent) => void,
): Promise<ExtractRunResult> {
  const { runId, writer, spotify } = input;
  const { key, prefix, extractDate } = run;
  const fatal = attempt.fatal;
  const stopReason = attempt.stopped ?? client.stopReason;
  const stoppedEarly = stopReason instanceof RunStoppedError ? stopReason.stopped : null;
  const objects = checkpoint.allObjects();
  if (fatal) {
    await checkpoint.finish('failed', fatal.message).catch(() => undefined);
    throw new ExtractFailedError(
      `the extract stopped before it could finish and wrote no manifest, so nothing downstream reads run ${runId}. ` +
        `${objects.length} finished objects are kept and listed in ${checkpoint.key}: resume with ` +
        `\`pipeline extract --run-id ${runId}\` (a Lambda retry of the same event resumes it too), which fetches only ` +
        `what is missing. Cause: ${fatal.message}`,
      { cause: fatal },
    );
  }
  const errors = [...checkpoint.allErrors(), ...attempt.unrecordedErrors];
  if (objects.length === 0) {
    const why = [
      ...(stoppedEarly ? [stoppedEarly.message] : []),
      ...errors.map((e) => `${e.kind} ${e.entity_id}: ${e.http_status === null ? 'no HTTP answer' : `HTTP ${e.http_status}`}: ${e.message}`),
    ];
    await checkpoint.finish('failed', 'nothing could be extracted').catch(() => undefined);
    throw new ExtractFailedError(
      `nothing could be extracted, so no manifest was written:\n  - ${why.join('\n  - ') || 'no playlists resolved and no top lists asked for'}\n` +
        'Check the playlist ids (your own or collaborative playlists only, for apps in development mode) and the credentials.',
    );
  }
  if (stoppedEarly) {
    logger.warn('run stopped early', { ...stoppedEarly });
    progress({ type: 'stopped-early', stoppedEarly });
  }

  const manifest = buildManifest(input, extractDate, checkpoint, errors, stoppedEarly);
  // Written last, after every object it lists: its S3 event is what starts the transform.
  try {
    await writer.put(key, JSON.stringify(manifest, null, 2), 'application/json');
  } catch (error) {
    // The checkpoint lists every finished object: make sure it is written (a save may still be in flight, and a
    // Lambda is frozen once it throws) so the retry resumes instead of fetching everything again.
    await checkpoint.finish('failed', `could not write the manifest: ${(error as Error).message}`).catch(() => undefined);
    throw error;
  }
  logger.info('run manifest written', { key, status: manifest.status, counts: manifest.counts, errors: errors.length });
  for (const gap of manifest.plays_gaps ?? []) logger.warn('plays may be missing', { ...gap });
  // Only now that the raw data and the manifest are written may the cursors move past these plays.
  await advanceCursors(writer, manifest, logger);
  await checkpoint.finish(stoppedEarly ? 'stopped_early' : 'complete', stoppedEarly?.message ?? null).catch(() => undefined);
  // The next run compares snapshot ids with these; a failure here only costs it a full fetch.
  await PlaylistState.recordRun(writer, manifest, spotify.market ?? null).catch((error: Error) =>
    logger.warn('could not record the playlist state; the next run fetches every playlist', { error: error.message }),
  );
  return { manifest, manifestKey: key, prefix, alreadyComplete: false, resumed: checkpoint.resumed };
}

function buildManifest(
  input: ExtractRunInput,
  extractDate: string,
  checkpoint: RunCheckpoint,
  errors: ManifestError[],
  stoppedEarly: StoppedEarly | null,
): RunManifest {
  const objects = checkpoint.allObjects().sort((a, b) => a.key.localeCompare(b.key));
  const sortedErrors = [...errors].sort((a, b) => `${a.kind}/${a.entity_id}`.localeCompare(`${b.kind}/${b.entity_id}`));
  const gaps = objects.map(playsGapOf).filter((g) => g !== null);
  return {
    manifest_version: MANIFEST_VERSION,
    run_id: input.runId,
    extract_date: extractDate,
    started_at: input.startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    status: sortedErrors.length === 0 && !stoppedEarly ? 'complete' : 'partial',
    stopped_early: stoppedEarly,
    source: { api_base_url: input.spotify.apiBaseUrl, auth_mode: input.spotify.authMode },
    attempts: checkpoint.attempts,
    objects,
    counts: countsOf(objects, checkpoint.totals(), input.runId),
    errors: sortedErrors,
    mode: input.mode ?? 'full',
    plays_gaps: gaps,
  };
}

/**
 * Every count of the manifest: each document kind's objects and items, summed into the counts
 * schemas/raw-documents.json names for it; then the counts of their own (reused playlists, listeners, the calls).
 */
function countsOf(objects: ManifestObject[], calls: AttemptCounts, runId: string): ManifestCounts {
  const counts = Object.fromEntries(COUNT_NAMES.map((name) => [name, 0])) as ManifestCounts;
  for (const object of objects) {
    const declared = documentOf(object.kind).counts;
    if (declared.objects) counts[declared.objects] += 1;
    counts[declared.items] += object.items;
  }
  return {
    ...counts,
    playlists_reused: objects.filter((o) => o.kind === 'playlist' && o.fetched_in_run !== runId).length,
    listeners: new Set(objects.filter((o) => o.spotify_user_id && o.kind !== 'playlist').map((o) => o.spotify_user_id)).size,
    ...calls,
  };
}
