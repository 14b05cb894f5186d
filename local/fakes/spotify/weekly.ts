/**
 * The sample catalog week by week: playlists that change the way people's playlists change, so that week-over-week
 * analyses (new entries, drop-outs, movers, longest-running tracks) have something to find in a local run.
 *
 * Every week is computed directly from the anchor-week catalog (the one `loadSampleCatalog()` returns) and the week
 * number, with a counter-based hash instead of a simulation, so any week costs the same (a few milliseconds on top
 * of building the catalog) and the same week always gives the same catalog. Consecutive weeks still line up:
 *
 * - Guest tracks: in week k a playlist adds a few tracks from the catalog's pool that were not on it, at the end,
 *   with `added_at` early on the Monday of week k (before the Monday 06:00 UTC schedule), and each stays a hashed
 *   number of weeks. Guests that would still be on the playlist in the anchor week are never generated, so the
 *   anchor week is exactly the original catalog.
 * - Drop-outs (after the anchor week only): the original tracks take turns in a fixed order to drop out for a few
 *   weeks; when one comes back it is added again (at the end, `added_at` in the week it returns).
 * - Moves: now and then one original track is dragged a few positions up or down for a few weeks, then back.
 * - Before the anchor week, an original track is on its playlist from the week of its `added_at`.
 *
 * Protected entries (anything that is not a plain pool track: null items, episodes, local files, the hand-written
 * awkward tracks, the deliberate duplicate) never drop out or move, so every awkward case is present every week.
 */
import { createHash } from 'node:crypto';
import type { CatalogEntry, CatalogPlaylist, FakeCatalog, TimeRange } from './model';
import { BASE62, isoSeconds, seededRandom, shuffle } from './seeded';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05, a Monday: week numbers count ISO weeks (Monday to Sunday, UTC) from here. */
const MONDAY_ZERO_MS = Date.UTC(1970, 0, 5);
/** Four-digit years only, as Spotify writes them. */
const EARLIEST_MS = Date.UTC(1900, 0, 1);
const END_MS = Date.UTC(10000, 0, 1);

/** How one playlist changes from week to week. Integer ranges are inclusive. */
export interface PlaylistChurn {
  /** Pool tracks added per week. */
  adds: readonly [number, number];
  /** Weeks an added track stays. */
  stayWeeks: readonly [number, number];
  /** Chance per week (after the anchor week) that the next original track in turn drops out. */
  dropChance: number;
  /** Weeks a dropped original track stays away before it is added again. */
  awayWeeks: readonly [number, number];
  /** Chance per week that one original track is moved... */
  moveChance: number;
  /** ...for this many weeks... */
  moveWeeks: readonly [number, number];
  /** ...by this many positions, up or down. */
  moveBy: readonly [number, number];
  /** Who adds the guest tracks, in turn (user ids of the catalog). */
  adders: readonly string[];
}

export interface WeeklyEvolution {
  /** Any instant in the week whose catalog is the original one. */
  anchor: Date;
  /** Track ids guests are drawn from. */
  pool: readonly string[];
  /** Tracks that never drop out or move, wherever they are. */
  protectedTrackIds: ReadonlySet<string>;
  /** Per playlist id; a playlist without an entry never changes. */
  churn: Readonly<Record<string, PlaylistChurn>>;
  /** Top lists wobble by up to this many ranks per time range. */
  topWobble: Readonly<Record<TimeRange, { amplitude: number; periodWeeks: number }>>;
}

/** The Monday 00:00 UTC that starts the ISO week of `date`. */
export function isoWeekStart(date: Date): Date {
  return new Date(MONDAY_ZERO_MS + weekNumber(date) * WEEK_MS);
}

function weekNumber(date: Date): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new Error(`asOf must be a valid Date (got ${String(date)})`);
  if (ms < EARLIEST_MS || ms >= END_MS) throw new Error(`asOf must fall in the years 1900 to 9999 (got ${date.toISOString()})`);
  return Math.floor((ms - MONDAY_ZERO_MS) / WEEK_MS);
}

// ---------------------------------------------------------------------------------------------------------
// Counter-based randomness: the same inputs always give the same number, on every platform.

const SALT = { adds: 1, stay: 2, drop: 3, away: 4, move: 5, moveWeeks: 6, moveBy: 7, moveUp: 8, minute: 9, order: 10, top: 11 };

function mixStep(h: number, value: number): number {
  let k = Math.imul(value, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3-style hash of integers (negative and beyond 32 bits included). */
function hash(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) {
    h = mixStep(h, part >>> 0);
    if (part < -2147483648 || part > 4294967295) h = mixStep(h, Math.floor(part / 4294967296) >>> 0);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const unit = (...parts: number[]) => hash(...parts) / 4294967296;
const chance = (p: number, ...parts: number[]) => unit(...parts) < p;
const between = ([min, max]: readonly [number, number], ...parts: number[]) => min + Math.floor(unit(...parts) * (max - min + 1));
const mod = (a: number, n: number) => ((a % n) + n) % n;

/** FNV-1a of a string: turns ids into hash inputs. */
function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Early Monday morning of `week` (00:05 to 05:55 UTC): before the weekly schedule, so never in a run's future. */
function mondayMorning(week: number, ...parts: number[]): number {
  return MONDAY_ZERO_MS + week * WEEK_MS + between([5, 355], SALT.minute, week, ...parts) * 60_000;
}

// ---------------------------------------------------------------------------------------------------------
// Playlists

type Tenure = { kind: 'original' } | { kind: 'away' } | { kind: 'returned'; week: number };

interface Placed {
  key: number;
  seq: number;
  entry: CatalogEntry;
}

function checkRange(playlist: string, name: string, [min, max]: readonly [number, number], floor: number): void {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < floor || max < min) {
    throw new Error(`weekly churn of playlist ${playlist}: ${name} must be whole numbers [min, max] with ${floor} <= min <= max`);
  }
}

function checkChurn(playlist: CatalogPlaylist, churn: PlaylistChurn, candidates: number): void {
  checkRange(playlist.id, 'adds', churn.adds, 0);
  checkRange(playlist.id, 'stayWeeks', churn.stayWeeks, 1);
  checkRange(playlist.id, 'awayWeeks', churn.awayWeeks, 1);
  checkRange(playlist.id, 'moveWeeks', churn.moveWeeks, 1);
  checkRange(playlist.id, 'moveBy', churn.moveBy, 1);
  for (const name of ['dropChance', 'moveChance'] as const) {
    if (!(churn[name] >= 0 && churn[name] <= 1)) throw new Error(`weekly churn of playlist ${playlist.id}: ${name} must be from 0 to 1`);
  }
  if (churn.adds[1] > 0 && churn.adders.length === 0) throw new Error(`weekly churn of playlist ${playlist.id}: adders is empty`);
  // Guests on the playlist at the same time come from consecutive pool slots: there must be enough of them.
  if (churn.adds[1] * churn.stayWeeks[1] > candidates) {
    throw new Error(
      `weekly churn of playlist ${playlist.id}: adds x stayWeeks (${churn.adds[1] * churn.stayWeeks[1]}) exceeds the ${candidates} pool tracks not on it`,
    );
  }
  if (playlist.entries.some((e) => e.addedAt === null)) {
    throw new Error(`weekly churn of playlist ${playlist.id}: a playlist with null added_at cannot change (its order would be unknown)`);
  }
}

function evolvePlaylist(playlist: CatalogPlaylist, churn: PlaylistChurn, evolution: WeeklyEvolution, anchor: number, week: number): CatalogEntry[] {
  const salt = stringHash(playlist.id);
  const base = playlist.entries;
  const baseTime = base.map((e) => Date.parse(e.addedAt as string));
  const protectedEntry = (e: CatalogEntry) => e.content.type !== 'track' || evolution.protectedTrackIds.has(e.content.id);
  const onPlaylist = new Set(base.flatMap((e) => (e.content.type === 'track' ? [e.content.id] : [])));
  const candidates = shuffle(
    evolution.pool.filter((id) => !onPlaylist.has(id)),
    seededRandom(hash(SALT.order, salt, 0)),
  );
  checkChurn(playlist, churn, candidates.length);

  // Original entries that may drop out or move, each in its fixed turn.
  const rotating = shuffle(
    base.flatMap((e, i) => (protectedEntry(e) ? [] : [i])),
    seededRandom(hash(SALT.order, salt, 1)),
  );
  const turn = new Map(rotating.map((index, position) => [index, position]));
  const movers = shuffle(rotating, seededRandom(hash(SALT.order, salt, 2)));
  const n = rotating.length;
  const since = week - anchor; // weeks after the anchor week (negative: before it)

  // Drop-outs: week `anchor + s` (s >= 1) is the turn of rotating[(s - 1) mod n]; it drops with dropChance.
  const awayFor = (s: number) => Math.min(between(churn.awayWeeks, SALT.away, salt, s), n - 1);
  const tenure = (position: number): Tenure => {
    if (n < 2 || churn.dropChance <= 0 || since < position + 1) return { kind: 'original' };
    for (let q = Math.floor((since - position - 1) / n); q >= 0; q -= 1) {
      const s = position + 1 + q * n;
      if (!chance(churn.dropChance, SALT.drop, salt, s)) continue;
      const away = awayFor(s);
      return since < s + away ? { kind: 'away' } : { kind: 'returned', week: anchor + s + away };
    }
    return { kind: 'original' };
  };

  // Moves: a move may start any week; it never spans the anchor week (which stays the original order).
  const movedKey = new Map<number, number>();
  if (n > 0) {
    for (let s = since - churn.moveWeeks[1] + 1; s <= since; s += 1) {
      if (!chance(churn.moveChance, SALT.move, salt, s)) continue;
      const lasts = between(churn.moveWeeks, SALT.moveWeeks, salt, s);
      if (since >= s + lasts || (s < 1 && s + lasts > 0)) continue;
      const index = movers[mod(s, n)];
      const by = between(churn.moveBy, SALT.moveBy, salt, s) * (chance(0.5, SALT.moveUp, salt, s) ? -1 : 1);
      const target = Math.max(0, Math.min(base.length - 1, index + by));
      if (target !== index) movedKey.set(index, baseTime[target] + (by > 0 ? 0.5 : -0.5));
    }
  }

  const placed: Placed[] = [];
  base.forEach((entry, index) => {
    const position = turn.get(index);
    if (position === undefined) {
      placed.push({ key: baseTime[index], seq: index, entry });
      return;
    }
    if (since < 0) {
      // Before the anchor week an original track is there from the week it was added.
      if (Math.floor((baseTime[index] - MONDAY_ZERO_MS) / WEEK_MS) > week) return;
      placed.push({ key: movedKey.get(index) ?? baseTime[index], seq: index, entry });
      return;
    }
    const state = tenure(position);
    if (state.kind === 'away') return;
    if (state.kind === 'original') {
      placed.push({ key: movedKey.get(index) ?? baseTime[index], seq: index, entry });
      return;
    }
    const at = mondayMorning(state.week, salt, index);
    placed.push({ key: at, seq: index, entry: { ...entry, addedAt: isoSeconds(at) } });
  });

  // Guests: added in week k, staying `stay` weeks; never on the playlist in the anchor week, never before it existed.
  const created = Math.floor((Math.min(...baseTime) - MONDAY_ZERO_MS) / WEEK_MS);
  const maxAdds = churn.adds[1];
  if (maxAdds > 0 && base.length > 0) {
    const first = week - churn.stayWeeks[1] + 1;
    for (let k = Math.max(first, created); k <= week; k += 1) {
      const count = between(churn.adds, SALT.adds, salt, k);
      for (let j = 0; j < count; j += 1) {
        const stay = between(churn.stayWeeks, SALT.stay, salt, k, j);
        if (week >= k + stay || (k <= anchor && k + stay > anchor)) continue;
        const at = mondayMorning(k, salt, -1 - j);
        placed.push({
          key: at,
          seq: base.length + (k - first) * maxAdds + j,
          entry: {
            addedAt: isoSeconds(at),
            addedBy: churn.adders[mod(k + j, churn.adders.length)],
            content: { type: 'track', id: candidates[mod(k * maxAdds + j, candidates.length)] },
          },
        });
      }
    }
  }

  placed.sort((a, b) => a.key - b.key || a.seq - b.seq);
  return placed.map((p) => p.entry);
}

function sameEntries(a: CatalogEntry[], b: CatalogEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/** Like Spotify's: base64 of an opaque version token. Derived from the contents: same contents, same id. */
export function contentSnapshotId(playlistId: string, entries: CatalogEntry[]): string {
  const h = createHash('sha256').update(playlistId);
  for (const e of entries) {
    const what = e.content.type === 'track' || e.content.type === 'episode' ? e.content.id : e.content.type === 'local' ? e.content.file.name : '';
    h.update(`\n${e.content.type}\t${what}\t${e.addedAt ?? ''}\t${e.addedBy ?? ''}`);
  }
  const raw = [...h.digest().subarray(0, 24)].map((byte) => BASE62[byte % 62]).join('');
  return Buffer.from(`AAAA${raw}`).toString('base64');
}

// ---------------------------------------------------------------------------------------------------------
// Top lists

/**
 * Every candidate keeps a score: its anchor-week rank plus a smooth wobble (value noise whose knots sit every
 * `periodWeeks` weeks from the anchor, zero at the anchor itself). A few items just below the list can wobble in.
 */
function wobbledTop(ids: string[], all: string[], range: TimeRange, kind: number, wobble: { amplitude: number; periodWeeks: number }, since: number): string[] {
  const size = ids.length;
  const listed = new Set(ids);
  // The candidates just below the list: the next few unlisted ids from a fixed place in the catalog's order.
  const extras: string[] = [];
  const want = Math.max(5, Math.ceil(size / 5));
  const start = hash(SALT.top, kind, size) % Math.max(1, all.length);
  for (let i = 0; i < all.length && extras.length < want; i += 1) {
    const id = all[(start + i) % all.length];
    if (!listed.has(id)) extras.push(id);
  }
  const rangeSalt = stringHash(range);
  const u = since / wobble.periodWeeks;
  const k0 = Math.floor(u);
  const t = u - k0;
  const knot = (itemHash: number, k: number) => (k === 0 ? 0 : unit(SALT.top, kind, rangeSalt, itemHash, k) * 2 - 1);
  const scored = [...ids, ...extras].map((id, rank) => {
    const h = stringHash(id);
    const noise = knot(h, k0) * (1 - t) + knot(h, k0 + 1) * t;
    return { id, rank, score: rank + wobble.amplitude * noise };
  });
  scored.sort((a, b) => a.score - b.score || a.rank - b.rank);
  return scored.slice(0, size).map((s) => s.id);
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Turns the anchor-week catalog into the catalog of the ISO week of `asOf`, in place (pass a fresh copy) and
 * returns it. The anchor week itself is returned unchanged.
 */
export function evolveCatalog(catalog: FakeCatalog, evolution: WeeklyEvolution, asOf: Date): FakeCatalog {
  const week = weekNumber(asOf);
  const anchor = weekNumber(evolution.anchor);
  if (week === anchor) return catalog;
  for (const playlist of catalog.playlists) {
    const churn = evolution.churn[playlist.id];
    if (!churn) continue;
    const entries = evolvePlaylist(playlist, churn, evolution, anchor, week);
    if (sameEntries(entries, playlist.entries)) continue;
    playlist.entries = entries;
    playlist.snapshotId = contentSnapshotId(playlist.id, entries);
  }
  const since = week - anchor;
  const trackIds = Object.keys(catalog.tracks);
  const artistIds = Object.keys(catalog.artists);
  for (const range of Object.keys(catalog.top.tracks) as TimeRange[]) {
    const wobble = evolution.topWobble[range];
    catalog.top.tracks[range] = wobbledTop(catalog.top.tracks[range], trackIds, range, 1, wobble, since);
    catalog.top.artists[range] = wobbledTop(catalog.top.artists[range], artistIds, range, 2, wobble, since);
  }
  return catalog;
}
