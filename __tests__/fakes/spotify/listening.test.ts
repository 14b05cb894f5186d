/**
 * The fake's listeners: recently played (cursor paging, the 50-play horizon, new plays as the clock moves), saved
 * tracks (offset paging), followed artists (cursor `after` = last artist id, wrapped in `artists`), scopes, several
 * users with their own refresh tokens, and revocation. Real HTTP against the fake; no mocks.
 */
import { SAMPLE_FRIEND_COLLAB_PLAYLIST_ID, SAMPLE_FRIEND_ID, SAMPLE_FRIEND_PLAYLIST_ID, SAMPLE_USER_ID } from '../../../local/fakes/spotify/catalog';
import { FULL_LISTENER_SCOPE, RECENTLY_PLAYED_HORIZON } from '../../../local/fakes/spotify/listening';
import { startFakeSpotify, type FakeSpotifyServer } from '../../../local/fakes/spotify/server';
import { getJson, postToken, walkPages } from './helpers';

const AS_OF = new Date('2026-11-25T18:30:00Z');

async function tokenFor(server: FakeSpotifyServer, refreshToken: string): Promise<string> {
  const { status, body } = await postToken(server, { grant_type: 'refresh_token', refresh_token: refreshToken });
  if (status !== 200) throw new Error(`refresh failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}

const playedAtMs = (item: { played_at: string }) => Date.parse(item.played_at);

describe('fake Spotify listeners: recently played', () => {
  let server: FakeSpotifyServer;
  let token: string;

  beforeAll(async () => {
    server = await startFakeSpotify({ asOf: AS_OF, clock: 'frozen' });
    token = await tokenFor(server, server.credentials.refreshToken);
  });
  afterAll(() => server.close());

  it('answers the newest plays first, in Spotify\'s cursor-paging shape', async () => {
    const { status, body } = await getJson(`${server.apiBaseUrl}/me/player/recently-played`, token);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['cursors', 'href', 'items', 'limit', 'next']);
    expect(body.limit).toBe(20);
    expect(body.items).toHaveLength(20);
    const times = body.items.map(playedAtMs);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(new Set(times).size).toBe(20);
    expect(Math.max(...times)).toBeLessThanOrEqual(AS_OF.getTime());
    expect(body.cursors).toEqual({ after: String(times[0]), before: String(times[19]) });
    expect(body.next).toBe(`${server.apiBaseUrl}/me/player/recently-played?before=${times[19]}&limit=20`);
    const item = body.items[0];
    expect(Object.keys(item).sort()).toEqual(['context', 'played_at', 'track']);
    expect(item.played_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(item.track).toMatchObject({ type: 'track', id: expect.stringMatching(/^[0-9A-Za-z]{22}$/), duration_ms: expect.any(Number) });
    expect(item.track.artists[0]).toMatchObject({ type: 'artist', id: expect.any(String), name: expect.any(String) });
  });

  it('reaches exactly the 50 most recent plays by following next, then stops', async () => {
    const pages = await walkPages(`${server.apiBaseUrl}/me/player/recently-played?limit=15`, token);
    const plays = pages.flatMap((p) => p.items);
    expect(plays).toHaveLength(RECENTLY_PLAYED_HORIZON);
    expect(pages.map((p) => p.items.length)).toEqual([15, 15, 15, 5]);
    const times = plays.map(playedAtMs);
    expect(new Set(times).size).toBe(50);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // Older plays exist in the listener's history but are out of reach.
    const { body } = await getJson(`${server.apiBaseUrl}/me/player/recently-played?before=${times[49]}&limit=50`, token);
    expect(body).toMatchObject({ items: [], cursors: null, next: null });
  });

  it('after= gives the plays after the cursor (newest first); nothing new gives an empty page', async () => {
    const { body: all } = await getJson(`${server.apiBaseUrl}/me/player/recently-played?limit=50`, token);
    const cursor = playedAtMs(all.items[9]);
    const { body } = await getJson(`${server.apiBaseUrl}/me/player/recently-played?after=${cursor}&limit=50`, token);
    expect(body.items.map(playedAtMs)).toEqual(all.items.slice(0, 9).map(playedAtMs));
    expect(body.href).toBe(`${server.apiBaseUrl}/me/player/recently-played?limit=50&after=${cursor}`);
    const { body: none } = await getJson(`${server.apiBaseUrl}/me/player/recently-played?after=${playedAtMs(all.items[0])}`, token);
    expect(none).toMatchObject({ items: [], cursors: null, next: null });
    // A cursor older than the horizon: the newest `limit` plays after it, a full page (the client's gap signal).
    const { body: full } = await getJson(`${server.apiBaseUrl}/me/player/recently-played?after=0&limit=20`, token);
    expect(full.items.map(playedAtMs)).toEqual(all.items.slice(0, 20).map(playedAtMs));
  });

  it('refuses what Spotify refuses: both cursors, a limit over 50, a cursor that is not a number', async () => {
    const base = `${server.apiBaseUrl}/me/player/recently-played`;
    expect((await getJson(`${base}?after=1&before=2`, token)).status).toBe(400);
    expect((await getJson(`${base}?limit=51`, token)).body).toEqual({ error: { status: 400, message: 'Invalid limit' } });
    expect((await getJson(`${base}?limit=0`, token)).status).toBe(400);
    expect((await getJson(`${base}?after=yesterday`, token)).status).toBe(400);
  });

  it('plays are a function of time: another fake, started for another week, shows the same plays at the same instant', async () => {
    const other = await startFakeSpotify({ asOf: new Date('2026-12-09T06:00:00Z'), clock: 'frozen' });
    try {
      other.setClock(AS_OF);
      const otherToken = await tokenFor(other, other.credentials.refreshToken);
      const mine = (await getJson(`${server.apiBaseUrl}/me/player/recently-played?limit=50`, token)).body.items;
      const theirs = (await getJson(`${other.apiBaseUrl}/me/player/recently-played?limit=50`, otherToken)).body.items;
      const key = (i: any) => `${i.played_at} ${i.track.id} ${i.context?.uri ?? '-'}`;
      expect(theirs.map(key)).toEqual(mine.map(key));
    } finally {
      await other.close();
    }
  });

  it('contexts are playlists, albums, artists, the Liked Songs collection, or null', async () => {
    const other = await startFakeSpotify({ asOf: AS_OF, clock: 'frozen' });
    try {
      const t = await tokenFor(other, other.credentials.refreshToken);
      const types = new Set<string>();
      for (let day = 0; day < 6; day += 1) {
        const { body } = await getJson(`${other.apiBaseUrl}/me/player/recently-played?limit=50`, t);
        for (const item of body.items) {
          types.add(item.context?.type ?? 'null');
          if (item.context) {
            expect(item.context).toEqual({
              type: item.context.type,
              href: expect.stringContaining(other.apiBaseUrl),
              external_urls: { spotify: expect.stringMatching(/^https:\/\/open\.spotify\.com\//) },
              uri: expect.stringMatching(/^spotify:/),
            });
          }
          if (item.context?.type === 'album') expect(item.context.uri).toBe(item.track.album.uri);
        }
        other.advanceClock(-24 * 3_600_000);
      }
      expect([...types].sort()).toEqual(['album', 'artist', 'collection', 'null', 'playlist']);
    } finally {
      await other.close();
    }
  });
});

describe('fake Spotify listeners: new plays as the clock moves', () => {
  it('a poll from the last cursor finds exactly the plays made since, and a long silence loses all but 50', async () => {
    const server = await startFakeSpotify({
      asOf: AS_OF,
      clock: 'frozen',
      listeners: [{ userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtest-sam', seed: 7, savedTracks: 3, followedArtists: 2, plays: { perHour: 60, activity: 'always', jitter: false } }],
    });
    try {
      const t = await tokenFor(server, 'AQDtest-sam');
      const first = (await getJson(`${server.apiBaseUrl}/me/player/recently-played?limit=50`, t)).body;
      expect(first.items).toHaveLength(50);
      const cursor = first.cursors.after;
      server.advanceClock(30 * 60_000);
      const second = (await getJson(`${server.apiBaseUrl}/me/player/recently-played?after=${cursor}&limit=50`, t)).body;
      expect(second.items).toHaveLength(30);
      expect(second.items.every((i: any) => playedAtMs(i) > Number(cursor))).toBe(true);
      expect(Number(second.cursors.after)).toBe(server.now() - (server.now() % 60_000));
      // 80 minutes later: 80 new plays, only 50 reachable, the page is full.
      server.advanceClock(80 * 60_000);
      const third = (await getJson(`${server.apiBaseUrl}/me/player/recently-played?after=${second.cursors.after}&limit=50`, t)).body;
      expect(third.items).toHaveLength(50);
      expect(Number(third.cursors.before)).toBeGreaterThan(Number(second.cursors.after) + 60_000);
    } finally {
      await server.close();
    }
  });
});

describe('fake Spotify listeners: library', () => {
  let server: FakeSpotifyServer;
  let token: string;

  beforeAll(async () => {
    server = await startFakeSpotify({ asOf: AS_OF });
    token = await tokenFor(server, server.credentials.refreshToken);
  });
  afterAll(() => server.close());

  it('/me/tracks pages 137 saved tracks by offset, the most recently saved first', async () => {
    const pages = await walkPages(`${server.apiBaseUrl}/me/tracks?limit=50`, token);
    expect(pages.map((p) => [p.offset, p.items.length, p.total])).toEqual([[0, 50, 137], [50, 50, 137], [100, 37, 137]]);
    const items = pages.flatMap((p) => p.items);
    expect(new Set(items.map((i) => i.track.id)).size).toBe(137);
    const added = items.map((i) => i.added_at);
    expect(added.every((a) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(a))).toBe(true);
    expect([...added].sort().reverse()).toEqual(added);
    expect(items[0].track).toMatchObject({ type: 'track', album: { type: 'album' } });
    expect(pages[1].previous).toBe(`${server.apiBaseUrl}/me/tracks?offset=0&limit=50`);
  });

  it('/me/following?type=artist pages 57 artists with the after cursor, wrapped in "artists"', async () => {
    const pages: any[] = [];
    let url: string | null = `${server.apiBaseUrl}/me/following?type=artist&limit=20`;
    while (url) {
      const { status, body } = await getJson(url, token);
      expect(status).toBe(200);
      expect(Object.keys(body)).toEqual(['artists']);
      pages.push(body.artists);
      url = body.artists.next;
    }
    expect(pages.map((p) => [p.items.length, p.total, p.cursors.after])).toEqual([
      [20, 57, pages[0].items[19].id],
      [20, 57, pages[1].items[19].id],
      [17, 57, null],
    ]);
    expect(pages[1].href).toBe(`${server.apiBaseUrl}/me/following?type=artist&limit=20&after=${pages[0].items[19].id}`);
    const ids = pages.flatMap((p) => p.items.map((a: any) => a.id));
    expect(new Set(ids).size).toBe(57);
    expect(pages[0].items[0]).toMatchObject({ type: 'artist', images: expect.any(Array) });
    expect(pages[0].items[0]).not.toHaveProperty('genres'); // gone for development mode
    expect((await getJson(`${server.apiBaseUrl}/me/following`, token)).status).toBe(400);
    expect((await getJson(`${server.apiBaseUrl}/me/following?type=user`, token)).status).toBe(400);
  });
});

describe('fake Spotify listeners: other servers\' ways, and a track saved mid-paging', () => {
  const servers: FakeSpotifyServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  const start = async (options: Parameters<typeof startFakeSpotify>[0]) => {
    const server = await startFakeSpotify({ asOf: AS_OF, clock: 'frozen', ...options });
    servers.push(server);
    return { server, token: await tokenFor(server, server.credentials.refreshToken) };
  };

  it('quirks cap listening pages and can leave out limit, total and the artists wrapper; played_at comes as asked', async () => {
    const { server, token } = await start({ listeningQuirks: { maxLimit: 20, echoLimit: false, omitTotal: true, unwrappedFollowing: true }, recentlyPlayed: { playedAt: 'no-zone' } });
    const plays = (await getJson(`${server.apiBaseUrl}/me/player/recently-played?limit=50`, token)).body;
    expect(plays.items).toHaveLength(20);
    expect('limit' in plays).toBe(false);
    expect(plays.items[0].played_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/);
    const saved = (await getJson(`${server.apiBaseUrl}/me/tracks?limit=50`, token)).body;
    expect([saved.items.length, 'total' in saved, 'limit' in saved]).toEqual([20, false, false]);
    const following = (await getJson(`${server.apiBaseUrl}/me/following?type=artist&limit=50`, token)).body;
    expect(Object.keys(following)).not.toContain('artists');
    expect(following.items).toHaveLength(20);
    const seconds = await start({ recentlyPlayed: { playedAt: 'seconds' } });
    const first = (await getJson(`${seconds.server.apiBaseUrl}/me/player/recently-played`, seconds.token)).body.items[0];
    expect(first.played_at).toMatch(/:\d{2}Z$/);
    expect(first.played_at).not.toMatch(/\.\d{3}Z$/);
  });

  it("a quirky server's page cap and missing totals apply to every listener's playlists and top lists, not only Sam's", async () => {
    const { server } = await start({ quirks: { maxLimit: 5, omitTotal: true } });
    for (const { refreshToken } of server.listeners()) {
      const token = await tokenFor(server, refreshToken);
      for (const path of ['/me/top/tracks?limit=50', '/me/top/artists?time_range=long_term&limit=50']) {
        const page = (await getJson(`${server.apiBaseUrl}${path}`, token)).body;
        expect([path, page.items.length, 'total' in page]).toEqual([path, 5, false]);
      }
      // Mira owns two playlists: the cap does not show there, the missing total does.
      const playlists = (await getJson(`${server.apiBaseUrl}/me/playlists?limit=50`, token)).body;
      expect('total' in playlists).toBe(false);
    }
  });

  it('a saveTrack fault: the track saved comes first, every later offset shifts by one, total grows', async () => {
    const { server, token } = await start({ faults: { rules: [{ path: '/v1/me/tracks', nth: 2, action: { kind: 'saveTrack' } }] } });
    const before = (await getJson(`${server.apiBaseUrl}/me/tracks?limit=50`, token)).body;
    const after = (await getJson(`${server.apiBaseUrl}/me/tracks?limit=50`, token)).body;
    expect([before.total, after.total]).toEqual([137, 138]);
    expect(after.items[1].track.id).toBe(before.items[0].track.id);
    expect(before.items.map((i: any) => i.track.id)).not.toContain(after.items[0].track.id);
  });
});

describe('fake Spotify listeners: several users, scopes, revocation', () => {
  let server: FakeSpotifyServer;

  beforeAll(async () => {
    server = await startFakeSpotify({ asOf: AS_OF, clock: 'frozen' });
  });
  afterAll(() => server.close());

  it('lists Sam and Mira, each with their own refresh token that answers as them', async () => {
    const listeners = server.listeners();
    expect(listeners.map((l) => [l.userId, l.displayName])).toEqual([[SAMPLE_USER_ID, 'Sam Ple'], [SAMPLE_FRIEND_ID, 'Mira']]);
    expect(listeners[0].refreshToken).toBe(server.credentials.refreshToken);
    const mira = await tokenFor(server, listeners[1].refreshToken);
    expect((await getJson(`${server.apiBaseUrl}/me`, mira)).body).toMatchObject({ id: SAMPLE_FRIEND_ID, display_name: 'Mira' });
    const sam = await tokenFor(server, listeners[0].refreshToken);
    const samPlays = (await getJson(`${server.apiBaseUrl}/me/player/recently-played?limit=50`, sam)).body.items;
    const miraPlays = (await getJson(`${server.apiBaseUrl}/me/player/recently-played?limit=50`, mira)).body.items;
    expect(miraPlays).toHaveLength(50);
    expect(miraPlays.map((i: any) => i.played_at)).not.toEqual(samPlays.map((i: any) => i.played_at));
    expect((await getJson(`${server.apiBaseUrl}/me/tracks`, mira)).body.total).toBe(64);
    // Mira's own playlists and top lists, not Sam's.
    const playlists = (await getJson(`${server.apiBaseUrl}/me/playlists`, mira)).body;
    // Her own two, the shared one collaborative, each with the owner and collaborative fields Spotify sends.
    expect(playlists.items.map((p: any) => [p.id, p.owner.id, p.collaborative])).toEqual([
      [SAMPLE_FRIEND_COLLAB_PLAYLIST_ID, SAMPLE_FRIEND_ID, true],
      [SAMPLE_FRIEND_PLAYLIST_ID, SAMPLE_FRIEND_ID, false],
    ]);
    // Her private playlist's items answer her, and 403 to Sam, who neither owns nor collaborates on it.
    expect((await getJson(`${server.apiBaseUrl}/playlists/${SAMPLE_FRIEND_PLAYLIST_ID}/items`, mira)).body.total).toBe(30);
    expect((await getJson(`${server.apiBaseUrl}/playlists/${SAMPLE_FRIEND_PLAYLIST_ID}/items`, sam)).status).toBe(403);
    const top = (await getJson(`${server.apiBaseUrl}/me/top/tracks?time_range=short_term&limit=50`, mira)).body;
    expect(top.total).toBe(25);
  });

  it('a revoked listener gets invalid_grant; the others go on', async () => {
    const [sam, mira] = server.listeners();
    server.revokeListener(mira.userId);
    expect(await postToken(server, { grant_type: 'refresh_token', refresh_token: mira.refreshToken })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Refresh token revoked' },
    });
    await expect(tokenFor(server, sam.refreshToken)).resolves.toMatch(/^BQ/);
  });

  it('each endpoint needs its scope', async () => {
    const narrow = await startFakeSpotify({
      listeners: [{ userId: SAMPLE_USER_ID, displayName: null, refreshToken: 'AQDtest-narrow', scope: 'user-top-read', seed: 1, savedTracks: 1, followedArtists: 1 }],
    });
    try {
      const t = await tokenFor(narrow, 'AQDtest-narrow');
      for (const path of ['/me/player/recently-played', '/me/tracks', '/me/following?type=artist']) {
        expect(await getJson(`${narrow.apiBaseUrl}${path}`, t)).toMatchObject({ status: 403, body: { error: { message: 'Insufficient client scope' } } });
      }
    } finally {
      await narrow.close();
    }
    expect(FULL_LISTENER_SCOPE.split(' ')).toEqual(expect.arrayContaining(['user-read-recently-played', 'user-library-read', 'user-follow-read']));
  });
});
