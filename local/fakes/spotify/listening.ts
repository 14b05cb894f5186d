/**
 * The fake Spotify's listeners: several authorised users, each with their own refresh token, listening history,
 * saved tracks and followed artists, served the way Spotify serves them:
 *
 * - `GET /v1/me/player/recently-played` (scope `user-read-recently-played`): cursor paging with `after` or `before`
 *   (Unix ms, never both), `limit` 1..50 (default 20), newest first, and only the **50 most recent plays** are
 *   ever reachable. `cursors.after` / `cursors.before` are the newest / oldest `played_at` of the page in ms (as
 *   strings); `next` pages back in time (`before=<cursors.before>`) while older reachable plays remain; an empty
 *   page has `cursors: null` and `next: null`. With `after`, the page holds the newest plays after the cursor,
 *   which is why a poll that finds a full page may have missed plays.
 * - `GET /v1/me/tracks` (scope `user-library-read`): offset paging (limit 1..50), `{ added_at, track }`, the most
 *   recently saved first.
 * - `GET /v1/me/following?type=artist` (scope `user-follow-read`): cursor paging where `after` is the last artist
 *   id of the previous page, wrapped in `{ "artists": { ... } }`, `cursors.after` null on the last page.
 *
 * Plays are a pure function of time: the time line is cut into slots (`3600 s / perHour`), each slot holds at most
 * one play, and whether it does, at which millisecond and which track from which context come from a counter-based
 * hash of the listener's seed and the slot number. So any window of history costs the same to compute, the same
 * instant always shows the same plays (also across fake servers started for different weeks), and new plays
 * appear as the fake's clock moves (`asOf`, `advanceClock`, or wall time). Tracks come only from parts of the
 * catalog that never change from week to week (tracks, artists, playlist ids), so a play never changes its track.
 */
import { SAMPLE_USER_ID, SAMPLE_FRIEND_ID, type FakeCatalog, type TimeRange } from './catalog';
import type { Renderer } from './render';
import { isoSeconds } from './seeded';

type Json = Record<string, unknown>;

/** The scopes the listening endpoints need, beside the playlist and top-item scopes. */
export const LISTENING_SCOPES = ['user-read-recently-played', 'user-library-read', 'user-follow-read'] as const;
/** Everything a listener's refresh token grants unless the spec narrows it. */
export const FULL_LISTENER_SCOPE = [
  'playlist-read-private',
  'playlist-read-collaborative',
  'user-top-read',
  'user-read-private',
  ...LISTENING_SCOPES,
].join(' ');

/** Spotify keeps (and serves) only this many plays of a user's history. */
export const RECENTLY_PLAYED_HORIZON = 50;
const HOUR_MS = 3_600_000;
/** Saved tracks are dated back from here (the Sunday evening before the sample catalog's anchor week). */
const LIBRARY_ANCHOR_MS = Date.parse('2026-11-22T21:00:00Z');
/** How far back a request may look for the 50 reachable plays before the history is taken as shorter. */
const MAX_LOOKBACK_MS = 60 * 24 * HOUR_MS;

export interface PlayModel {
  /** Plays per hour while listening (slot length = 1 h / perHour). Default 12. */
  perHour?: number;
  /** `daytime` (default): more in the morning and evening (UTC), little at night; `always`: every slot plays. */
  activity?: 'daytime' | 'always';
  /** When false, a play starts exactly at its slot's start (exact counts in tests). Default true. */
  jitter?: boolean;
}

export interface FakeListenerSpec {
  userId: string;
  displayName: string | null;
  refreshToken: string;
  /** Space-separated scopes the refresh token grants; default FULL_LISTENER_SCOPE. */
  scope?: string;
  /** Seeds the listener's library and history. */
  seed: number;
  savedTracks: number;
  followedArtists: number;
  plays?: PlayModel;
}

export interface ListenerPlay {
  playedAtMs: number;
  trackId: string;
  context: { type: 'playlist' | 'album' | 'artist' | 'collection'; id: string } | null;
}

/** The sample listeners: Sam (the catalog's user, the default credentials) and Mira, the friend. */
export function sampleListenerSpecs(defaultRefreshToken: string): FakeListenerSpec[] {
  return [
    { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: defaultRefreshToken, seed: 1201, savedTracks: 137, followedArtists: 57 },
    {
      userId: SAMPLE_FRIEND_ID,
      displayName: 'Mira',
      refreshToken: 'AQDfake-refresh-token-for-mira-the-second-listener-of-the-fake',
      seed: 1202,
      savedTracks: 64,
      followedArtists: 23,
      plays: { perHour: 8 },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Counter-based randomness (no state: the same inputs always give the same number)

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A number in [0, 1) from a seed, a counter (any safe integer) and a salt. */
export function unit(seed: number, counter: number, salt: number): number {
  const low = counter >>> 0;
  const high = Math.floor(counter / 4294967296) >>> 0;
  let h = mix(seed ^ 0x9e3779b9);
  h = mix(h ^ low);
  h = mix(h ^ Math.imul(high, 0x27d4eb2f) ^ Math.imul(salt, 0x165667b1));
  return h / 4294967296;
}

function pick<T>(items: readonly T[], u: number): T {
  return items[Math.min(items.length - 1, Math.floor(u * items.length))];
}

/** The first `count` items of a seeded shuffle (deterministic; `items` is not changed). */
function seededSample<T>(items: readonly T[], count: number, seed: number): T[] {
  const out = [...items];
  const n = Math.min(count, out.length);
  for (let i = 0; i < n; i += 1) {
    const j = i + Math.floor(unit(seed, i, 77) * (out.length - i));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.slice(0, n);
}

/** Chance that a slot holds a play, by UTC hour: mornings and evenings, little at night. */
const DAYTIME_ACTIVITY = [0.05, 0.03, 0.02, 0.02, 0.02, 0.05, 0.3, 0.75, 0.8, 0.55, 0.4, 0.4, 0.5, 0.45, 0.4, 0.4, 0.5, 0.7, 0.85, 0.85, 0.8, 0.7, 0.5, 0.2];

// ---------------------------------------------------------------------------------------------------------

export class FakeListener {
  readonly userId: string;
  readonly displayName: string | null;
  readonly scope: string;
  readonly seed: number;
  /** Newest first, as /me/tracks lists them. */
  readonly savedTracks: Array<{ trackId: string; addedAt: string }>;
  /** Sorted by id: the order /me/following pages through with `after`. */
  readonly followedArtistIds: string[];
  readonly top: { tracks: Record<TimeRange, string[]>; artists: Record<TimeRange, string[]> } | null;
  private readonly slotMs: number;
  private readonly activity: 'daytime' | 'always';
  private readonly jitter: boolean;
  private readonly tastePool: string[];
  private readonly discoveryPool: string[];
  private readonly playlistIds: string[];

  constructor(spec: FakeListenerSpec, catalog: FakeCatalog) {
    this.userId = spec.userId;
    this.displayName = spec.displayName;
    this.scope = spec.scope ?? FULL_LISTENER_SCOPE;
    this.seed = spec.seed;
    const perHour = spec.plays?.perHour ?? 12;
    if (!(perHour > 0 && perHour <= 3600)) throw new Error(`fake listener ${spec.userId}: plays.perHour must be in (0, 3600] (got ${perHour})`);
    this.slotMs = Math.round(HOUR_MS / perHour);
    this.activity = spec.plays?.activity ?? 'daytime';
    this.jitter = spec.plays?.jitter ?? true;

    // Only what never changes week to week: the catalog's tracks and artists and the playlists' ids.
    const trackIds = Object.keys(catalog.tracks).sort();
    const artistIds = Object.keys(catalog.artists).sort();
    if (spec.savedTracks > trackIds.length || spec.followedArtists > artistIds.length) {
      throw new Error(`fake listener ${spec.userId}: the catalog has ${trackIds.length} tracks and ${artistIds.length} artists`);
    }
    let clock = LIBRARY_ANCHOR_MS;
    this.savedTracks = seededSample(trackIds, spec.savedTracks, spec.seed).map((trackId, i) => {
      clock -= Math.floor((1 + unit(spec.seed, i, 3) * 119) * HOUR_MS); // 1 to 120 hours between saves
      return { trackId, addedAt: isoSeconds(clock) };
    });
    this.followedArtistIds = seededSample(artistIds, spec.followedArtists, spec.seed + 1).sort();
    const saved = this.savedTracks.map((s) => s.trackId);
    // Heavy rotation: a small favourite set plus the library; discoveries come from the whole catalog.
    this.tastePool = [...seededSample(trackIds, 40, spec.seed + 2), ...saved];
    this.discoveryPool = trackIds;
    this.playlistIds = catalog.playlists
      .filter((p) => p.ownerId === spec.userId || p.collaborators.includes(spec.userId))
      .map((p) => p.id)
      .sort();
    // The catalog's own user keeps the catalog's top lists; any other listener gets their own.
    this.top =
      spec.userId === catalog.userId
        ? null
        : {
            tracks: {
              short_term: seededSample(this.tastePool, 25, spec.seed + 10),
              medium_term: seededSample(this.tastePool, 40, spec.seed + 11),
              long_term: seededSample(trackIds, 50, spec.seed + 12),
            },
            artists: {
              short_term: seededSample(this.followedArtistIds, 15, spec.seed + 13),
              medium_term: seededSample(artistIds, 25, spec.seed + 14),
              long_term: seededSample(artistIds, 35, spec.seed + 15),
            },
          };
  }

  /** The play in slot k, if the listener played something then. */
  private playInSlot(k: number): ListenerPlay | null {
    const start = k * this.slotMs;
    if (this.activity === 'daytime') {
      const hour = new Date(start).getUTCHours();
      if (unit(this.seed, k, 1) >= DAYTIME_ACTIVITY[hour]) return null;
    }
    const playedAtMs = start + (this.jitter ? Math.floor(unit(this.seed, k, 2) * this.slotMs * 0.8) : 0);
    const roll = unit(this.seed, k, 4);
    const u = unit(this.seed, k, 5);
    let trackId: string;
    let context: ListenerPlay['context'];
    if (roll < 0.35 && this.playlistIds.length > 0) {
      context = { type: 'playlist', id: pick(this.playlistIds, unit(this.seed, k, 6)) };
      trackId = pick(this.tastePool, u);
    } else if (roll < 0.55) {
      trackId = pick(this.tastePool, u);
      context = { type: 'album', id: '' }; // filled from the track below
    } else if (roll < 0.65) {
      trackId = pick(this.tastePool, u);
      context = { type: 'artist', id: '' };
    } else if (roll < 0.8 && this.savedTracks.length > 0) {
      trackId = pick(this.savedTracks, u).trackId;
      context = { type: 'collection', id: this.userId };
    } else {
      // From search, radio or a friend's link: no context; a third of these are tracks the listener never had.
      trackId = unit(this.seed, k, 7) < 0.35 ? pick(this.discoveryPool, u) : pick(this.tastePool, u);
      context = null;
    }
    return { playedAtMs, trackId, context };
  }

  /** Plays with after < played_at <= upTo, newest first, at most `max`. */
  playsBetween(afterMs: number, upToMs: number, max = Number.POSITIVE_INFINITY): ListenerPlay[] {
    const out: ListenerPlay[] = [];
    const floor = Math.max(afterMs, upToMs - MAX_LOOKBACK_MS);
    for (let k = Math.floor(upToMs / this.slotMs); k * this.slotMs + this.slotMs > floor && out.length < max; k -= 1) {
      const play = this.playInSlot(k);
      if (play && play.playedAtMs <= upToMs && play.playedAtMs > afterMs) out.push(play);
    }
    return out;
  }

  /** What Spotify still serves at `nowMs`: the 50 (`horizon`) most recent plays, newest first. */
  reachablePlays(nowMs: number, horizon = RECENTLY_PLAYED_HORIZON): ListenerPlay[] {
    return this.playsBetween(Number.NEGATIVE_INFINITY, nowMs, horizon);
  }

  /** The listener saves a track now (the first catalog track they have not saved): /me/tracks lists it first. */
  saveTrack(nowMs: number): string {
    const saved = new Set(this.savedTracks.map((s) => s.trackId));
    const trackId = this.discoveryPool.find((id) => !saved.has(id));
    if (trackId === undefined) throw new Error(`fake listener ${this.userId} has saved every track of the catalog`);
    this.savedTracks.unshift({ trackId, addedAt: isoSeconds(nowMs) });
    return trackId;
  }

  savedTracksAt(nowMs: number): Array<{ trackId: string; addedAt: string }> {
    return this.savedTracks.filter((s) => Date.parse(s.addedAt) <= nowMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The endpoints

export interface ListeningReply {
  status: number;
  body: unknown;
}

const apiError = (status: number, message: string): ListeningReply => ({ status, body: { error: { status, message } } });
const ok = (body: unknown): ListeningReply => ({ status: 200, body });

function intParam(q: URLSearchParams, name: string): number | null | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  return /^\d{1,16}$/.test(raw) ? Number(raw) : null;
}

function limitParam(q: URLSearchParams): number | null {
  const limit = intParam(q, 'limit');
  if (limit === undefined) return 20;
  return limit !== null && limit >= 1 && limit <= 50 ? limit : null;
}

export interface ListeningRequest {
  listener: FakeListener;
  scope: string;
  /** Path segments after /v1/me (e.g. ['player', 'recently-played']). */
  segments: string[];
  query: URLSearchParams;
  nowMs: number;
}

/** How the fake's recently-played behaves: Spotify's rules by default; other servers' for robustness tests. */
export interface RecentlyPlayedRules {
  /** Plays reachable at all; Spotify: 50. */
  horizon?: number;
  /** Which end of the plays after an `after` cursor a page holds; Spotify: the newest. */
  after?: 'newest' | 'oldest';
  /** How `played_at` is written; Spotify: with milliseconds (`2026-11-25T18:30:00.123Z`), sometimes without. */
  playedAt?: 'milliseconds' | 'seconds' | 'no-zone';
}

/**
 * Quirks of other Spotify-compatible servers on the listening endpoints (the fake's `quirks` apply too:
 * `maxLimit` caps every page, `omitTotal` drops `total` from /me/tracks).
 */
export interface ListeningQuirks {
  /** Caps `limit` below what was asked (Spotify: 50). */
  maxLimit?: number;
  /** false: pages leave out the `limit` they used. Default true (Spotify echoes it). */
  echoLimit?: boolean;
  /** `total` left out of /me/tracks pages. */
  omitTotal?: boolean;
  /** /me/following answers the bare cursor page, without Spotify's `{ "artists": ... }` wrapper. */
  unwrappedFollowing?: boolean;
  /**
   * How a token without the endpoint's scope is refused: `403` "Insufficient client scope" (default, what Spotify
   * answers on these endpoints), or `401` "Permissions missing" (what Spotify answers on its other /me/player
   * endpoints).
   */
  missingScope?: '403' | '401';
}

export class ListeningApi {
  private readonly horizon: number;
  private readonly afterEnd: 'newest' | 'oldest';
  private readonly playedAt: NonNullable<RecentlyPlayedRules['playedAt']>;

  constructor(
    private readonly catalog: FakeCatalog,
    private readonly renderer: () => Renderer,
    private readonly apiBaseUrl: () => string,
    rules: RecentlyPlayedRules = {},
    private readonly quirks: ListeningQuirks = {},
    /** Saved track id -> the track it is relinked to when a request names a market (FakeSpotifyOptions.relinks). */
    private readonly relinks: Record<string, string> = {},
  ) {
    this.horizon = rules.horizon ?? RECENTLY_PLAYED_HORIZON;
    if (!(Number.isInteger(this.horizon) && this.horizon >= 1)) throw new Error(`recentlyPlayed.horizon must be a whole number >= 1 (got ${rules.horizon})`);
    this.afterEnd = rules.after ?? 'newest';
    this.playedAt = rules.playedAt ?? 'milliseconds';
  }

  /** The page size a request gets: what it asked for (1..50, default 20), capped by a quirky server. */
  private limitOf(query: URLSearchParams): number | null {
    const asked = limitParam(query);
    return asked === null ? null : Math.min(asked, this.quirks.maxLimit ?? 50);
  }

  /** A page as this server sends it: with the limit it used, unless it is one that leaves it out. */
  private echo<T extends Json>(page: T): T {
    if (this.quirks.echoLimit !== false) return page;
    const { limit: _limit, ...rest } = page;
    return rest as T;
  }

  private formatPlayedAt(ms: number): string {
    const iso = new Date(ms).toISOString();
    if (this.playedAt === 'seconds') return iso.replace(/\.\d{3}Z$/, 'Z');
    if (this.playedAt === 'no-zone') return iso.replace(/Z$/, '');
    return iso;
  }

  /** Answers the listening endpoints; null for any other /v1/me path. */
  handle(request: ListeningRequest): ListeningReply | null {
    const [first, second] = request.segments;
    if (first === 'player' && second === 'recently-played' && request.segments.length === 2) {
      return this.needs(request, 'user-read-recently-played') ?? this.recentlyPlayed(request);
    }
    if (first === 'tracks' && request.segments.length === 1) {
      return this.needs(request, 'user-library-read') ?? this.savedTracks(request);
    }
    if (first === 'following' && request.segments.length === 1) {
      return this.needs(request, 'user-follow-read') ?? this.following(request);
    }
    return null;
  }

  private needs(request: ListeningRequest, scope: string): ListeningReply | null {
    if (request.scope.split(' ').includes(scope)) return null;
    return this.quirks.missingScope === '401' ? apiError(401, 'Permissions missing') : apiError(403, 'Insufficient client scope');
  }

  private recentlyPlayed({ listener, query, nowMs }: ListeningRequest): ListeningReply {
    const limit = this.limitOf(query);
    if (limit === null) return apiError(400, 'Invalid limit');
    const after = intParam(query, 'after');
    const before = intParam(query, 'before');
    if (after === null || before === null) return apiError(400, 'Invalid cursor: after and before are Unix timestamps in milliseconds');
    if (after !== undefined && before !== undefined) return apiError(400, 'Only one of after and before may be given');
    const reachable = listener.reachablePlays(nowMs, this.horizon);
    const window = reachable.filter(
      (p) => (after === undefined || p.playedAtMs > after) && (before === undefined || p.playedAtMs < before),
    );
    const page = after !== undefined && this.afterEnd === 'oldest' ? window.slice(-limit) : window.slice(0, limit);
    const base = `${this.apiBaseUrl()}/me/player/recently-played`;
    const href = new URL(base);
    href.searchParams.set('limit', String(limit));
    if (after !== undefined) href.searchParams.set('after', String(after));
    if (before !== undefined) href.searchParams.set('before', String(before));
    const oldest = page[page.length - 1];
    const olderRemain = oldest !== undefined && reachable.some((p) => p.playedAtMs < oldest.playedAtMs);
    return ok(
      this.echo({
        items: page.map((p) => this.playHistoryItem(listener, p)),
        next: olderRemain ? `${base}?before=${oldest.playedAtMs}&limit=${limit}` : null,
        cursors: page.length === 0 ? null : { after: String(page[0].playedAtMs), before: String(oldest.playedAtMs) },
        limit,
        href: href.toString(),
      }),
    );
  }

  private playHistoryItem(listener: FakeListener, play: ListenerPlay): Json {
    const renderer = this.renderer();
    const track = this.catalog.tracks[play.trackId];
    let context: Json | null = null;
    if (play.context) {
      const api = this.apiBaseUrl();
      switch (play.context.type) {
        case 'playlist':
          context = this.contextObject('playlist', play.context.id, `${api}/playlists/${play.context.id}`);
          break;
        case 'album':
          context = this.contextObject('album', track.albumId, `${api}/albums/${track.albumId}`);
          break;
        case 'artist':
          context = this.contextObject('artist', track.artistIds[0], `${api}/artists/${track.artistIds[0]}`);
          break;
        case 'collection':
          // Liked Songs: Spotify names the user's collection, not a playlist.
          context = {
            type: 'collection',
            href: `${api}/me/tracks`,
            external_urls: { spotify: 'https://open.spotify.com/collection/tracks' },
            uri: `spotify:user:${listener.userId}:collection`,
          };
          break;
      }
    }
    return { track: renderer.track(play.trackId), played_at: this.formatPlayedAt(play.playedAtMs), context };
  }

  private contextObject(type: string, id: string, href: string): Json {
    return { type, href, external_urls: { spotify: `https://open.spotify.com/${type}/${id}` }, uri: `spotify:${type}:${id}` };
  }

  private savedTracks({ listener, query, nowMs }: ListeningRequest): ListeningReply {
    const limit = this.limitOf(query);
    const offset = intParam(query, 'offset') ?? 0;
    if (limit === null) return apiError(400, 'Invalid limit');
    if (offset === null) return apiError(400, 'Invalid offset');
    const saved = listener.savedTracksAt(nowMs);
    const renderer = this.renderer();
    const market = query.get('market');
    const trackOf = (id: string) => (market && this.relinks[id] ? renderer.relinkedTrack(this.relinks[id], id) : renderer.track(id));
    const items = saved.slice(offset, offset + limit).map((s) => ({ added_at: s.addedAt, track: trackOf(s.trackId) }));
    const page = this.echo(renderer.page('/me/tracks', items, offset, limit, saved.length));
    if (this.quirks.omitTotal) delete page.total;
    return ok(page);
  }

  private following({ listener, query }: ListeningRequest): ListeningReply {
    const type = query.get('type');
    if (type !== 'artist') return apiError(400, type === null ? 'Missing parameter type' : `Invalid type "${type}": only artist is supported`);
    const limit = this.limitOf(query);
    if (limit === null) return apiError(400, 'Invalid limit');
    const after = query.get('after');
    const ids = listener.followedArtistIds;
    const start = after === null ? 0 : ids.findIndex((id) => id > after);
    const page = start < 0 ? [] : ids.slice(start, start + limit);
    const base = `${this.apiBaseUrl()}/me/following`;
    const last = page[page.length - 1];
    const more = last !== undefined && ids[ids.length - 1] !== last;
    const href = new URLSearchParams({ type: 'artist', limit: String(limit) });
    if (after !== null) href.set('after', after);
    const artists = this.echo({
      items: page.map((id) => this.renderer().artist(id)),
      next: more ? `${base}?type=artist&after=${last}&limit=${limit}` : null,
      total: ids.length,
      cursors: { after: more ? last : null },
      limit,
      href: `${base}?${href.toString()}`,
    });
    return ok(this.quirks.unwrappedFollowing ? artists : { artists });
  }
}

/** The fake's listening clock: starts at `start` and runs with wall time unless frozen; tests move it. */
export class FakeClock {
  private offsetMs: number;
  private frozenAt: number | null;

  constructor(start: Date | undefined, frozen: boolean) {
    const now = Date.now();
    this.offsetMs = start ? start.getTime() - now : 0;
    this.frozenAt = frozen ? (start?.getTime() ?? now) : null;
  }

  now(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new Error(`advanceClock: ms must be a finite number (got ${ms})`);
    if (this.frozenAt !== null) this.frozenAt += ms;
    else this.offsetMs += ms;
  }

  set(at: Date): void {
    if (Number.isNaN(at.getTime())) throw new Error('setClock: not a valid date');
    if (this.frozenAt !== null) this.frozenAt = at.getTime();
    else this.offsetMs = at.getTime() - Date.now();
  }
}
