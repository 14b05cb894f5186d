/**
 * The sample catalog week by week: loadSampleCatalog(asOf) gives the playlists of the ISO week of asOf. Each week
 * is deterministic, consecutive weeks differ the way real playlists do (entries, drop-outs, moves), and the
 * awkward cases and the no-argument catalog that other tests rely on never change.
 */
import { createHash } from 'node:crypto';
import {
  isoWeekStart,
  loadSampleCatalog,
  SAMPLE_CATALOG_ANCHOR_WEEK,
  SAMPLE_FRIEND_COLLAB_PLAYLIST_ID,
  SAMPLE_PLAYLIST_IDS,
  SAMPLE_USER_ID,
  TIME_RANGES,
  type CatalogPlaylist,
  type FakeCatalog,
} from '../../../local/fakes/spotify/catalog';
import { startFakeSpotify } from '../../../local/fakes/spotify/server';
import { getJson, userToken, walkPages } from './helpers';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const ANCHOR = Date.parse(`${SAMPLE_CATALOG_ANCHOR_WEEK}T00:00:00Z`);
/** Wednesday noon of the week `n` weeks after the anchor week. */
const week = (n: number) => new Date(ANCHOR + n * WEEK + 2.5 * DAY);

/** Read-only catalogs, loaded once per week for the whole file (a test that mutates loads its own). */
const loaded = new Map<number, FakeCatalog>();
function at(n: number): FakeCatalog {
  if (!loaded.has(n)) loaded.set(n, loadSampleCatalog(week(n)));
  return loaded.get(n)!;
}
const PLAIN = loadSampleCatalog();

const [MORNING, LATE_NIGHT, WORLD, OLD, ROAD_TRIP, PODCASTS, EMPTY] = SAMPLE_PLAYLIST_IDS.owned;
const READABLE = [...SAMPLE_PLAYLIST_IDS.owned, SAMPLE_FRIEND_COLLAB_PLAYLIST_ID];

const playlist = (c: FakeCatalog, id: string) => c.playlists.find((p) => p.id === id)!;
const trackIds = (p: CatalogPlaylist) => p.entries.flatMap((e) => (e.content.type === 'track' ? [e.content.id] : []));
/** Track id -> best chart rank (1-based), as the chart_movements view counts them. */
function ranks(p: CatalogPlaylist): Map<string, number> {
  const out = new Map<string, number>();
  p.entries.forEach((e, i) => {
    if (e.content.type === 'track' && !out.has(e.content.id)) out.set(e.content.id, i + 1);
  });
  return out;
}
function movements(before: CatalogPlaylist, after: CatalogPlaylist) {
  const a = ranks(before);
  const b = ranks(after);
  const entries = [...b.keys()].filter((id) => !a.has(id));
  const dropOuts = [...a.keys()].filter((id) => !b.has(id));
  const up = [...b].filter(([id, r]) => a.has(id) && r < a.get(id)!).length;
  const down = [...b].filter(([id, r]) => a.has(id) && r > a.get(id)!).length;
  return { entries, dropOuts, up, down };
}

describe('loadSampleCatalog() without a date', () => {
  it('is exactly the catalog it always was (ids, counts, order, awkward cases)', () => {
    const catalog = loadSampleCatalog();
    // Pinned: the extract, transform, warehouse and local-run tests assert on this exact data. (Mira's own playlist
    // came with its own generator and `followedBy` replaced `inMyPlaylists`; every other value stayed as it was.)
    expect(createHash('sha256').update(JSON.stringify(catalog)).digest('hex')).toBe(
      '3315e8f276d0e92e33b3b6abf68911d7354c1ac7957d66406609bac10e7b6066',
    );
    const owned = catalog.playlists.filter((p) => p.ownerId === SAMPLE_USER_ID);
    expect(owned.map((p) => p.entries.length)).toEqual([150, 120, 70, 45, 81, 40, 0]);
    expect(owned.reduce((n, p) => n + p.entries.length, 0)).toBe(506);
    expect(Object.keys(catalog.tracks)).toHaveLength(370);
    expect(Object.keys(catalog.albums)).toHaveLength(209);
    expect(Object.keys(catalog.artists)).toHaveLength(152);
    expect(Object.keys(catalog.episodes)).toHaveLength(8);
    expect(playlist(catalog, MORNING).entries[7].content).toEqual({ type: 'missing' });
  });

  it('is the catalog of the anchor week, from its first to its last millisecond', () => {
    const plain = loadSampleCatalog();
    expect(loadSampleCatalog(new Date(ANCHOR))).toEqual(plain);
    expect(loadSampleCatalog(new Date(ANCHOR + WEEK - 1))).toEqual(plain);
    expect(loadSampleCatalog(new Date(ANCHOR - 1))).not.toEqual(plain);
    expect(loadSampleCatalog(new Date(ANCHOR + WEEK))).not.toEqual(plain);
  });
});

describe('loadSampleCatalog(asOf)', () => {
  it('is the same catalog for every date of one ISO week (Monday to Sunday, UTC), and a fresh copy each time', () => {
    const monday = loadSampleCatalog(new Date(ANCHOR + 5 * WEEK));
    const sunday = loadSampleCatalog(new Date(ANCHOR + 6 * WEEK - 1));
    expect(sunday).toEqual(monday);
    expect(isoWeekStart(new Date(ANCHOR + 6 * WEEK - 1)).getTime()).toBe(ANCHOR + 5 * WEEK);
    sunday.playlists[0].entries.splice(0, 10);
    sunday.top.tracks.short_term.reverse();
    expect(loadSampleCatalog(new Date(ANCHOR + 5 * WEEK + DAY))).toEqual(monday);
  });

  it('changes the readable playlists every week after the anchor: entries, drop-outs and moves up and down', () => {
    let previous = at(0);
    for (let n = 1; n <= 10; n += 1) {
      const current = at(n);
      const weekStart = isoWeekStart(week(n)).getTime();
      const all = READABLE.map((id) => movements(playlist(previous, id), playlist(current, id)));
      expect(all.some((m) => m.entries.length > 0)).toBe(true);
      expect(all.some((m) => m.dropOuts.length > 0)).toBe(true);
      expect(all.some((m) => m.up > 0)).toBe(true);
      // "Updated most Mondays": Morning Commute gains, loses and reorders tracks every week.
      const morning = movements(playlist(previous, MORNING), playlist(current, MORNING));
      expect(morning.entries.length).toBeGreaterThan(0);
      expect(morning.dropOuts.length).toBeGreaterThan(0);
      expect(morning.up + morning.down).toBeGreaterThan(0);

      for (const id of READABLE) {
        const before = playlist(previous, id);
        const after = playlist(current, id);
        // A track that enters was added this week, early on Monday (before the weekly 06:00 UTC run).
        const entered = new Set(movements(before, after).entries);
        for (const e of after.entries) {
          if (e.content.type !== 'track' || !entered.has(e.content.id)) continue;
          const at = Date.parse(e.addedAt!);
          expect(at).toBeGreaterThanOrEqual(weekStart);
          expect(at).toBeLessThan(weekStart + 6 * 3_600_000);
        }
        // The snapshot id changes exactly when the contents change.
        expect(after.snapshotId === before.snapshotId).toBe(JSON.stringify(after.entries) === JSON.stringify(before.entries));
      }
      previous = current;
    }
  });

  it('moves tracks down as well as up over a few weeks, and keeps what entered for the next week', () => {
    let down = 0;
    for (let n = 1; n <= 6; n += 1) {
      const [before, current, next] = [n - 1, n, n + 1].map((k) => playlist(at(k), MORNING));
      down += movements(before, current).down;
      const stays = new Set(trackIds(next));
      movements(before, current).entries.forEach((id) => expect(stays.has(id)).toBe(true));
    }
    expect(down).toBeGreaterThan(0);
  });

  it('changes from week to week before the anchor week too, and playlists grow in the weeks their tracks were added', () => {
    let changedWeeks = 0;
    for (let n = -6; n <= 0; n += 1) {
      const [before, after] = [at(n - 1), at(n)];
      const all = READABLE.map((id) => movements(playlist(before, id), playlist(after, id)));
      if (all.some((m) => m.entries.length + m.dropOuts.length > 0)) changedWeeks += 1;
    }
    expect(changedWeeks).toBeGreaterThanOrEqual(5);
    // Road Trip's original tracks were added from June to October 2026: in July only some of them are on it.
    const july = playlist(loadSampleCatalog(new Date('2026-07-15T12:00:00Z')), ROAD_TRIP);
    const roadTripNow = playlist(PLAIN, ROAD_TRIP);
    expect(july.entries.length).toBeLessThan(roadTripNow.entries.length - 20);
    const julyEnd = isoWeekStart(new Date('2026-07-15T12:00:00Z')).getTime() + WEEK;
    const lateOriginals = july.entries.filter((e) => e.content.type === 'track' && Date.parse(e.addedAt!) >= julyEnd);
    expect(lateOriginals).toHaveLength(0);
  });

  it('shifts the top tracks and artists a little from week to week', () => {
    for (let n = 1; n <= 6; n += 1) {
      const [a, b] = [at(n - 1), at(n)];
      for (const range of TIME_RANGES) {
        for (const type of ['tracks', 'artists'] as const) {
          const before = a.top[type][range];
          const after = b.top[type][range];
          expect(after).toHaveLength(before.length);
          const kept = after.filter((id) => before.includes(id)).length;
          expect(kept / after.length).toBeGreaterThanOrEqual(0.85);
        }
      }
      expect(b.top.tracks.short_term).not.toEqual(a.top.tracks.short_term);
    }
    expect(at(26).top.tracks.medium_term).not.toEqual(PLAIN.top.tracks.medium_term);
  });

  it.each([
    ['1990-03-14T08:00:00Z'],
    ['2026-01-07T12:00:00Z'],
    [week(-1).toISOString()],
    [week(1).toISOString()],
    [week(2).toISOString()],
    [week(13).toISOString()],
    ['2031-07-01T00:00:00Z'],
    ['9999-12-31T23:59:59Z'],
  ])('keeps every invariant and awkward case in the week of %s', (iso) => {
    const asOf = new Date(iso);
    const c = loadSampleCatalog(asOf);
    const plain = PLAIN;
    const weekEnd = isoWeekStart(asOf).getTime() + WEEK;

    // Same playlists with the same metadata; the same tracks, albums, artists, shows and episodes.
    expect(c.playlists.map(({ entries, snapshotId, ...meta }) => meta)).toEqual(
      plain.playlists.map(({ entries, snapshotId, ...meta }) => meta),
    );
    for (const key of ['users', 'artists', 'albums', 'tracks', 'shows', 'episodes', 'editorialPlaylistIds'] as const) {
      expect(c[key]).toEqual(plain[key]);
    }

    // Every reference resolves, and the only duplicate within a playlist is the deliberate one.
    const shared = trackIds(playlist(plain, MORNING))[3];
    const entries = c.playlists.flatMap((p) => p.entries);
    const broken = entries.filter(
      (e) =>
        (e.content.type === 'track' && !c.tracks[e.content.id]) ||
        (e.content.type === 'episode' && !c.episodes[e.content.id]) ||
        (e.addedBy !== null && !c.users[e.addedBy]) ||
        (e.addedAt !== null && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(e.addedAt)),
    );
    expect(broken).toEqual([]);
    for (const p of c.playlists) {
      const ids = trackIds(p);
      const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
      expect(repeated).toEqual(p.id === MORNING ? [shared] : []);
      const anchorSize = playlist(plain, p.id).entries.length;
      // No runaway growth or shrinking: guests and drop-outs roughly balance.
      if (asOf.getTime() >= ANCHOR) expect(Math.abs(p.entries.length - anchorSize)).toBeLessThanOrEqual(Math.max(12, Math.ceil(anchorSize * 0.15)));
    }

    // The awkward cases, every week.
    const morning = playlist(c, MORNING);
    expect(morning.entries.filter((e) => e.content.type === 'missing')).toHaveLength(1);
    expect(morning.entries.filter((e) => e.content.type === 'local')).toHaveLength(1);
    expect(morning.entries.filter((e) => e.content.type === 'episode')).toHaveLength(1);
    expect(trackIds(morning).filter((id) => id === shared)).toHaveLength(2);
    expect(trackIds(playlist(c, LATE_NIGHT))).toContain(shared);
    expect(trackIds(morning).some((id) => c.albums[c.tracks[id].albumId].releaseDate === '0000')).toBe(true);
    expect(trackIds(morning).some((id) => c.tracks[id].artistIds.length >= 3)).toBe(true);
    const names = c.playlists.flatMap((p) => trackIds(p).map((id) => c.tracks[id].name));
    for (const pattern of [/[\u3040-\u30ff\u4e00-\u9fff]/, /[\u0400-\u04ff]/, /[\u0600-\u06ff]/, /\p{Extended_Pictographic}/u, /,/, /"/, /'/, /\n/]) {
      expect(names.some((name) => pattern.test(name))).toBe(true);
    }
    expect(playlist(c, OLD)).toEqual(playlist(plain, OLD)); // added_at and added_by null throughout
    expect(playlist(c, EMPTY).entries).toHaveLength(0);
    expect(playlist(c, WORLD).entries).toEqual(expect.arrayContaining(playlist(plain, WORLD).entries.slice(0, 6)));
    const roadTrip = playlist(c, ROAD_TRIP);
    expect(roadTrip.entries.some((e) => e.content.type === 'missing')).toBe(true);
    expect(roadTrip.entries.some((e) => e.content.type === 'local')).toBe(true);
    expect(playlist(c, PODCASTS).entries.filter((e) => e.content.type === 'episode')).toHaveLength(5);

    // From the anchor week on, nothing was added after the week it is listed in.
    if (asOf.getTime() >= ANCHOR) {
      expect(entries.filter((e) => e.addedAt !== null && Date.parse(e.addedAt) >= weekEnd)).toEqual([]);
    }

    // Top lists: same sizes, no repeats, every id known.
    for (const range of TIME_RANGES) {
      for (const type of ['tracks', 'artists'] as const) {
        const list = c.top[type][range];
        expect(list).toHaveLength(plain.top[type][range].length);
        expect(new Set(list).size).toBe(list.length);
        expect(list.filter((id) => !(type === 'tracks' ? c.tracks[id] : c.artists[id]))).toEqual([]);
      }
    }
  });

  it('rejects a date it cannot place in a week, naming asOf', () => {
    expect(() => loadSampleCatalog(new Date('not a date'))).toThrow(/asOf must be a valid Date/);
    expect(() => loadSampleCatalog(new Date('+010000-01-01T00:00:00Z'))).toThrow(/asOf must fall in the years 1900 to 9999/);
  });
});

describe('startFakeSpotify({ asOf })', () => {
  it('serves the catalog of that week, and the default catalog without it', async () => {
    const asOf = week(3);
    const [dated, plain] = await Promise.all([startFakeSpotify({ asOf }), startFakeSpotify()]);
    try {
      const expected = playlist(at(3), MORNING);
      const token = await userToken(dated);
      const pages = await walkPages(`${dated.apiBaseUrl}/playlists/${MORNING}/items?limit=50`, token);
      const items = pages.flatMap((page) => page.items);
      expect(items.map((i) => i.item?.id ?? null)).toEqual(
        expected.entries.map((e) => (e.content.type === 'track' || e.content.type === 'episode' ? e.content.id : null)),
      );
      expect(items.map((i) => i.added_at)).toEqual(expected.entries.map((e) => e.addedAt));

      const meta = async (server: typeof dated): Promise<string> => {
        const { status, body } = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}?fields=snapshot_id`, await userToken(server));
        expect(status).toBe(200);
        return body.snapshot_id;
      };
      expect(await meta(dated)).toBe(expected.snapshotId);
      expect(await meta(plain)).toBe(playlist(PLAIN, MORNING).snapshotId);
      expect(await meta(dated)).not.toBe(await meta(plain));
    } finally {
      await Promise.all([dated.close(), plain.close()]);
    }
  });
});
