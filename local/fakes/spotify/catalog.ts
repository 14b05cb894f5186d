/**
 * The fake Spotify's data: a small, deterministic catalog generated in code (seeded PRNG plus hand-written
 * awkward cases), so the repository carries no megabytes of JSON and every call returns identical data
 * (per week, when asked for a week: see weekly.ts).
 *
 * The catalog is plain data keyed by id (model.ts); server.ts renders it into Spotify's response shapes. Names are
 * invented; ids are 22-character base62 like Spotify's.
 */
import {
  TIME_RANGES,
  type CatalogEntry,
  type CatalogEntryContent,
  type CatalogLocalFile,
  type CatalogPlaylist,
  type FakeCatalog,
  type ReleaseDatePrecision,
  type TimeRange,
} from './model';
import { BASE62, isoSeconds, seededRandom, shuffle } from './seeded';
import { evolveCatalog, type PlaylistChurn } from './weekly';

export * from './model';
export { seededRandom } from './seeded';
export { isoWeekStart } from './weekly';
export type { PlaylistChurn } from './weekly';

// ---------------------------------------------------------------------------------------------------------
// Public constants of the sample catalog

export const SAMPLE_USER_ID = '31qpxj4w7fakeusr2tz6klm3yb';
const FRIEND_ID = '31mira5kl0vq2n8fakeusrx7hc';
const CURATOR_ID = 'northwind-records-curation';
const COLLABORATOR_IDS = ['31teo9f2wq6fakeusrp1mzv4ka', '31ines7hy3b0fakeusrd2qe8lu'];

export const SAMPLE_PLAYLIST_IDS: { owned: string[]; notFound: string; forbidden: string } = {
  owned: [
    '4rOoJ6Egrf8K2IrywzwOMk',
    '1h0CEZCm6IbFTbxThn6Xcs',
    '6UeSakyzhiEt4NB3UAd6NQ',
    '2Vq8ZbFq0nYdKcGx7uTnLe',
    '5tXpMhW9sRc3LaBv1EjQyK',
    '0cJkNw4RzHf8PmTq2VxYsD',
    '7LgQe3UyWb5KoNa9ZrCtHm',
  ],
  /** Spotify's old "Top 50 - Global": 404 for development-mode apps. */
  notFound: '37i9dQZEVXbMDoHDwVN2tF',
  /** Followed by the sample user, owned by someone else: metadata 200, items 403. */
  forbidden: '3FkVt8XcQ1nPzLh6MwRb2J',
};

/** Owned by a friend, collaborative, the sample user is a collaborator: items readable. */
export const SAMPLE_FRIEND_COLLAB_PLAYLIST_ID = '1AxRd7mKpV0sYeZq4TgUwN';
/** Mira, the friend who owns that playlist: the fake's second listener (listening.ts). */
export const SAMPLE_FRIEND_ID = FRIEND_ID;
/** Mira's own playlist, private to her (not collaborative): only her token reads its items, and only she lists it. */
export const SAMPLE_FRIEND_PLAYLIST_ID = '5hN2vQmW8cJt0RkXe3LpYa';

// ---------------------------------------------------------------------------------------------------------
// Deterministic helpers

class Gen {
  readonly rng: () => number;
  private readonly usedIds = new Set<string>();
  constructor(seed: number, reserved: string[] = []) {
    this.rng = seededRandom(seed);
    reserved.forEach((id) => this.usedIds.add(id));
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.rng() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)];
  }
  chance(p: number): boolean {
    return this.rng() < p;
  }
  id(): string {
    for (;;) {
      let id = '';
      for (let i = 0; i < 22; i += 1) id += BASE62[Math.floor(this.rng() * 62)];
      if (!this.usedIds.has(id)) {
        this.usedIds.add(id);
        return id;
      }
    }
  }
  shuffle<T>(items: readonly T[]): T[] {
    return shuffle(items, this.rng);
  }
}

const FIRST = ['Mara', 'Jonas', 'Lena', 'Teo', 'Ines', 'Caleb', 'Noor', 'Felix', 'Ada', 'Rafael', 'Yuki', 'Selma', 'Oskar', 'Priya', 'Milo', 'Greta', 'Dario', 'Hanna', 'Luca', 'Zora'];
const LAST = ['Vance', 'Okafor', 'Lindqvist', 'Moreau', 'Castell', 'Brandt', 'Halloran', 'Ivers', 'Novak', 'Quist', 'Rowe', 'Sato', 'Tamsin', 'Ulrich', 'Wexley', 'Yardley', 'Zeller', 'Abara', 'Berg', 'Coyle'];
const ADJ = ['Velvet', 'Paper', 'Golden', 'Silent', 'Electric', 'Hollow', 'Crimson', 'Neon', 'Quiet', 'Wild', 'Lunar', 'Amber', 'Broken', 'Distant', 'Glass', 'Slow', 'Northern', 'Burning', 'Blue', 'Tender'];
const NOUN = ['Harbor', 'Satellites', 'Orchard', 'Static', 'Lanterns', 'Rivers', 'Engines', 'Foxes', 'Mirrors', 'Tides', 'Signals', 'Meadows', 'Comets', 'Wolves', 'Gardens', 'Echoes', 'Highways', 'Sparrows', 'Machines', 'Embers'];
const WORD = ['Midnight', 'Summer', 'Heartbeat', 'Afterglow', 'Gravity', 'Daydream', 'Horizon', 'Wildfire', 'Monday', 'Paradise', 'Undertow', 'Skyline', 'Postcard', 'Overdrive', 'Lullaby', 'Runaway', 'Satellite', 'Wonder', 'Fever', 'Shadow'];
const TAIL = ['Again', 'Tonight', 'in the Rain', 'Forever', 'on Fire', 'Slowly', 'at Dawn', 'Reprise', 'for You', 'Outside', 'Undone', 'Interlude', 'Home', 'Alone', 'in Blue'];
const GENRES = ['indie pop', 'dream pop', 'synthwave', 'alt rock', 'neo soul', 'lo-fi beats', 'folk', 'deep house', 'shoegaze', 'jazz fusion', 'art pop', 'chillwave', 'post-punk', 'bedroom pop', 'afrobeats', 'city pop', 'bossa nova', 'ambient'];

function artistName(g: Gen): string {
  switch (g.int(0, 4)) {
    case 0:
      return `${g.pick(FIRST)} ${g.pick(LAST)}`;
    case 1:
      return `The ${g.pick(ADJ)} ${g.pick(NOUN)}`;
    case 2:
      return `${g.pick(ADJ)} ${g.pick(NOUN)}`;
    case 3:
      return `${g.pick(FIRST)} & the ${g.pick(NOUN)}`;
    default:
      return `DJ ${g.pick(WORD)}`;
  }
}

function trackName(g: Gen): string {
  switch (g.int(0, 3)) {
    case 0:
      return `${g.pick(WORD)} ${g.pick(TAIL)}`;
    case 1:
      return `${g.pick(ADJ)} ${g.pick(WORD)}`;
    case 2:
      return g.pick(WORD);
    default:
      return `${g.pick(WORD)} (${g.pick(['Live', 'Acoustic', 'Radio Edit', 'Demo', 'Remastered 2011'])})`;
  }
}

function albumName(g: Gen): string {
  return g.chance(0.5) ? `${g.pick(ADJ)} ${g.pick(NOUN)}` : `${g.pick(WORD)} ${g.pick(['Sessions', 'Tapes', 'Years', 'Diaries', 'EP', 'Vol. 2'])}`;
}

function releaseDate(g: Gen): { date: string; precision: ReleaseDatePrecision } {
  const year = g.int(1968, 2026);
  const month = String(g.int(1, 12)).padStart(2, '0');
  const day = String(g.int(1, 28)).padStart(2, '0');
  const roll = g.rng();
  if (roll < 0.72) return { date: `${year}-${month}-${day}`, precision: 'day' };
  if (roll < 0.86) return { date: `${year}-${month}`, precision: 'month' };
  return { date: `${year}`, precision: 'year' };
}

function isrc(g: Gen, n: number): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const reg = Array.from({ length: 3 }, () => g.pick([...letters])).join('');
  return `QZ${reg}${String(g.int(0, 99)).padStart(2, '0')}${String(n % 100000).padStart(5, '0')}`;
}

function snapshotId(g: Gen): string {
  // Spotify's snapshot ids look like base64 of an opaque version token.
  let raw = '';
  for (let i = 0; i < 24; i += 1) raw += BASE62[Math.floor(g.rng() * 62)];
  return Buffer.from(`AAAA${raw}`).toString('base64');
}

/** Builds artists, albums and tracks into `catalog` and returns the track ids in creation order. */
function addPool(g: Gen, catalog: FakeCatalog, counts: { artists: number; tracks: number }): string[] {
  const artistIds: string[] = [];
  for (let i = 0; i < counts.artists; i += 1) {
    const id = g.id();
    const genres = g.chance(0.12) ? [] : g.shuffle(GENRES).slice(0, g.int(1, 3));
    catalog.artists[id] = { id, name: artistName(g), genres };
    artistIds.push(id);
  }
  const trackIds: string[] = [];
  let n = 0;
  while (trackIds.length < counts.tracks) {
    const albumId = g.id();
    const primary = g.pick(artistIds);
    const total = g.chance(0.3) ? g.int(1, 3) : g.int(6, 14);
    const { date, precision } = releaseDate(g);
    catalog.albums[albumId] = {
      id: albumId,
      name: albumName(g),
      albumType: total <= 3 ? 'single' : g.chance(0.08) ? 'compilation' : 'album',
      artistIds: [primary],
      releaseDate: date,
      releaseDatePrecision: precision,
      totalTracks: total,
    };
    // Only some of an album's tracks are in the catalog, like a user's playlists only touch some of them.
    const used = Math.min(total, g.int(1, 3), counts.tracks - trackIds.length);
    for (let t = 0; t < used; t += 1) {
      const id = g.id();
      const featured: string[] = [];
      if (g.chance(0.2)) {
        const wanted = g.int(1, 2);
        while (featured.length < wanted) {
          const other = g.pick(artistIds);
          if (other !== primary && !featured.includes(other)) featured.push(other);
        }
      }
      n += 1;
      catalog.tracks[id] = {
        id,
        name: trackName(g),
        albumId,
        artistIds: [primary, ...featured],
        durationMs: g.int(95_000, 420_000),
        explicit: g.chance(0.15),
        discNumber: 1,
        trackNumber: t + 1,
        isrc: isrc(g, n),
      };
      trackIds.push(id);
    }
  }
  return trackIds;
}

function topLists(g: Gen, trackIds: string[], artistIds: string[], sizes: { tracks: number[]; artists: number[] }) {
  const top = { tracks: {} as Record<TimeRange, string[]>, artists: {} as Record<TimeRange, string[]> };
  TIME_RANGES.forEach((range, i) => {
    top.tracks[range] = g.shuffle(trackIds).slice(0, Math.min(sizes.tracks[i], trackIds.length));
    top.artists[range] = g.shuffle(artistIds).slice(0, Math.min(sizes.artists[i], artistIds.length));
  });
  return top;
}

function emptyCatalog(userId: string, displayName: string): FakeCatalog {
  return {
    userId,
    users: { [userId]: { id: userId, displayName } },
    artists: {},
    albums: {},
    tracks: {},
    shows: {},
    episodes: {},
    playlists: [],
    editorialPlaylistIds: [],
    top: {
      tracks: { short_term: [], medium_term: [], long_term: [] },
      artists: { short_term: [], medium_term: [], long_term: [] },
    },
  };
}

interface EntryPlan {
  count: number;
  start: string;
  adders: string[];
  nullAddedAt?: boolean;
  /** Fixed content at given positions; every other position takes a fresh pool track. */
  fixed?: Record<number, CatalogEntryContent>;
}

function buildEntries(g: Gen, pool: string[], plan: EntryPlan): CatalogEntry[] {
  const fixedTrackIds = new Set(
    Object.values(plan.fixed ?? {}).flatMap((c) => (c.type === 'track' ? [c.id] : [])),
  );
  const fill = g.shuffle(pool.filter((id) => !fixedTrackIds.has(id)));
  const startMs = Date.parse(plan.start);
  const entries: CatalogEntry[] = [];
  let clock = 0;
  for (let position = 0; position < plan.count; position += 1) {
    clock += g.int(20, 60 * 72) * 60_000; // 20 minutes to 3 days between additions
    const content = plan.fixed?.[position] ?? { type: 'track' as const, id: fill[position % fill.length] };
    entries.push({
      addedAt: plan.nullAddedAt ? null : isoSeconds(startMs + clock),
      addedBy: plan.nullAddedAt ? null : plan.adders[position % plan.adders.length],
      content,
    });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------
// The bundled sample catalog

const SAMPLE_SEED = 20261125;

function addAwkwardTracks(g: Gen, catalog: FakeCatalog): Record<string, string> {
  // Hand-written cases every reader must survive. Keys name them for the playlists below and the tests.
  const specs: Array<{
    key: string;
    track: string;
    artists: Array<{ name: string; genres: string[] }>;
    album: string;
    date: string;
    precision: ReleaseDatePrecision;
  }> = [
    { key: 'japanese', track: '夜明けのメロディ', artists: [{ name: '星野ひかり', genres: ['j-pop', 'city pop'] }], album: '東京の空', date: '2019-04-10', precision: 'day' },
    { key: 'cyrillic', track: 'Белые ночи', artists: [{ name: 'Северный Ветер', genres: ['russian indie'] }], album: 'Полярная звезда', date: '2003-07', precision: 'month' },
    { key: 'arabic', track: 'ليالي الصحراء', artists: [{ name: 'فرقة النخيل', genres: ['arabic pop'] }], album: 'رمال', date: '1998', precision: 'year' },
    { key: 'emoji', track: 'Sunshine 🌞 Drive 🚗', artists: [{ name: 'Emoji Club 🎉', genres: ['hyperpop'] }], album: '✨ Sparkles ✨', date: '2021-08-20', precision: 'day' },
    { key: 'commas', track: 'Love, Again, and Again', artists: [{ name: 'Crosby, Vale & Finch', genres: ['folk'] }], album: 'Yes, No, Maybe', date: '2011-02-14', precision: 'day' },
    { key: 'doubleQuotes', track: 'The "Real" Thing', artists: [{ name: 'Quote "Q" Marks', genres: ['alt rock'] }], album: '"Live" at the Apollo', date: '1987-11-03', precision: 'day' },
    { key: 'singleQuotes', track: "Don't Stop 'Til Dawn", artists: [{ name: "O'Malley's Band", genres: ['celtic rock'] }], album: "Rock 'n' Roll Isn't Dead", date: '1979', precision: 'year' },
    { key: 'newline', track: 'Line One\nLine Two', artists: [{ name: 'The Line Breaks', genres: [] }], album: 'Carriage\nReturn', date: '2016-05', precision: 'month' },
    { key: 'yearZero', track: 'Ghost Signal', artists: [{ name: 'Unknown Transmitter', genres: ['ambient'] }], album: 'Archive Recording', date: '0000', precision: 'year' },
    {
      key: 'multiArtist',
      track: 'All Together Now (feat. Noor Abara & Felix Brandt)',
      artists: [
        { name: 'Ada Lindqvist', genres: ['art pop'] },
        { name: 'Noor Abara', genres: ['neo soul'] },
        { name: 'Felix Brandt', genres: ['deep house', 'synthwave'] },
      ],
      album: 'Ensemble',
      date: '2024-09-27',
      precision: 'day',
    },
  ];
  const keys: Record<string, string> = {};
  specs.forEach((spec, i) => {
    const artistIds = spec.artists.map((a) => {
      const id = g.id();
      catalog.artists[id] = { id, name: a.name, genres: a.genres };
      return id;
    });
    const albumId = g.id();
    catalog.albums[albumId] = {
      id: albumId,
      name: spec.album,
      albumType: 'album',
      artistIds: [artistIds[0]],
      releaseDate: spec.date,
      releaseDatePrecision: spec.precision,
      totalTracks: 10,
    };
    const id = g.id();
    catalog.tracks[id] = {
      id,
      name: spec.track,
      albumId,
      artistIds,
      durationMs: 180_000 + i * 7_000,
      explicit: false,
      discNumber: 1,
      trackNumber: i + 1,
      isrc: `QZAWK26${String(i + 1).padStart(5, '0')}`,
    };
    keys[spec.key] = id;
  });
  return keys;
}

function addPodcasts(g: Gen, catalog: FakeCatalog): string[] {
  const shows = [
    { name: 'Data Pipes Weekly', publisher: 'Northwind Audio', language: 'en' },
    { name: 'Die Musikwerkstatt', publisher: 'Radio Kiesel', language: 'de' },
  ];
  const episodeIds: string[] = [];
  shows.forEach((show, s) => {
    const showId = g.id();
    catalog.shows[showId] = {
      id: showId,
      name: show.name,
      publisher: show.publisher,
      description: `${show.name}: conversations about music, data and the people in between.`,
      languages: [show.language],
      totalEpisodes: 4,
    };
    for (let e = 1; e <= 4; e += 1) {
      const id = g.id();
      catalog.episodes[id] = {
        id,
        name: `${show.name} #${100 + e + s * 10}: ${g.pick(WORD)} ${g.pick(TAIL)}`,
        showId,
        description: `Episode ${e}. Show notes, links and a playlist.`,
        durationMs: g.int(1_200_000, 4_200_000),
        explicit: false,
        releaseDate: `2026-0${e + 2}-1${e}`,
        language: show.language,
      };
      episodeIds.push(id);
    }
  });
  return episodeIds;
}

/**
 * The week the bundled sample catalog describes (its ISO week starts on this Monday): `loadSampleCatalog()` and
 * `loadSampleCatalog(date in this week)` are the same catalog; other weeks evolve from it (see weekly.ts).
 */
export const SAMPLE_CATALOG_ANCHOR_WEEK = '2026-11-23';

/** How each sample playlist changes week by week (Old Favourites and Empty for now never change). */
function sampleChurn(): Record<string, PlaylistChurn> {
  const me = SAMPLE_USER_ID;
  const [morning, lateNight, world, , roadTrip, podcasts] = SAMPLE_PLAYLIST_IDS.owned;
  return {
    // "Updated most Mondays": every week one or two tracks in, one original out, one moved.
    [morning]: { adds: [1, 2], stayWeeks: [3, 10], dropChance: 1, awayWeeks: [2, 8], moveChance: 1, moveWeeks: [1, 4], moveBy: [3, 20], adders: [me] },
    [lateNight]: { adds: [0, 2], stayWeeks: [2, 12], dropChance: 0.6, awayWeeks: [3, 10], moveChance: 0.5, moveWeeks: [1, 3], moveBy: [2, 15], adders: [me] },
    [world]: { adds: [0, 1], stayWeeks: [4, 16], dropChance: 0.3, awayWeeks: [4, 12], moveChance: 0.3, moveWeeks: [1, 3], moveBy: [2, 10], adders: [me] },
    [roadTrip]: { adds: [0, 1], stayWeeks: [3, 12], dropChance: 0.25, awayWeeks: [3, 10], moveChance: 0.25, moveWeeks: [1, 2], moveBy: [2, 12], adders: [me, ...COLLABORATOR_IDS] },
    [podcasts]: { adds: [0, 1], stayWeeks: [2, 6], dropChance: 0.3, awayWeeks: [2, 6], moveChance: 0.3, moveWeeks: [1, 2], moveBy: [2, 8], adders: [me] },
    [SAMPLE_FRIEND_COLLAB_PLAYLIST_ID]: { adds: [0, 2], stayWeeks: [2, 8], dropChance: 0.4, awayWeeks: [2, 8], moveChance: 0.4, moveWeeks: [1, 3], moveBy: [2, 10], adders: [FRIEND_ID, me] },
    [SAMPLE_FRIEND_PLAYLIST_ID]: { adds: [0, 1], stayWeeks: [2, 6], dropChance: 0.3, awayWeeks: [2, 6], moveChance: 0.3, moveWeeks: [1, 2], moveBy: [2, 8], adders: [FRIEND_ID] },
    [SAMPLE_PLAYLIST_IDS.forbidden]: { adds: [2, 3], stayWeeks: [1, 4], dropChance: 1, awayWeeks: [2, 6], moveChance: 0.5, moveWeeks: [1, 2], moveBy: [2, 8], adders: [CURATOR_ID] },
  };
}

/**
 * The bundled sample catalog. Deterministic: every call returns a fresh copy.
 *
 * Without `asOf`: the catalog of the anchor week (SAMPLE_CATALOG_ANCHOR_WEEK), identical on every call. With
 * `asOf`: the playlists and top lists of the ISO week (Monday to Sunday, UTC) of that date: tracks enter, drop out
 * and move from week to week, every awkward case stays, and the same week always gives the same catalog. Tracks,
 * albums, artists, shows and episodes are the same in every week.
 */
export function loadSampleCatalog(asOf?: Date): FakeCatalog {
  const { catalog, pool, protectedTrackIds } = buildSampleCatalog();
  if (asOf === undefined) return catalog;
  return evolveCatalog(catalog, {
    anchor: new Date(`${SAMPLE_CATALOG_ANCHOR_WEEK}T00:00:00Z`),
    pool,
    protectedTrackIds,
    churn: sampleChurn(),
    topWobble: {
      short_term: { amplitude: 4, periodWeeks: 2 },
      medium_term: { amplitude: 3, periodWeeks: 4 },
      long_term: { amplitude: 2, periodWeeks: 8 },
    },
  }, asOf);
}

/** The anchor-week catalog plus what the weekly evolution needs to know about it. */
function buildSampleCatalog(): { catalog: FakeCatalog; pool: string[]; protectedTrackIds: Set<string> } {
  const ids = SAMPLE_PLAYLIST_IDS;
  const g = new Gen(SAMPLE_SEED, [...ids.owned, ids.notFound, ids.forbidden, SAMPLE_FRIEND_COLLAB_PLAYLIST_ID, SAMPLE_FRIEND_PLAYLIST_ID]);
  const catalog = emptyCatalog(SAMPLE_USER_ID, 'Sam Ple');
  catalog.users[FRIEND_ID] = { id: FRIEND_ID, displayName: 'Mira' };
  catalog.users[CURATOR_ID] = { id: CURATOR_ID, displayName: 'Northwind Records' };
  catalog.users[COLLABORATOR_IDS[0]] = { id: COLLABORATOR_IDS[0], displayName: 'Teo' };
  catalog.users[COLLABORATOR_IDS[1]] = { id: COLLABORATOR_IDS[1], displayName: null };

  const pool = addPool(g, catalog, { artists: 140, tracks: 360 });
  const awkward = addAwkwardTracks(g, catalog);
  const episodes = addPodcasts(g, catalog);
  const t = (id: string): CatalogEntryContent => ({ type: 'track', id });
  const ep = (i: number): CatalogEntryContent => ({ type: 'episode', id: episodes[i] });
  const local = (file: CatalogLocalFile): CatalogEntryContent => ({ type: 'local', file });
  const shared = pool[0]; // in playlists 1 and 2, and twice in playlist 1
  const me = SAMPLE_USER_ID;

  const playlist = (
    id: string,
    name: string,
    description: string | null,
    plan: EntryPlan,
    extra: Partial<CatalogPlaylist> = {},
  ): CatalogPlaylist => ({
    id,
    name,
    description,
    ownerId: me,
    collaborative: false,
    public: true,
    collaborators: [],
    snapshotId: snapshotId(g),
    followedBy: [],
    entries: buildEntries(g, pool, plan),
    ...extra,
  });

  catalog.playlists = [
    playlist('4rOoJ6Egrf8K2IrywzwOMk', 'Morning Commute', 'Everything for the 7:42 train. Updated most Mondays.', {
      count: 150,
      start: '2023-01-09T07:42:00Z',
      adders: [me],
      fixed: {
        3: t(shared),
        7: { type: 'missing' },
        23: local({ name: 'Voice Memo – Chorus Idea', artist: 'Sam Ple', album: 'Phone Recordings', durationMs: 61_000 }),
        42: ep(0),
        60: t(shared),
        99: t(awkward.multiArtist),
        100: t(awkward.yearZero),
        149: t(awkward.commas),
      },
    }),
    playlist('1h0CEZCm6IbFTbxThn6Xcs', 'Late Night Coding', 'Low-key beats, no lyrics after midnight.', {
      count: 120,
      start: '2024-03-01T23:10:00Z',
      adders: [me],
      fixed: { 5: t(shared), 17: t(awkward.doubleQuotes), 18: t(awkward.singleQuotes), 77: ep(5) },
    }),
    playlist('6UeSakyzhiEt4NB3UAd6NQ', 'Around the World 🌍', 'Songs in every script:\nJapanese, Cyrillic, Arabic and emoji.', {
      count: 70,
      start: '2025-06-21T12:00:00Z',
      adders: [me],
      fixed: {
        0: t(awkward.japanese),
        1: t(awkward.cyrillic),
        2: t(awkward.arabic),
        3: t(awkward.emoji),
        4: t(awkward.newline),
        5: t(awkward.multiArtist),
      },
    }),
    playlist('2Vq8ZbFq0nYdKcGx7uTnLe', 'Old Favourites (2009)', null, {
      count: 45,
      start: '2009-05-01T00:00:00Z',
      adders: [me],
      nullAddedAt: true,
    }),
    playlist(
      '5tXpMhW9sRc3LaBv1EjQyK',
      'Road Trip, "Summer" \'26',
      'Everyone adds three songs. No skipping, no complaints.',
      {
        count: 81,
        start: '2026-05-30T09:00:00Z',
        adders: [me, COLLABORATOR_IDS[0], COLLABORATOR_IDS[1]],
        fixed: { 40: { type: 'missing' }, 41: local({ name: 'campfire, take 2', artist: 'Teo', album: '', durationMs: 143_500 }) },
      },
      { collaborative: true, public: false, collaborators: COLLABORATOR_IDS },
    ),
    playlist('0cJkNw4RzHf8PmTq2VxYsD', 'Podcasts & Chill', 'Episodes and songs, mixed.', {
      count: 40,
      start: '2026-02-02T18:00:00Z',
      adders: [me],
      fixed: { 0: ep(1), 1: ep(2), 10: ep(4), 20: ep(6), 39: ep(7) },
    }),
    playlist('7LgQe3UyWb5KoNa9ZrCtHm', 'Empty for now', '', { count: 0, start: '2026-11-01T00:00:00Z', adders: [me] }, { public: false }),
    playlist(SAMPLE_FRIEND_COLLAB_PLAYLIST_ID, "Mira's Kitchen Disco", 'Mira started it, we all finish it.', {
      count: 40,
      start: '2025-12-24T16:00:00Z',
      adders: [FRIEND_ID, me],
      fixed: { 12: t(shared) },
    }, { ownerId: FRIEND_ID, collaborative: true, collaborators: [me] }),
    playlist(ids.forbidden, 'Northwind Fresh Finds', 'New music from the Northwind roster, every Friday.', {
      count: 25,
      start: '2026-10-02T00:00:00Z',
      adders: [CURATOR_ID],
    }, { ownerId: CURATOR_ID, followedBy: [me] }),
    friendsOwnPlaylist(catalog, pool),
  ];
  catalog.editorialPlaylistIds = [ids.notFound];

  const allTracks = [...pool, ...Object.values(awkward)];
  catalog.top = topLists(g, allTracks, Object.keys(catalog.artists), {
    tracks: [40, 75, 99],
    artists: [20, 35, 50],
  });
  // The hand-written cases and the deliberate duplicate stay put every week.
  return { catalog, pool, protectedTrackIds: new Set([...Object.values(awkward), shared]) };
}

/**
 * Mira's own playlist, from a generator of its own: adding it left every other part of the sample catalog (drawn
 * from the main generator) exactly as it was.
 */
function friendsOwnPlaylist(catalog: FakeCatalog, pool: string[]): CatalogPlaylist {
  const g = new Gen(SAMPLE_SEED + 1, [...Object.keys(catalog.tracks), SAMPLE_FRIEND_PLAYLIST_ID]);
  return {
    id: SAMPLE_FRIEND_PLAYLIST_ID,
    name: "Mira's Sunday Slow Jams",
    description: 'Coffee, rain, no rush.',
    ownerId: FRIEND_ID,
    collaborative: false,
    public: false,
    collaborators: [],
    snapshotId: snapshotId(g),
    followedBy: [],
    entries: buildEntries(g, pool, { count: 30, start: '2026-03-01T10:00:00Z', adders: [FRIEND_ID] }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Bigger generated catalogs for benchmarks

export interface GenerateCatalogOptions {
  playlists: number;
  itemsPerPlaylist: number;
  seed?: number;
}

/**
 * A large catalog for benchmarks (e.g. 50 playlists x 1000 items): every playlist owned by SAMPLE_USER_ID,
 * tracks drawn from a shared pool, plus the usual top lists. Same options, same data.
 */
export function generateCatalog(opts: GenerateCatalogOptions): FakeCatalog {
  const { playlists, itemsPerPlaylist, seed = 1 } = opts;
  if (!Number.isInteger(playlists) || playlists < 1 || playlists > 10_000) {
    throw new Error(`generateCatalog: playlists must be an integer from 1 to 10000 (got ${playlists})`);
  }
  if (!Number.isInteger(itemsPerPlaylist) || itemsPerPlaylist < 0 || itemsPerPlaylist > 100_000) {
    throw new Error(`generateCatalog: itemsPerPlaylist must be an integer from 0 to 100000 (got ${itemsPerPlaylist})`);
  }
  if (!Number.isInteger(seed)) throw new Error(`generateCatalog: seed must be an integer (got ${seed})`);

  const g = new Gen(seed, [SAMPLE_PLAYLIST_IDS.notFound]);
  const catalog = emptyCatalog(SAMPLE_USER_ID, 'Sam Ple');
  const poolSize = Math.max(200, Math.min(20_000, Math.ceil((playlists * itemsPerPlaylist) / 3)));
  const pool = addPool(g, catalog, { artists: Math.max(50, Math.ceil(poolSize / 4)), tracks: poolSize });
  for (let i = 0; i < playlists; i += 1) {
    catalog.playlists.push({
      id: g.id(),
      name: `Generated Playlist ${String(i + 1).padStart(3, '0')}: ${g.pick(ADJ)} ${g.pick(NOUN)}`,
      description: `Benchmark playlist ${i + 1} of ${playlists}.`,
      ownerId: SAMPLE_USER_ID,
      collaborative: false,
      public: true,
      collaborators: [],
      snapshotId: snapshotId(g),
      followedBy: [],
      entries: buildEntries(g, pool, { count: itemsPerPlaylist, start: '2024-01-01T00:00:00Z', adders: [SAMPLE_USER_ID] }),
    });
  }
  catalog.editorialPlaylistIds = [SAMPLE_PLAYLIST_IDS.notFound];
  catalog.top = topLists(g, pool, Object.keys(catalog.artists), { tracks: [50, 50, 50], artists: [50, 50, 50] });
  return catalog;
}
