/**
 * What the extract reads about one listener beyond playlists and top items: who they are (/v1/me), their
 * listening history (/v1/me/player/recently-played), saved tracks (/v1/me/tracks) and followed artists
 * (/v1/me/following?type=artist). Each function pages through one endpoint with the listener's own client and
 * returns the verbatim pages, which the caller writes as one raw document per listener and endpoint.
 *
 * Recently played: Spotify keeps only the 50 most recent plays, so plays are polled often from a stored cursor
 * (the newest played_at seen, Unix ms). A poll asks for the plays `after` the cursor. A page that is not full
 * holds every play since the cursor. A full page may not: it holds *some* plays after the cursor (Spotify answers
 * `after` with the newest ones), so the poll then walks down from the newest play with `before` until it meets
 * the cursor. If the history runs out first, plays between the cursor and the oldest play reached may be lost:
 * the poll reports a possible gap. This is complete against any server that pages by the documented cursors,
 * whichever end of the `after` range it answers with.
 */
import { allPages, asArray, type Json } from './paging';
import { SpotifyApiError, type SpotifyClient } from './spotify-client';

/** Spotify's page size maximum for these endpoints. */
export const LISTENING_PAGE_LIMIT = 50;
/** A bound on pages per endpoint: a server whose cursors never end cannot keep a run busy. */
export const MAX_LISTENING_PAGES = 400;

export interface ListenerProfile {
  /** `/v1/me` `id`: the display id. Spotify says it may change; it names the run's documents. */
  spotifyUserId: string;
  /**
   * `/v1/me` `account_id`: the immutable id Spotify documents for linking accounts, so the key of what must outlive
   * an id change (the plays cursor, the listener's rows). Null from a server that does not send it.
   */
  accountId: string | null;
  displayName: string | null;
}

/** The id a listener is known by across runs: their account id, else (a server without one) their user id. */
export function listenerKeyOf(profile: Pick<ListenerProfile, 'accountId' | 'spotifyUserId'>): string {
  return profile.accountId ?? profile.spotifyUserId;
}

export interface PlaysPoll {
  /** Verbatim recently-played pages, in the order they were read. */
  pages: Json[];
  /** Distinct plays newer than the cursor. */
  newPlays: number;
  /** The cursor the poll started from (null: the listener's first poll). */
  cursorBefore: number | null;
  /** The newest played_at seen (ms): the next poll's cursor. Equals cursorBefore when nothing new was played. */
  cursorAfter: number | null;
  /** The oldest play the poll reached that is newer than the cursor. */
  oldestNewPlayAt: number | null;
  /** Plays between cursorBefore and oldestNewPlayAt may have been played and are out of Spotify's reach now. */
  possibleGap: boolean;
}

export interface PagedDocument {
  pages: Json[];
  items: number;
}

export interface SavedTracksDocument extends PagedDocument {
  /** The library changed while its pages were read, each time they were read (MAX_LIBRARY_READS): pages may disagree. */
  changedWhileRead: boolean;
  /** How often the pages were read (more than once: the library changed during a read). */
  reads: number;
}

/** Reads of /me/tracks before a library that keeps changing is kept as read. */
export const MAX_LIBRARY_READS = 3;

const asObject = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});

/**
 * A page's `items`. A 200 answer without an items list is not a page (a gateway's or a captive portal's body):
 * an error, never "nothing there", which would read as an empty library or no new plays.
 */
function itemsOf(page: Json, label: string): unknown[] {
  if (Array.isArray(page.items)) return page.items;
  throw new SpotifyApiError(label, 200, `the answer has no "items" list, so it is not a page (keys: ${Object.keys(page).join(', ') || 'none'})`);
}

/** An ISO 8601 date-time without a zone designator: Spotify's instants are UTC, so such a one is read as UTC. */
const NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** played_at of a play history item in epoch ms, or null when absent or unreadable. Never the machine's time zone. */
export function playedAtMs(item: unknown): number | null {
  const text = asObject(item).played_at;
  if (typeof text !== 'string') return null;
  const ms = Date.parse(NO_ZONE.test(text.trim()) ? `${text.trim()}Z` : text);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Who the token's user is. An answer without an id cannot name the listener's documents: an error for this listener's
 * documents (a SpotifyApiError, so the run records it and goes on), not a stop of the run.
 */
export async function readProfile(client: SpotifyClient, authorizeCommand = 'pipeline authorize'): Promise<ListenerProfile> {
  const me = asObject(await client.getJson('/me', {}, 'GET /v1/me'));
  if (typeof me.id !== 'string' || me.id.length === 0) {
    throw new SpotifyApiError(
      'GET /v1/me',
      200,
      `answered without a user id, so whose data this is cannot be told (the token may not be a user token): run \`${authorizeCommand}\``,
    );
  }
  const accountId = typeof me.account_id === 'string' && me.account_id.length > 0 ? me.account_id : null;
  return { spotifyUserId: me.id, accountId, displayName: typeof me.display_name === 'string' ? me.display_name : null };
}

/** One poll of the listening history from `cursorMs` (null = first poll: everything Spotify still has). */
export async function pollPlays(client: SpotifyClient, cursorMs: number | null, maxPages = MAX_LISTENING_PAGES): Promise<PlaysPoll> {
  const pages: Json[] = [];
  const seen = new Set<number>();
  let newest = cursorMs;
  let oldestNew: number | null = null;
  const path = '/me/player/recently-played';
  const read = async (query: Record<string, number>, label: string): Promise<number[]> => {
    const page = asObject(await client.getJson(path, { ...query, limit: LISTENING_PAGE_LIMIT }, label));
    const items = itemsOf(page, label);
    pages.push(page);
    const times = items.map(playedAtMs).filter((t): t is number => t !== null);
    for (const t of times) {
      if (cursorMs !== null && t <= cursorMs) continue;
      seen.add(t);
      if (newest === null || t > newest) newest = t;
      if (oldestNew === null || t < oldestNew) oldestNew = t;
    }
    return times;
  };
  /** Walks down from the newest play with `before`; true once it meets the cursor (nothing older is missing). */
  const walkDown = async (): Promise<boolean> => {
    let times = await read({}, 'GET /v1/me/player/recently-played');
    let previousLowest = Number.POSITIVE_INFINITY;
    for (let n = 1; ; n += 1) {
      if (times.length === 0) return false;
      const lowest = Math.min(...times);
      if (cursorMs !== null && lowest <= cursorMs) return true;
      // The history ran out, a server that ignores `before` (no progress), or the page bound.
      if (lowest >= previousLowest || n >= maxPages) return false;
      previousLowest = lowest;
      times = await read({ before: lowest }, `GET /v1/me/player/recently-played?before=${lowest}`);
    }
  };

  let possibleGap = false;
  if (cursorMs === null) {
    await walkDown(); // the first poll: all of the (at most 50) plays Spotify still serves
  } else {
    const times = await read({ after: cursorMs }, `GET /v1/me/player/recently-played?after=${cursorMs}`);
    const page = pages[pages.length - 1];
    // Full is judged by the page size the server says it used (it may cap `limit` below 50). A server that does
    // not say may have capped it too: then any page with plays on it may hold only some of them.
    const used = typeof page.limit === 'number' && page.limit > 0 ? Math.min(page.limit, LISTENING_PAGE_LIMIT) : null;
    const mayBeFull = used === null ? times.length > 0 : times.length >= used;
    if (mayBeFull) possibleGap = !(await walkDown());
  }
  return { pages, newPlays: seen.size, cursorBefore: cursorMs, cursorAfter: newest, oldestNewPlayAt: oldestNew, possibleGap };
}

/**
 * Every saved track (/v1/me/tracks, offset paging): the first page says how many more to ask for, side by side,
 * stepping by the page size the server really used (the same paging as playlists and top lists).
 *
 * Asked without a market, whatever spotify.market says: with one, Spotify relinks a saved track to the release that
 * plays in that market, so two saved tracks can come with one id, and since February 2026 a development-mode app is
 * not told which track was saved (no `linked_from`). The library would then look changed on every read (the same
 * id twice) and the saved ids would be lost. Without a market, each item is the track the listener saved.
 *
 * The library has no snapshot id. A track saved or removed while the pages are read shifts every later offset, so
 * a track would be read twice or not at all: when the pages disagree (their totals differ, or a track comes twice)
 * they are read again, up to MAX_LIBRARY_READS times.
 */
export async function readSavedTracks(client: SpotifyClient): Promise<SavedTracksDocument> {
  let pages: Json[] = [];
  let reads = 0;
  let consistent = false;
  while (!consistent && reads < MAX_LIBRARY_READS) {
    reads += 1;
    pages = await allPages(LISTENING_PAGE_LIMIT, async (offset) => {
      const label = `GET /v1/me/tracks?offset=${offset}`;
      const page = asObject(await client.getJson('/me/tracks', { limit: LISTENING_PAGE_LIMIT, offset }, label));
      itemsOf(page, label);
      return page;
    });
    consistent = libraryPagesAgree(pages);
  }
  return { pages, items: pages.reduce((sum, p) => sum + asArray(p.items).length, 0), changedWhileRead: !consistent, reads };
}

/** The pages of one read of /me/tracks show one version of the library. */
function libraryPagesAgree(pages: Json[]): boolean {
  const total = pages[0]?.total;
  const items = pages.flatMap((p) => asArray(p.items));
  // Page 0 is read first and the others after it, so a change after page 0 shows as a total that moved. (A count
  // short of the total with steady totals is a server that leaves unavailable tracks out, not a change: reading
  // again would not help.)
  if (typeof total === 'number' && pages.some((p) => p.total !== undefined && p.total !== total)) return false;
  // Read without a market, each track id is the saved track's own (no relinking), so an id twice is a shifted page.
  const ids = items.map((i) => asObject(asObject(i).track).id).filter((id): id is string => typeof id === 'string');
  return new Set(ids).size === ids.length;
}

/** Every followed artist (/v1/me/following?type=artist): cursor paging, `after` = the last artist id read. */
export async function readFollowedArtists(client: SpotifyClient): Promise<PagedDocument> {
  const pages: Json[] = [];
  let items = 0;
  let after: string | undefined;
  const cursorsSeen = new Set<string>();
  for (let n = 0; n < MAX_LISTENING_PAGES; n += 1) {
    const label = `GET /v1/me/following?type=artist${after ? `&after=${after}` : ''}`;
    const body = asObject(await client.getJson('/me/following', { type: 'artist', limit: LISTENING_PAGE_LIMIT, after }, label));
    if (!body.artists || typeof body.artists !== 'object' || Array.isArray(body.artists)) {
      throw new SpotifyApiError(
        label,
        200,
        'the answer came without the "artists" wrapper Spotify puts around the page ({"artists": {"items": [...], ' +
          `"cursors": ...}}; keys: ${Object.keys(body).join(', ') || 'none'}), so the follows cannot be read from it`,
      );
    }
    pages.push(body);
    const page = asObject(body.artists);
    const pageItems = itemsOf(page, label);
    items += pageItems.length;
    const lastId = asObject(pageItems[pageItems.length - 1]).id;
    const cursor = asObject(page.cursors).after;
    const next = typeof cursor === 'string' && cursor ? cursor : typeof lastId === 'string' ? lastId : null;
    // The end: no next link, no cursor, an empty page, or a cursor that does not move (a server that loops).
    if (!page.next || pageItems.length === 0 || next === null || cursorsSeen.has(next)) break;
    cursorsSeen.add(next);
    after = next;
  }
  return { pages, items };
}
