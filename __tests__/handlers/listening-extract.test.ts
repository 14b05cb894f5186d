/**
 * The listening reads of the extract (handlers/extract/listening.ts) against the fake Spotify over real HTTP:
 * plays polled from a cursor as the fake's clock moves, the possible-gap rule, robustness to a server that answers
 * `after` from the other end, saved tracks and followed artists paged to the end.
 */
import { SAMPLE_USER_ID } from '../../local/fake-spotify/catalog';
import { startFakeSpotify, type FakeSpotifyOptions, type FakeSpotifyServer } from '../../local/fake-spotify/server';
import { pollPlays, readFollowedArtists, readProfile, readSavedTracks } from '../../handlers/extract/listening';
import { SpotifyClient } from '../../handlers/extract/spotify-client';

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

function client(server: FakeSpotifyServer, refreshToken = server.listeners()[0].refreshToken): SpotifyClient {
  return new SpotifyClient({
    apiBaseUrl: server.apiBaseUrl,
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

describe('library reads', () => {
  test('the sample listener: 137 saved tracks and 57 followed artists, complete, and the profile', async () => {
    const server = await fake();
    const c = client(server);
    expect(await readProfile(c)).toEqual({ spotifyUserId: SAMPLE_USER_ID, displayName: 'Sam Ple' });
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
