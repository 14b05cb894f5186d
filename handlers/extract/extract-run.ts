/**
 * The extract itself, as a plain function: the Lambda adapter (index.ts) and the local run both call it.
 * It pulls the configured playlists (and optionally the user's own), the user's top items, writes each as a
 * raw object per docs/data-contracts.md, and writes the run manifest LAST. No manifest = no complete run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parsePlaylistRef, type PipelineConfig } from '../../config/pipeline-config';
import {
  assertRunId,
  extractDateOf,
  manifestKey,
  playlistKey,
  runPrefix,
  topKey,
  TOP_ITEM_TYPES,
  type ManifestError,
  type ManifestObject,
  type RunManifest,
  type StoppedEarly,
  type TimeRange,
  type TopItemType,
} from '../shared/manifest';
import type { RawObjectWriter } from '../shared/raw-writer';
import {
  RunStoppedError,
  SpotifyApiError,
  SpotifyClient,
  silentLogger,
  type BackoffOptions,
  type MinimalLogger,
  type SpotifyCredentials,
} from './spotify-client';

export type { SpotifyCredentials, MinimalLogger, BackoffOptions } from './spotify-client';

/**
 * GET /v1/playlists/{id} is asked for the playlist's own fields only: without `fields` Spotify embeds the
 * first page of items too, which /items fetches anyway, so this keeps the call count (and bytes) minimal.
 */
export const PLAYLIST_METADATA_FIELDS =
  'collaborative,description,external_urls,followers,href,id,images,name,owner,primary_color,public,snapshot_id,type,uri';

export type ExtractProgressEvent =
  | { type: 'playlists-resolved'; playlistIds: string[] }
  | { type: 'playlist-done'; playlistId: string; name: string | null; items: number; pages: number }
  | { type: 'playlist-failed'; playlistId: string; httpStatus: number | null; message: string }
  | { type: 'top-done'; itemType: TopItemType; timeRange: TimeRange; items: number }
  | { type: 'top-failed'; itemType: TopItemType; timeRange: TimeRange; httpStatus: number | null; message: string }
  | { type: 'stopped-early'; stoppedEarly: StoppedEarly };

export interface ExtractRunInput {
  spotify: PipelineConfig['spotify'];
  timeBudgetSeconds: number;
  credentials: SpotifyCredentials;
  /** Persist a refresh token Spotify rotated (the AWS secret, the local secrets file). */
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
}

export interface ExtractRunResult {
  manifest: RunManifest;
  manifestKey: string;
  prefix: string;
}

/** Nothing could be extracted, or the input is invalid. No manifest was written. */
export class ExtractFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExtractFailedError';
  }
}

/**
 * `YYYYMMDDTHHMMSSZ-xxxxxx`. With a seed (e.g. the EventBridge event id) the suffix is derived from it, so a
 * re-delivered event gives the same run id and the run rewrites the same keys.
 */
export function newRunId(at: Date, seed?: string): string {
  if (Number.isNaN(at.getTime())) throw new Error('newRunId: the start time is not a valid date');
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const suffix =
    seed === undefined ? randomBytes(3).toString('hex') : createHash('sha256').update(seed).digest('hex').slice(0, 6);
  return `${stamp}-${suffix}`;
}

type Json = Record<string, unknown>;

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Runs tasks with at most `limit` in flight; each task handles its own errors. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await task(item);
    }
  });
  await Promise.all(workers);
}

export async function extractRun(input: ExtractRunInput): Promise<ExtractRunResult> {
  const logger = input.logger ?? silentLogger;
  const progress = input.onProgress ?? (() => {});
  const { spotify } = input;

  // --- validate what was asked before any call ---
  try {
    assertRunId(input.runId);
  } catch (error) {
    throw new ExtractFailedError((error as Error).message);
  }
  if (!(input.timeBudgetSeconds > 0)) {
    throw new ExtractFailedError(`timeBudgetSeconds must be a positive number of seconds, got ${input.timeBudgetSeconds}`);
  }
  if (!input.credentials?.clientId) {
    throw new ExtractFailedError(
      'no Spotify client id: set it in the secret (AWS) or the local secrets file / SPOTIFY_CLIENT_ID (local run)',
    );
  }
  let configured: string[];
  try {
    configured = (input.override?.playlists ?? spotify.playlists).map(parsePlaylistRef);
  } catch (error) {
    throw new ExtractFailedError(`invalid playlist in the ${input.override?.playlists ? 'event override' : 'configuration'}: ${(error as Error).message}`);
  }
  const includeMine = input.override?.includeMyPlaylists ?? spotify.includeMyPlaylists;
  const topEnabled = input.override?.topItems ?? spotify.topItems.enabled;
  if (includeMine && spotify.authMode !== 'user') {
    throw new ExtractFailedError('includeMyPlaylists needs authMode "user": an app-only token has no "me"');
  }
  if (configured.length === 0 && !includeMine && !topEnabled) {
    throw new ExtractFailedError('nothing to extract: no playlists, includeMyPlaylists off and topItems off');
  }

  const extractDate = extractDateOf(input.startedAt);
  const prefix = runPrefix(input.runId, extractDate);
  const deadline = Date.now() + input.timeBudgetSeconds * 1000;
  let client: SpotifyClient;
  try {
    client = new SpotifyClient({
      apiBaseUrl: spotify.apiBaseUrl,
      accountsBaseUrl: spotify.accountsBaseUrl,
      authMode: spotify.authMode,
      credentials: input.credentials,
      onRefreshTokenRotated: input.onRefreshTokenRotated,
      maxConcurrentRequests: spotify.maxConcurrentRequests,
      requestTimeoutMs: spotify.requestTimeoutMs,
      maxRetries: spotify.maxRetries,
      deadline,
      backoff: input.backoff,
      logger,
    });
  } catch (error) {
    throw new ExtractFailedError((error as Error).message, { cause: error });
  }

  const objects: ManifestObject[] = [];
  const errors: ManifestError[] = [];
  let playlistItems = 0;
  let topItems = 0;
  let fatal: Error | null = null;

  /** Sorts an entity's failure: recorded (API error), stop (quota/budget), or fatal (nothing else can work). */
  const onFailure = (error: unknown, record: (status: number | null, message: string) => void): void => {
    if (error instanceof SpotifyApiError) {
      record(error.status, error.spotifyMessage);
      logger.warn('entity failed; recorded in the manifest', { endpoint: error.endpoint, httpStatus: error.status, message: error.spotifyMessage });
      return;
    }
    if (error instanceof RunStoppedError) return; // the client keeps the reason; the manifest reports it
    fatal ??= error instanceof Error ? error : new Error(String(error));
    client.abort(fatal);
  };

  const write = async (key: string, document: Json) => {
    const result = await input.writer.put(key, JSON.stringify(document), 'application/json');
    return result;
  };

  // --- resolve the playlist list ---
  const playlistIds = [...new Set(configured)];
  if (includeMine) {
    try {
      for (const id of await listMyPlaylists(client, logger)) if (!playlistIds.includes(id)) playlistIds.push(id);
    } catch (error) {
      onFailure(error, (status, message) => errors.push({ kind: 'my_playlists', entity_id: 'me', http_status: status, message }));
    }
  }
  progress({ type: 'playlists-resolved', playlistIds });

  const extractPlaylist = async (playlistId: string): Promise<void> => {
    if (client.stopReason) return;
    try {
      const path = `/playlists/${encodeURIComponent(playlistId)}`;
      const pageQuery = (offset: number) => ({ limit: spotify.pageSize, offset, market: spotify.market });
      const pageLabel = (offset: number) => `GET /v1/playlists/${playlistId}/items?offset=${offset}`;
      // Metadata and the first page together; the first page says how many more pages there are.
      const [metadata, firstPage] = (await Promise.all([
        client.getJson(path, { fields: PLAYLIST_METADATA_FIELDS, market: spotify.market }, `GET /v1/playlists/${playlistId}`),
        client.getJson(`${path}/items`, pageQuery(0), pageLabel(0)),
      ])) as [Json, Json];
      const total = typeof firstPage.total === 'number' ? firstPage.total : asArray(firstPage.items).length;
      const offsets: number[] = [];
      for (let offset = spotify.pageSize; offset < total; offset += spotify.pageSize) offsets.push(offset);
      const rest = (await Promise.all(
        offsets.map((offset) => client.getJson(`${path}/items`, pageQuery(offset), pageLabel(offset))),
      )) as Json[];
      const pages = [firstPage, ...rest];
      const items = pages.reduce((sum, page) => sum + asArray(page.items).length, 0);
      const key = playlistKey(input.runId, extractDate, playlistId);
      const written = await write(key, {
        kind: 'playlist',
        playlist_id: playlistId,
        fetched_at: new Date().toISOString(),
        playlist: metadata,
        item_pages: pages,
      });
      objects.push({ key, kind: 'playlist', entity_id: playlistId, ...written, items, pages: pages.length });
      playlistItems += items;
      const name = stringOrNull(metadata.name);
      logger.info('playlist extracted', { playlistId, name, items, pages: pages.length });
      progress({ type: 'playlist-done', playlistId, name, items, pages: pages.length });
    } catch (error) {
      onFailure(error, (status, message) => {
        errors.push({ kind: 'playlist', entity_id: playlistId, http_status: status, message });
        progress({ type: 'playlist-failed', playlistId, httpStatus: status, message });
      });
    }
  };

  const extractTop = async ([itemType, timeRange]: [TopItemType, TimeRange]): Promise<void> => {
    if (client.stopReason) return;
    const entityId = `${itemType}_${timeRange}`;
    try {
      const page = (await client.getJson(
        `/me/top/${itemType}`,
        { time_range: timeRange, limit: spotify.topItems.limit, offset: 0 },
        `GET /v1/me/top/${itemType}?time_range=${timeRange}`,
      )) as Json;
      const items = asArray(page.items).length;
      const key = topKey(input.runId, extractDate, itemType, timeRange);
      const written = await write(key, {
        kind: 'top',
        item_type: itemType,
        time_range: timeRange,
        fetched_at: new Date().toISOString(),
        pages: [page],
      });
      objects.push({ key, kind: 'top', entity_id: entityId, ...written, items, pages: 1 });
      topItems += items;
      progress({ type: 'top-done', itemType, timeRange, items });
    } catch (error) {
      onFailure(error, (status, message) => {
        errors.push({ kind: 'top', entity_id: entityId, http_status: status, message });
        progress({ type: 'top-failed', itemType, timeRange, httpStatus: status, message });
      });
    }
  };

  const topLists: Array<[TopItemType, TimeRange]> = [];
  if (topEnabled) {
    if (spotify.authMode === 'user') {
      for (const itemType of TOP_ITEM_TYPES) for (const range of spotify.topItems.timeRanges) topLists.push([itemType, range]);
    } else {
      logger.warn('top items skipped: /v1/me/top needs authMode "user"');
    }
  }

  if (!fatal) {
    await pool(playlistIds, spotify.maxConcurrentRequests, extractPlaylist);
    await pool(topLists, spotify.maxConcurrentRequests, extractTop);
  }

  const stopReason = client.stopReason;
  const stoppedEarly = stopReason instanceof RunStoppedError ? stopReason.stopped : null;
  if (fatal) {
    throw new ExtractFailedError(
      `the extract failed and wrote no manifest (${objects.length} objects written under ${prefix} stay unreferenced; ` +
        `a re-run with the same run id rewrites them): ${(fatal as Error).message}`,
      { cause: fatal },
    );
  }
  if (objects.length === 0) {
    const why = [
      ...(stoppedEarly ? [stoppedEarly.message] : []),
      ...errors.map((e) => `${e.kind} ${e.entity_id}: ${e.http_status === null ? 'no HTTP answer' : `HTTP ${e.http_status}`}: ${e.message}`),
    ];
    throw new ExtractFailedError(
      `nothing could be extracted, so no manifest was written:\n  - ${why.join('\n  - ') || 'no playlists resolved and no top lists asked for'}\n` +
        'Check the playlist ids (your own or collaborative playlists only, for apps in development mode) and the credentials.',
    );
  }
  if (stoppedEarly) {
    logger.warn('run stopped early', { ...stoppedEarly });
    progress({ type: 'stopped-early', stoppedEarly });
  }

  objects.sort((a, b) => a.key.localeCompare(b.key));
  errors.sort((a, b) => `${a.kind}/${a.entity_id}`.localeCompare(`${b.kind}/${b.entity_id}`));
  const manifest: RunManifest = {
    manifest_version: 1,
    run_id: input.runId,
    extract_date: extractDate,
    started_at: input.startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    status: errors.length === 0 && !stoppedEarly ? 'complete' : 'partial',
    stopped_early: stoppedEarly,
    source: { api_base_url: spotify.apiBaseUrl, auth_mode: spotify.authMode },
    objects,
    counts: {
      playlists: objects.filter((o) => o.kind === 'playlist').length,
      playlist_items: playlistItems,
      top_lists: objects.filter((o) => o.kind === 'top').length,
      top_items: topItems,
      api_calls: client.stats.api_calls,
      token_calls: client.stats.token_calls,
      retries: client.stats.retries,
      rate_limited: client.stats.rate_limited,
    },
    errors,
  };
  const key = manifestKey(input.runId, extractDate);
  // Written last, after every object it lists: its S3 event is what starts the transform.
  await input.writer.put(key, JSON.stringify(manifest, null, 2), 'application/json');
  logger.info('run manifest written', { key, status: manifest.status, counts: manifest.counts, errors: errors.length });
  return { manifest, manifestKey: key, prefix };
}

/**
 * The authorised user's own and collaborative playlists. /v1/me/playlists also lists playlists the user only
 * follows; their items answer 403 for development-mode apps, so they are left out rather than recorded as errors.
 */
async function listMyPlaylists(client: SpotifyClient, logger: MinimalLogger): Promise<string[]> {
  const me = (await client.getJson('/me', {}, 'GET /v1/me')) as Json;
  const userId = stringOrNull(me.id);
  const ids: string[] = [];
  let skipped = 0;
  for (let offset = 0; ; offset += 50) {
    const page = (await client.getJson('/me/playlists', { limit: 50, offset }, `GET /v1/me/playlists?offset=${offset}`)) as Json;
    const items = asArray(page.items);
    for (const entry of items) {
      if (!entry || typeof entry !== 'object') continue;
      const playlist = entry as Json;
      const id = stringOrNull(playlist.id);
      if (!id) continue;
      const ownerId = stringOrNull((playlist.owner as Json | null | undefined)?.id);
      if (ownerId === userId || playlist.collaborative === true) ids.push(id);
      else skipped += 1;
    }
    const total = typeof page.total === 'number' ? page.total : 0;
    if (items.length === 0 || offset + 50 >= total) break;
  }
  logger.info('resolved the user\'s playlists', { owned: ids.length, followedSkipped: skipped });
  return ids;
}
