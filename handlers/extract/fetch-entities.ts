/**
 * What one run fetches per entity, each written as one raw object (docs/data-contracts.md):
 *
 * - a playlist: reused when its snapshot id equals the one of its last complete fetch (no call at all when the
 *   snapshot id came from /v1/me/playlists, one `fields=snapshot_id` call otherwise); else every item page, then
 *   its metadata, and once more if the snapshot id moved while the pages were fetched;
 * - a listener's top list, with their own token: every page, with offset, to the end;
 * - a listener's own and collaborative playlists, with the snapshot ids their listing carries (50 per call), read
 *   with that listener's token: a Development Mode app may read the items of those playlists only.
 */
import type { PipelineConfig } from '../../config/pipeline-config';
import { playlistKey, topEntityId, topKey, type ManifestObject, type TimeRange, type TopItemType } from '../shared/manifest';
import type { RawObjectWriter } from '../shared/raw-writer';
import type { ListenerProfile } from './listening';
import { allPages, asArray, type Json } from './paging';
import type { PlaylistState } from './playlist-state';
import type { MinimalLogger, SpotifyClient } from './spotify-client';

/**
 * GET /v1/playlists/{id} is asked for the playlist's own fields only: without `fields` Spotify embeds the
 * first page of items too, which /items fetches anyway, so this keeps the call count (and bytes) minimal. Of the
 * embedded items only their `total` is asked for (under `items`, and under `tracks`, its deprecated name, for
 * servers that still send only that): the transform's items_total and its check of the pages read it.
 */
export const PLAYLIST_METADATA_FIELDS =
  'collaborative,description,external_urls,followers,href,id,images,name,owner,primary_color,public,snapshot_id,type,uri,items(total),tracks(total)';
/** Episodes come as episode objects only when asked for; without it Spotify's reference promises tracks only. */
export const ADDITIONAL_TYPES = 'track,episode';
const LISTING_PAGE_SIZE = 50;

export interface FetchContext {
  client: SpotifyClient;
  spotify: PipelineConfig['spotify'];
  writer: RawObjectWriter;
  runId: string;
  extractDate: string;
  logger: MinimalLogger;
  /** Whose token `client` is (a listener's, with a user token): named in every playlist document. */
  profile?: () => Promise<ListenerProfile>;
}

/** `{ spotify_user_id }` of the reading user, for a document and its manifest entry; nothing for an app token. */
async function readBy(ctx: FetchContext): Promise<{ spotify_user_id?: string }> {
  return ctx.profile ? { spotify_user_id: (await ctx.profile()).spotifyUserId } : {};
}

export interface ListedPlaylist {
  id: string;
  snapshotId: string | null;
  name: string | null;
  /** The playlist owner's Spotify user id (`owner.id`). */
  ownerId: string | null;
  collaborative: boolean;
}

export interface PlaylistResult {
  object: ManifestObject;
  name: string | null;
  reused: boolean;
  /** Whose playlist it is, as Spotify said in this run (listing, snapshot check or metadata). */
  ownerId: string | null;
  collaborative: boolean;
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The listener's own and collaborative playlists (ctx.client is theirs), with their snapshot ids. /v1/me/playlists
 * also lists playlists they only follow; their items answer 403 for development-mode apps, so they are left out.
 * Who the listener is comes from their profile (read once per run), not another /v1/me.
 */
export async function listMyPlaylists(ctx: FetchContext): Promise<ListedPlaylist[]> {
  const userId = ctx.profile
    ? (await ctx.profile()).spotifyUserId
    : stringOrNull(((await ctx.client.getJson('/me', {}, 'GET /v1/me')) as Json).id);
  const pages = await allPages(LISTING_PAGE_SIZE, async (offset) =>
    (await ctx.client.getJson('/me/playlists', { limit: LISTING_PAGE_SIZE, offset }, `GET /v1/me/playlists?offset=${offset}`)) as Json,
  );
  const listed: ListedPlaylist[] = [];
  let skipped = 0;
  for (const entry of pages.flatMap((p) => asArray(p.items))) {
    if (!entry || typeof entry !== 'object') continue;
    const playlist = entry as Json;
    const id = stringOrNull(playlist.id);
    if (!id || listed.some((l) => l.id === id)) continue;
    const ownerId = stringOrNull((playlist.owner as Json | null | undefined)?.id);
    if (ownerId === userId || playlist.collaborative === true) {
      listed.push({ id, snapshotId: stringOrNull(playlist.snapshot_id), name: stringOrNull(playlist.name), ownerId, collaborative: playlist.collaborative === true });
    }
    else skipped += 1;
  }
  ctx.logger.info("resolved the user's playlists", { owned: listed.length, followedSkipped: skipped });
  return listed;
}

interface PlaylistVersion {
  metadata: Json;
  pages: Json[];
  snapshotId: string | null;
  /** Every page reported the same total and the pages hold that many items. */
  consistent: boolean;
}

/** Every item page, then the metadata: its snapshot id is the one the pages must match. */
async function fetchVersion(ctx: FetchContext, playlistId: string): Promise<PlaylistVersion> {
  const { spotify, client } = ctx;
  const path = `/playlists/${encodeURIComponent(playlistId)}`;
  const pages = await allPages(spotify.pageSize, async (offset) =>
    (await client.getJson(
      `${path}/items`,
      { limit: spotify.pageSize, offset, market: spotify.market, additional_types: ADDITIONAL_TYPES },
      `GET /v1/playlists/${playlistId}/items?offset=${offset}`,
    )) as Json,
  );
  const metadata = (await client.getJson(path, { fields: PLAYLIST_METADATA_FIELDS, market: spotify.market }, `GET /v1/playlists/${playlistId}`)) as Json;
  const items = pages.reduce((sum, page) => sum + asArray(page.items).length, 0);
  const total = typeof pages[0].total === 'number' ? pages[0].total : items;
  const consistent = pages.every((page) => typeof page.total !== 'number' || page.total === total) && items === total;
  return { metadata, pages, snapshotId: stringOrNull(metadata.snapshot_id), consistent };
}

/** The earlier object still holds exactly what the state says (and this run has no object of its own for it). */
async function reusable(ctx: FetchContext, entry: { key: string; bytes: number; sha256: string }, ownKey: string, mayHaveOwnObject: boolean) {
  if (entry.key === ownKey) return false;
  const stat = await ctx.writer.stat(entry.key);
  if (!stat || stat.sha256 !== entry.sha256 || stat.bytes !== entry.bytes) {
    ctx.logger.warn('the last complete fetch of a playlist is gone or changed; fetching it again', { key: entry.key });
    return false;
  }
  // A resumed run may have written the playlist before it died: then fetch it, so the run never holds two.
  return !(mayHaveOwnObject && (await ctx.writer.stat(ownKey)));
}

export async function fetchPlaylist(
  ctx: FetchContext,
  playlistId: string,
  options: { listed?: ListedPlaylist; state: PlaylistState; mayHaveOwnObject: boolean },
): Promise<PlaylistResult> {
  const key = playlistKey(ctx.runId, ctx.extractDate, playlistId);
  // What version is the playlist at now, and whose is it? The listing says for free; otherwise one small call.
  let snapshotBefore = options.listed ? options.listed.snapshotId : null;
  let whose = { ownerId: options.listed?.ownerId ?? null, collaborative: options.listed?.collaborative ?? false };
  if (!options.listed) {
    const head = (await ctx.client.getJson(
      `/playlists/${encodeURIComponent(playlistId)}`,
      { fields: 'snapshot_id,owner(id),collaborative', market: ctx.spotify.market },
      `GET /v1/playlists/${playlistId}`,
    )) as Json;
    snapshotBefore = stringOrNull(head.snapshot_id);
    whose = ownershipOf(head);
  }
  const previous = options.state.unchangedSince(playlistId, snapshotBefore);
  if (previous && (await reusable(ctx, previous, key, options.mayHaveOwnObject))) {
    const { key: previousKey, bytes, sha256, items, pages, fetched_in_run, snapshot_id } = previous;
    const object: ManifestObject = { key: previousKey, kind: 'playlist', entity_id: playlistId, bytes, sha256, items, pages, fetched_in_run, snapshot_id };
    // The object says whose token read it (the document was written then): the next run asks that listener first.
    if (previous.read_by) object.spotify_user_id = previous.read_by;
    ctx.logger.info('playlist unchanged since its last complete fetch; reusing that object', { playlistId, fetchedInRun: fetched_in_run });
    return { object, name: options.listed?.name ?? null, reused: true, ...whose };
  }

  const reader = await readBy(ctx);
  let version = await fetchVersion(ctx, playlistId);
  const changedWhilePaging = !version.consistent || (snapshotBefore !== null && version.snapshotId !== snapshotBefore);
  let changedAgain = false;
  if (changedWhilePaging) {
    // The pages may mix two versions of the playlist: fetch them once more against the snapshot now known.
    ctx.logger.warn('playlist changed while its pages were fetched; fetching it once more', { playlistId });
    const again = await fetchVersion(ctx, playlistId);
    changedAgain = !again.consistent || again.snapshotId !== version.snapshotId;
    version = again;
  }
  const items = version.pages.reduce((sum, page) => sum + asArray(page.items).length, 0);
  const written = await ctx.writer.put(
    key,
    JSON.stringify({ kind: 'playlist', playlist_id: playlistId, ...reader, fetched_at: new Date().toISOString(), playlist: version.metadata, item_pages: version.pages }),
    'application/json',
  );
  const object: ManifestObject = {
    key,
    kind: 'playlist',
    entity_id: playlistId,
    ...written,
    items,
    pages: version.pages.length,
    fetched_in_run: ctx.runId,
    snapshot_id: version.snapshotId,
    refetched_after_snapshot_change: changedWhilePaging,
    snapshot_changed_during_fetch: changedAgain,
    ...reader,
  };
  ctx.logger.info('playlist extracted', { playlistId, items, pages: version.pages.length, refetched: changedWhilePaging });
  return { object, name: stringOrNull(version.metadata.name), reused: false, ...ownershipOf(version.metadata) };
}

/** Whose playlist an answer says it is. */
function ownershipOf(playlist: Json): { ownerId: string | null; collaborative: boolean } {
  return { ownerId: stringOrNull((playlist.owner as Json | null | undefined)?.id), collaborative: playlist.collaborative === true };
}

/** Whose top list is read: a listener, with their own client (their own token) and who they are. */
export interface TopListReader {
  /** The listener's configured name. */
  name: string;
  client: SpotifyClient;
  profile: () => Promise<ListenerProfile>;
}

/**
 * One listener's top list, with their own token (/v1/me/top is personal): every page, written as their own raw
 * object, which names them (spotify_user_id, listener_name) so every row of it carries their Spotify user id.
 */
export async function fetchTopList(ctx: FetchContext, reader: TopListReader, itemType: TopItemType, timeRange: TimeRange): Promise<ManifestObject> {
  const pageSize = ctx.spotify.topItems.limit;
  // Who they are first: their id names the object, so two listeners' lists never share a key.
  const profile = await reader.profile();
  const pages = await allPages(pageSize, async (offset) =>
    (await reader.client.getJson(
      `/me/top/${itemType}`,
      { time_range: timeRange, limit: pageSize, offset },
      `GET /v1/me/top/${itemType}?time_range=${timeRange}&offset=${offset}`,
    )) as Json,
  );
  const key = topKey(ctx.runId, ctx.extractDate, itemType, timeRange, profile.spotifyUserId);
  const document = {
    kind: 'top',
    item_type: itemType,
    time_range: timeRange,
    spotify_user_id: profile.spotifyUserId,
    ...(profile.accountId === null ? {} : { account_id: profile.accountId }),
    listener_name: reader.name,
    display_name: profile.displayName,
    fetched_at: new Date().toISOString(),
    pages,
  };
  const written = await ctx.writer.put(key, JSON.stringify(document), 'application/json');
  const items = pages.reduce((sum, page) => sum + asArray(page.items).length, 0);
  return {
    key,
    kind: 'top',
    entity_id: topEntityId(reader.name, itemType, timeRange),
    ...written,
    items,
    pages: pages.length,
    fetched_in_run: ctx.runId,
    spotify_user_id: profile.spotifyUserId,
  };
}
