/**
 * The listening reads of the extract (handlers/extract/listening.ts) against the fake Spotify over real HTTP:
 * plays polled from a cursor as the fake's clock moves, the possible-gap rule, robustness to a server that answers
 * `after` from the other end, saved tracks and followed artists paged to the end.
 */
import { SAMPLE_USER_ID } from '../../local/fakes/spotify/catalog';
import { startFakeSpotify, type FakeSpotifyOptions, type FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { playedAtMs, pollPlays, readFollowedArtists, readProfile, readSavedTracks } from '../../handlers/extract/listening';
import { SpotifyClient } from '../../handlers/extract/spotify-client';
import { jsonProxy } from './extract-helpers';

const AS_OF = new Date('2026-11-25T18:30:00Z');
const MINUTE = 60_000;
const started: FakeSpotifyServer[] = [];
afterAll(() => Promise.all(started.map((s) => s.close())));

async function fake(options: FakeSpotifyOptions = {}): Promise<FakeSpotifyServer> {
  const server = await startFakeSpotify({ asOf: AS_OF, clock: 'frozen', ...options });
  started.push(server);
  return server;
}

/** One play a minute, on the minute: exact counts. */
const steady = (options: FakeSpotifyOptions = {}) =>
  fake({
    listeners: [{ userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtest-steady', seed: 3, savedTracks: 0, followedArtists: 0, plays: { perHour: 60, activity: 'always', jitter: false } }],
    ...options,
  });


function client(server: FakeSpotifyServer, refreshToken = server.listeners()[0].refreshToken, apiBaseUrl = server.apiBaseUrl): SpotifyClient {
  return new SpotifyClient({
    apiBaseUrl,
    accountsBaseUrl: server.accountsBaseUrl,
    authMode: 'user',
    credentials: { ...server.credentials, refreshToken },
    maxConcurrentRequests: 4,
    requestTimeoutMs: 5_000,
    maxRetries: 2,
    deadline: Date.now() + 60_000,
    backoff: { baseMs: 5, capMs: 20 },
  });
}

const playTimes = (pages: Array<Record<string, unknown>>) =>
  pages.flatMap((p) => (p.items as Array<{ played_at: string }>).map((i) => Date.parse(i.played_at)));

describe('pollPlays', () => {
  test('first poll takes all 50 plays Spotify serves; the next poll from the cursor finds exactly the plays since', async () => {
    const server = await steady();
    const c = client(server);
    const first = await pollPlays(c, null);
    expect(first).toMatchObject({ newPlays: 50, cursorBefore: null, possibleGap: false });
    expect(first.cursorAfter).toBe(Math.max(...playTimes(first.pages)));
    expect(first.pages).toHaveLength(2); // the page of 50, then an empty page below the horizon

    server.advanceClock(30 * MINUTE);
    const second = await pollPlays(c, first.cursorAfter);
    expect(second).toMatchObject({ newPlays: 30, cursorBefore: first.cursorAfter, possibleGap: false });
    expect(second.pages).toHaveLength(1);
    expect(second.cursorAfter).toBe(first.cursorAfter! + 30 * MINUTE);
    expect(new Set([...playTimes(first.pages), ...playTimes(second.pages)]).size).toBe(80);

    const idle = await pollPlays(c, second.cursorAfter);
    expect(idle).toMatchObject({ newPlays: 0, cursorAfter: second.cursorAfter, possibleGap: false });
  });

  test('a full page whose oldest play is newer than the cursor is a possible gap', async () => {
    const server = await steady();
    const c = client(server);
    const first = await pollPlays(c, null);
    server.advanceClock(80 * MINUTE);
    const late = await pollPlays(c, first.cursorAfter);
    expect(late).toMatchObject({ newPlays: 50, possibleGap: true });
    expect(late.oldestNewPlayAt).toBe(first.cursorAfter! + 31 * MINUTE); // plays 1..30 after the cursor are lost
    expect(late.pages.map((p) => (p.items as unknown[]).length)).toEqual([50, 50, 0]);
  });

  test('exactly 50 new plays: the full page makes the poll walk down, and it meets the cursor: no gap', async () => {
    const server = await steady({ recentlyPlayed: { horizon: 60 } });
    const c = client(server);
    const first = await pollPlays(c, null);
    server.advanceClock(50 * MINUTE);
    const poll = await pollPlays(c, first.cursorAfter);
    expect(poll).toMatchObject({ newPlays: 50, possibleGap: false });
  });

  test('a server that answers after= with the oldest plays (and keeps more history): nothing lost, no gap', async () => {
    const server = await steady({ recentlyPlayed: { horizon: 500, after: 'oldest' } });
    const c = client(server);
    const first = await pollPlays(c, null);
    expect(first.newPlays).toBe(500);
    server.advanceClock(120 * MINUTE);
    const poll = await pollPlays(c, first.cursorAfter);
    expect(poll).toMatchObject({ newPlays: 120, possibleGap: false, cursorAfter: first.cursorAfter! + 120 * MINUTE });
  });
});

describe('pollPlays against servers that are not exactly Spotify', () => {
  test('a server that caps pages at 20 and says so (limit: 20): 30 new plays, none lost, no gap', async () => {
    const server = await steady({ listeningQuirks: { maxLimit: 20 } });
    const c = client(server);
    const first = await pollPlays(c, null);
    expect(first.newPlays).toBe(50);
    server.advanceClock(30 * MINUTE);
    const poll = await pollPlays(c, first.cursorAfter);
    expect(poll).toMatchObject({ newPlays: 30, possibleGap: false, cursorAfter: first.cursorAfter! + 30 * MINUTE });
  });

  test('a server that caps pages at 20 and leaves the limit out: the page may be full, so the poll checks below it', async () => {
    const server = await steady({ listeningQuirks: { maxLimit: 20, echoLimit: false } });
    const c = client(server);
    const first = await pollPlays(c, null);
    expect(first.newPlays).toBe(50);
    server.advanceClock(30 * MINUTE);
    const poll = await pollPlays(c, first.cursorAfter);
    expect(poll).toMatchObject({ newPlays: 30, possibleGap: false, cursorAfter: first.cursorAfter! + 30 * MINUTE });
    // Nothing new: one call, nothing to check.
    const calls = server.stats().byRoute['GET /v1/me/player/recently-played'];
    expect(await pollPlays(c, poll.cursorAfter)).toMatchObject({ newPlays: 0, possibleGap: false });
    expect(server.stats().byRoute['GET /v1/me/player/recently-played']).toBe(calls + 1);
  });

  test.each(['seconds', 'no-zone'] as const)('played_at written %s: read as UTC, the cursor exact (also under a non-UTC TZ)', async (playedAt) => {
    const server = await steady({ recentlyPlayed: { playedAt } });
    const c = client(server);
    const first = await pollPlays(c, null);
    expect(first.cursorAfter).toBe(Math.floor(AS_OF.getTime() / MINUTE) * MINUTE);
    server.advanceClock(30 * MINUTE);
    expect(await pollPlays(c, first.cursorAfter)).toMatchObject({ newPlays: 30, possibleGap: false, cursorAfter: first.cursorAfter! + 30 * MINUTE });
  });

  test('plays whose track is null, a local file (no id) or an episode still count and move the cursor; an empty answer (cursors null) is no new plays', async () => {
    const server = await steady();
    const odd = [null, { type: 'track', id: null, is_local: true, name: 'Bootleg.mp3', uri: 'spotify:local:::Bootleg:201' }, { type: 'episode', id: '512ojhOuo1ktJprKbVcKyQ', name: 'An episode' }];
    const proxy = await jsonProxy(server, (path, body) => {
      if (!path.startsWith('/v1/me/player/recently-played')) return body;
      const page = body as { items: Array<Record<string, unknown>> };
      return { ...page, items: page.items.map((item, i) => (i < odd.length ? { ...item, track: odd[i], context: null } : item)) };
    });
    const c = client(server, undefined, proxy);
    const first = await pollPlays(c, null);
    server.advanceClock(30 * MINUTE);
    const poll = await pollPlays(c, first.cursorAfter);
    expect(poll).toMatchObject({ newPlays: 30, possibleGap: false, cursorAfter: first.cursorAfter! + 30 * MINUTE });
    expect((poll.pages[0].items as Array<{ track: unknown }>).slice(0, 3).map((i) => i.track)).toEqual(odd);
    const idle = await pollPlays(c, poll.cursorAfter);
    expect(idle).toMatchObject({ newPlays: 0, cursorAfter: poll.cursorAfter, possibleGap: false });
    expect(idle.pages).toEqual([expect.objectContaining({ items: [], cursors: null, next: null })]);
  });

  test('429s, 5xx and resets in the middle of a walk down are retried; the count stays exact', async () => {
    const server = await steady({
      faults: {
        rules: [
          { path: '/v1/me/player/recently-played', nth: 3, action: { kind: 'serverError', status: 502 } },
          { path: '/v1/me/player/recently-played', nth: 4, action: { kind: 'rateLimit', retryAfterSeconds: 0 } },
          { path: '/v1/me/player/recently-played', nth: 6, action: { kind: 'reset' } },
        ],
      },
    });
    const c = client(server);
    const first = await pollPlays(c, null);
    server.advanceClock(80 * MINUTE);
    const late = await pollPlays(c, first.cursorAfter);
    expect(late).toMatchObject({ newPlays: 50, possibleGap: true, oldestNewPlayAt: first.cursorAfter! + 31 * MINUTE });
    expect(c.stats.retries + c.stats.rate_limited).toBe(3);
  });

  test('playedAtMs: an instant without a zone is UTC; with an offset, that offset; garbage is null', () => {
    expect(playedAtMs({ played_at: '2026-11-25T18:30:00' })).toBe(Date.UTC(2026, 10, 25, 18, 30));
    expect(playedAtMs({ played_at: '2026-11-25T18:30:00.250' })).toBe(Date.UTC(2026, 10, 25, 18, 30, 0, 250));
    expect(playedAtMs({ played_at: '2026-11-25T18:30:00.250123Z' })).toBe(Date.UTC(2026, 10, 25, 18, 30, 0, 250));
    expect(playedAtMs({ played_at: '2026-11-25T19:30:00+01:00' })).toBe(Date.UTC(2026, 10, 25, 18, 30));
    expect(playedAtMs({ played_at: 'yesterday' })).toBeNull();
    expect(playedAtMs({ played_at: 1764095400000 })).toBeNull();
  });

  test('a recently-played answer without an items list is an error, not "no new plays"', async () => {
    const server = await steady();
    // A 200 whose body is JSON but not a page (a captive portal, a misconfigured gateway): a proxy in front of the fake.
    const proxy = await jsonProxy(server, (path, body) => (path.startsWith('/v1/me/player/recently-played') ? { status: 'ok' } : body));
    await expect(pollPlays(client(server, undefined, proxy), 0)).rejects.toThrow(/recently-played.*no "items" list/);
  });
});

describe('library reads', () => {
  test('the sample listener: 137 saved tracks and 57 followed artists, complete, and the profile', async () => {
    const server = await fake();
    const c = client(server);
    expect(await readProfile(c)).toEqual({ spotifyUserId: SAMPLE_USER_ID, accountId: expect.stringMatching(/^acct-/), displayName: 'Sam Ple' });
    const saved = await readSavedTracks(c);
    expect(saved.items).toBe(137);
    expect(saved.pages).toHaveLength(3);
    const ids = saved.pages.flatMap((p) => (p.items as Array<{ track: { id: string } }>).map((i) => i.track.id));
    expect(new Set(ids).size).toBe(137);
    const followed = await readFollowedArtists(c);
    expect(followed.items).toBe(57);
    expect(followed.pages).toHaveLength(2);
    const artistIds = followed.pages.flatMap((p) => ((p.artists as { items: Array<{ id: string }> }).items).map((a) => a.id));
    expect(new Set(artistIds).size).toBe(57);
    expect(server.stats().byRoute).toMatchObject({ 'GET /v1/me/tracks': 3, 'GET /v1/me/following': 2 });
  });

  test('a track saved while the pages are read: the pages disagree, so they are read again; every track once', async () => {
    const server = await fake({ faults: { rules: [{ path: '/v1/me/tracks', nth: 2, action: { kind: 'saveTrack' } }] } });
    const saved = await readSavedTracks(client(server));
    const ids = saved.pages.flatMap((p) => (p.items as Array<{ track: { id: string } }>).map((i) => i.track.id));
    expect(saved).toMatchObject({ items: 138, changedWhileRead: false });
    expect(ids).toHaveLength(138);
    expect(new Set(ids).size).toBe(138);
    expect(saved.pages.every((p) => p.total === 138)).toBe(true);
  });

  test('a server that caps pages at 20, or leaves total out, still gives every saved track and follow once', async () => {
    for (const quirks of [{ maxLimit: 20 }, { omitTotal: true }, { maxLimit: 20, omitTotal: true }]) {
      const server = await fake({ quirks });
      const saved = await readSavedTracks(client(server));
      const ids = saved.pages.flatMap((p) => (p.items as Array<{ track: { id: string } }>).map((i) => i.track.id));
      expect(new Set(ids).size).toBe(137);
      expect(saved.items).toBe(137);
      expect((await readFollowedArtists(client(server))).items).toBe(57);
    }
  });

  test('a first page holding fewer items than the limit it used (an unavailable track left out): the next pages start where the limit says, nothing read twice', async () => {
    const server = await fake();
    const proxy = await jsonProxy(server, (path, body) => {
      const page = body as { items: unknown[]; offset: number };
      return path.startsWith('/v1/me/tracks') && page.offset === 0 ? { ...page, items: page.items.slice(1) } : body;
    });
    const saved = await readSavedTracks(client(server, undefined, proxy));
    expect(saved.pages.map((p) => p.offset)).toEqual([0, 50, 100]);
    // Steady totals: not a change, so one read (a count short of the total is that server's way).
    expect(saved).toMatchObject({ reads: 1, changedWhileRead: false });
    const ids = saved.pages.flatMap((p) => (p.items as Array<{ track: { id: string } }>).map((i) => i.track.id));
    expect(ids).toHaveLength(136);
    expect(new Set(ids).size).toBe(136);
  });

  test('/me/following without Spotify\'s "artists" wrapper is an error that says so, not an empty list', async () => {
    const server = await fake({ listeningQuirks: { unwrappedFollowing: true } });
    await expect(readFollowedArtists(client(server))).rejects.toThrow(/GET \/v1\/me\/following.*without the "artists" wrapper/);
  });

  test('a /me/tracks answer without an items list is an error, not an empty library', async () => {
    const server = await fake();
    const proxy = await jsonProxy(server, (path, body) => (path.startsWith('/v1/me/tracks') ? { ...(body as object), items: undefined } : body));
    await expect(readSavedTracks(client(server, undefined, proxy))).rejects.toThrow(/\/me\/tracks.*no "items" list/);
  });

  test('429s and 5xx on the library endpoints are retried; counts stay exact', async () => {
    const server = await fake({
      faults: {
        rules: [
          { path: '/v1/me/tracks', nth: 2, action: { kind: 'serverError', status: 503 } },
          { path: '/v1/me/following', nth: 1, action: { kind: 'rateLimit', retryAfterSeconds: 0 } },
        ],
      },
    });
    const c = client(server);
    expect((await readSavedTracks(c)).items).toBe(137);
    expect((await readFollowedArtists(c)).items).toBe(57);
    expect(c.stats.retries + c.stats.rate_limited).toBe(2);
  });
});
