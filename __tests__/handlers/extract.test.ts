/**
 * The extract core against the embedded fake Spotify over real HTTP: paging (top lists too), the item/track
 * alias, 404/403 recorded, 429s honoured, a quota 429 stopping cleanly, retried 5xx / timeouts / resets /
 * malformed bodies, token expiry mid-pagination, a dead server (no manifest), run-id idempotency and manifest
 * checksums. Resume and incremental runs: extract-resume.test.ts; request discipline: spotify-client.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractRun, ExtractFailedError, newRunId } from '../../handlers/extract/extract-run';
import { RateLimitGate } from '../../handlers/extract/rate-limit-gate';
import { checkpointKey, PLAYLIST_STATE_KEY, runPrefix, type RunManifest } from '../../handlers/shared/manifest';

const prefixOf = (m: RunManifest) => runPrefix(m.run_id, m.extract_date);
import { LocalFolderWriter, type RawObjectWriter } from '../../handlers/shared/raw-writer';
import { SAMPLE_FRIEND_ID, SAMPLE_PLAYLIST_IDS, SAMPLE_USER_ID } from '../../local/fakes/spotify/catalog';
import { FULL_LISTENER_SCOPE } from '../../local/fakes/spotify/listening';
import type { FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { bucketDir, fake, input, listFiles, OWNED, readJson } from './extract-helpers';
import { FakeClock } from './fake-clock';

/** A FakeClock on which every sleep passes at once: time goes on exactly by what the client chose to wait. */
class SleepAdvancedClock extends FakeClock {
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const slept = super.sleep(ms, signal);
    this.advance(Math.max(0, ms));
    return slept;
  }
}

describe('a full run on the sample catalog', () => {
  let server: FakeSpotifyServer;
  let dir: string;
  let manifest: RunManifest;
  let manifestKey: string;
  const writeOrder: string[] = [];
  const rotated: string[] = [];

  beforeAll(async () => {
    server = await fake({ rotateRefreshToken: true });
    dir = bucketDir();
    const local = new LocalFolderWriter(dir);
    const recording: RawObjectWriter = {
      put: (key, body, type) => {
        writeOrder.push(key);
        return local.put(key, body, type);
      },
      get: (key) => local.get(key),
      stat: (key) => local.stat(key),
      describe: () => local.describe(),
    };
    const result = await extractRun(
      input(
        server,
        dir,
        {
          playlists: [...OWNED.slice(0, 2), SAMPLE_PLAYLIST_IDS.notFound, `https://open.spotify.com/playlist/${SAMPLE_PLAYLIST_IDS.forbidden}`],
          includeMyPlaylists: true,
          topItems: { enabled: true },
        },
        { writer: recording, onRefreshTokenRotated: async (token) => void rotated.push(token) },
      ),
    );
    manifest = result.manifest;
    manifestKey = result.manifestKey;
    expect(result.prefix).toBe(`raw/extract_date=2026-11-25/run_id=${manifest.run_id}/`);
  });

  test('the manifest is written after every object it lists, each with its real size and sha256', () => {
    const checkpoint = checkpointKey(manifest.run_id, manifest.extract_date);
    const data = writeOrder.filter((k) => k !== checkpoint && k !== PLAYLIST_STATE_KEY);
    expect(data[data.length - 1]).toBe(manifestKey);
    expect(readJson(dir, manifestKey)).toEqual(manifest);
    expect(manifest.objects.map((o) => o.key).sort()).toEqual(data.slice(0, -1).sort());
    expect(manifest).toMatchObject({ manifest_version: 2, attempts: 1 });
    for (const object of manifest.objects) {
      const bytes = readFileSync(join(dir, object.key));
      expect(object.bytes).toBe(bytes.byteLength);
      expect(object.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(object.fetched_in_run).toBe(manifest.run_id);
    }
    // Beside them only the run's checkpoint and the playlist state; no temporary files left by the atomic writes.
    expect(listFiles(dir)).toEqual([...new Set(writeOrder)].sort());
    expect(readJson(dir, checkpoint)).toMatchObject({ attempts: [{ outcome: 'complete' }] });
  });

  test('404 and 403 playlists are recorded with Spotify\'s message and the run goes on as partial', () => {
    expect(manifest.status).toBe('partial');
    expect(manifest.stopped_early).toBeNull();
    expect(manifest.errors).toEqual([
      { kind: 'playlist', entity_id: SAMPLE_PLAYLIST_IDS.notFound, http_status: 404, message: expect.any(String) },
      { kind: 'playlist', entity_id: SAMPLE_PLAYLIST_IDS.forbidden, http_status: 403, message: expect.any(String) },
    ].sort((a, b) => a.entity_id.localeCompare(b.entity_id)));
    expect(manifest.errors.every((e) => e.message.length > 0)).toBe(true);
  });

  test('every item page is kept verbatim, in order, with the track under item and/or track', () => {
    const playlists = manifest.objects.filter((o) => o.kind === 'playlist');
    // Configured ones plus the user's own and collaborative playlists from /v1/me/playlists.
    expect(playlists.map((o) => o.entity_id)).toEqual(expect.arrayContaining(OWNED.slice(0, 2)));
    expect(playlists.length).toBeGreaterThan(2);
    let multiPage = 0;
    for (const object of playlists) {
      const raw = readJson(dir, object.key);
      expect(raw).toMatchObject({ kind: 'playlist', playlist_id: object.entity_id, playlist: { id: object.entity_id } });
      const pages = raw.item_pages as Array<{ items: Array<Record<string, unknown>>; offset: number; total: number }>;
      // Metadata without the embedded items (those come from /items only), but with their total: the
      // transform's items_total (and its paging check) reads playlist.items.total (or the deprecated tracks.total).
      expect(raw.playlist.items).toEqual({ total: pages[0].total });
      expect(raw.playlist.tracks).toEqual({ total: pages[0].total });
      expect(pages).toHaveLength(Math.max(1, Math.ceil(pages[0].total / 50)));
      expect(pages.map((p) => p.offset)).toEqual(pages.map((_, i) => i * 50));
      expect(pages.reduce((n, p) => n + p.items.length, 0)).toBe(pages[0].total);
      expect(object.items).toBe(pages[0].total);
      expect(object.pages).toBe(pages.length);
      for (const entry of pages.flatMap((p) => p.items)) expect('item' in entry || 'track' in entry).toBe(true);
      if (pages.length > 1) multiPage += 1;
    }
    expect(multiPage).toBeGreaterThan(0);
    expect(manifest.counts.playlist_items).toBe(playlists.reduce((n, o) => n + o.items, 0));
  });

  test("top tracks and artists for each time range, one object each, named for the listener whose lists they are", () => {
    const tops = manifest.objects.filter((o) => o.kind === 'top');
    // The implicit listener `me` (no listeners configured): entity `<listener>/<type>_<range>`.
    expect(tops.map((o) => o.entity_id).sort()).toEqual(
      ['artists_long_term', 'artists_medium_term', 'artists_short_term', 'tracks_long_term', 'tracks_medium_term', 'tracks_short_term'].map((e) => `me/${e}`),
    );
    const object = tops.find((o) => o.entity_id === 'me/tracks_short_term')!;
    expect(object).toMatchObject({ spotify_user_id: SAMPLE_USER_ID, key: `${prefixOf(manifest)}top/tracks_short_term.${SAMPLE_USER_ID}.json` });
    const raw = readJson(dir, object.key);
    expect(raw).toMatchObject({
      kind: 'top',
      item_type: 'tracks',
      time_range: 'short_term',
      spotify_user_id: SAMPLE_USER_ID,
      listener_name: 'me',
      display_name: 'Sam Ple',
      pages: [{ items: expect.any(Array) }],
    });
  });

  test('the call count is the minimum: one token, /me + its playlists, item pages + metadata, top pages', () => {
    const byRoute = server.stats().byRoute;
    const playlists = manifest.objects.filter((o) => o.kind === 'playlist');
    const pages = playlists.reduce((n, o) => n + o.pages, 0);
    const topPages = manifest.objects.filter((o) => o.kind === 'top').reduce((n, o) => n + o.pages, 0);
    // The user's playlists come with snapshot ids from the listing; the 404 and the 403 (followed, not owned)
    // playlist are not in it, so each costs a snapshot check first, and the 403 one its refused first page.
    expect(byRoute['GET /v1/playlists/{id}/items']).toBe(pages + 1);
    expect(byRoute['GET /v1/playlists/{id}']).toBe(playlists.length + 2);
    expect(byRoute['GET /v1/me/top/{type}']).toBe(topPages);
    expect(manifest.counts.item_page_calls).toBe(pages + 1);
    expect(manifest.counts.token_calls).toBe(1);
    expect(manifest.counts.api_calls).toBe(server.stats().requests - 1);
    expect(manifest.counts.retries).toBe(0);
  });

  test('the rotated refresh token is handed over to be stored', () => {
    expect(rotated).toEqual([server.credentials.refreshToken]);
  });
});

test('429 bursts are honoured through Retry-After and the run completes', async () => {
  const server = await fake({
    faults: { rules: [{ path: '/v1/playlists/*/items', nth: [1, 2, 3], action: { kind: 'rateLimit', retryAfterSeconds: 1 } }] },
  });
  const t0 = Date.now();
  const { manifest } = await extractRun(input(server, bucketDir()));
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
  expect(manifest.status).toBe('complete');
  expect(manifest.counts.rate_limited).toBe(3);
  expect(manifest.counts.playlists).toBe(3);
});

test('a quota 429 stops the run cleanly, keeping the playlists already complete', async () => {
  const server = await fake({ faults: { rules: [{ path: '/v1/playlists/*/items', after: 3, action: { kind: 'quota' } }] } });
  const dir = bucketDir();
  // Judged on the client's clock, which passes only as the client sleeps on it: a slow machine cannot fail this,
  // and a client that waited out the day-long Retry-After would finish with a day gone on it.
  const clock = new SleepAdvancedClock(Date.now());
  const t0 = clock.now();
  const { manifest, manifestKey } = await extractRun(
    input(server, dir, { maxConcurrentRequests: 1, playlists: OWNED.slice(0, 5) }, { rateLimitGate: new RateLimitGate(clock) }),
  );
  expect(clock.now() - t0).toBeLessThan(5_000); // it did not sleep on the day-long Retry-After
  expect(manifest.status).toBe('partial');
  expect(manifest.stopped_early).toEqual({ reason: 'quota_exceeded', message: expect.stringMatching(/QUOTA_EXCEEDED.*86400s/), retry_after_seconds: 86_400 });
  expect(manifest.counts.playlists).toBeGreaterThan(0);
  expect(manifest.counts.playlists).toBeLessThan(5);
  expect(listFiles(dir)).toEqual([...manifest.objects.map((o) => o.key), manifestKey, checkpointKey(manifest.run_id, manifest.extract_date), PLAYLIST_STATE_KEY].sort());
});

test('a Retry-After beyond the time budget stops the run instead of sleeping past it', async () => {
  const server = await fake({
    faults: { rules: [{ path: `/v1/playlists/${OWNED[2]}/items`, count: 1, action: { kind: 'rateLimit', retryAfterSeconds: 120 } }] },
  });
  const { manifest } = await extractRun(input(server, bucketDir(), { maxConcurrentRequests: 1 }, { timeBudgetSeconds: 30 }));
  expect(manifest.counts.playlists).toBe(2);
  expect(manifest.stopped_early?.reason).toBe('retry_after_beyond_budget');
  expect(manifest.stopped_early?.message).toMatch(/wait 120s/);
  expect(manifest.status).toBe('partial');
});

test('the time budget is counted on the client\'s clock, so a run on another clock still stops at its budget', async () => {
  const server = await fake({
    faults: { rules: [{ path: `/v1/playlists/${OWNED[2]}/items`, count: 1, action: { kind: 'rateLimit', retryAfterSeconds: 120 } }] },
  });
  // A clock a week behind the machine's: a deadline taken from the machine's clock would leave the client a week.
  const clock = new SleepAdvancedClock(Date.now() - 7 * 86_400_000);
  const { manifest } = await extractRun(
    input(server, bucketDir(), { maxConcurrentRequests: 1 }, { timeBudgetSeconds: 30, rateLimitGate: new RateLimitGate(clock) }),
  );
  expect(manifest.stopped_early?.reason).toBe('retry_after_beyond_budget');
  expect(manifest.counts.playlists).toBe(2);
});

test('5xx, connection resets and malformed JSON are retried until they succeed', async () => {
  const server = await fake({
    faults: {
      rules: [
        { path: '/v1/playlists/*/items', nth: [1, 2], action: { kind: 'serverError', status: 503 } },
        { path: '/v1/playlists/*', nth: 1, action: { kind: 'reset' } },
        { path: '/v1/playlists/*/items', nth: [4], action: { kind: 'malformedJson' } },
        { path: '/v1/me/top/*', nth: 1, action: { kind: 'serverError', status: 500 } },
      ],
    },
  });
  const { manifest } = await extractRun(input(server, bucketDir(), { topItems: { enabled: true } }));
  expect(manifest.status).toBe('complete');
  expect(manifest.counts.retries).toBe(5);
  expect(server.stats().serverErrors).toBe(3);
  expect(server.stats().malformedResponses).toBe(1);
  expect(server.stats().connectionResets).toBe(1);
});

test('a response slower than the request timeout is abandoned and retried', async () => {
  const server = await fake({ faults: { rules: [{ path: '/v1/playlists/*/items', nth: 1, action: { kind: 'delay', ms: 1_500 } }] } });
  const { manifest } = await extractRun(input(server, bucketDir(), { requestTimeoutMs: 300 }));
  expect(manifest.status).toBe('complete');
  expect(manifest.counts.retries).toBe(1);
});

test('an entity whose errors outlast the retries is recorded with the status, the others complete', async () => {
  const target = OWNED[1];
  const server = await fake({ faults: { rules: [{ path: `/v1/playlists/${target}/items`, action: { kind: 'serverError', status: 502 } }] } });
  const { manifest } = await extractRun(input(server, bucketDir(), { maxRetries: 2 }));
  expect(manifest.status).toBe('partial');
  expect(manifest.errors).toEqual([
    { kind: 'playlist', entity_id: target, http_status: 502, message: expect.stringMatching(/HTTP 502.*gave up after 3 attempts/) },
  ]);
  expect(manifest.counts.playlists).toBe(2);
});

test('an access token that expires mid-pagination is renewed and the paging goes on', async () => {
  const server = await fake({ faults: { expireTokenAfterApiCalls: 4 } });
  const { manifest } = await extractRun(input(server, bucketDir()));
  expect(manifest.status).toBe('complete');
  expect(manifest.counts.token_calls).toBeGreaterThanOrEqual(2);
  expect(server.stats().expiredTokenRejections).toBeGreaterThanOrEqual(1);
  expect(manifest.counts.retries).toBe(0); // a 401 refresh is not a retry
});

test('short-lived tokens are renewed before they expire', async () => {
  // Tokens live 3 s and are renewed 0.3 s early: the request after a 2.8 s response gets a fresh token first.
  const server = await fake({ tokenTtlSeconds: 3, faults: { rules: [{ path: '/v1/playlists/*/items', nth: 2, action: { kind: 'delay', ms: 2_800 } }] } });
  const { manifest } = await extractRun(input(server, bucketDir(), { maxConcurrentRequests: 1, requestTimeoutMs: 5_000 }));
  expect(manifest.status).toBe('complete');
  expect(manifest.counts.token_calls).toBe(2);
  expect(server.stats().expiredTokenRejections).toBe(0);
});

test('a dead server fails the run with the endpoint and cause named, and writes no manifest', async () => {
  const server = await fake();
  const dir = bucketDir();
  const run = input(server, dir, { maxRetries: 1 });
  await server.close();
  const error = await extractRun(run).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ExtractFailedError);
  expect((error as Error).message).toMatch(/wrote no manifest.*access token from http:\/\/127\.0\.0\.1:\d+ failed \(network error: ECONNREFUSED/s);
  // Only the checkpoint, which says the attempt failed.
  expect(listFiles(dir)).toEqual([checkpointKey(run.runId, '2026-11-25')]);
  expect(readJson(dir, checkpointKey(run.runId, '2026-11-25'))).toMatchObject({ attempts: [{ outcome: 'failed' }], objects: [] });
});

test('a server that dies mid-run leaves no manifest; completed objects stay unreferenced', async () => {
  const server = await fake();
  const dir = bucketDir();
  let closing: Promise<void> | null = null;
  const error = await extractRun(
    input(server, dir, { maxConcurrentRequests: 1, maxRetries: 1, playlists: OWNED.slice(0, 4) }, {
      onProgress: (event) => {
        if (event.type === 'playlist-done') closing ??= server.close();
      },
    }),
  ).catch((e: unknown) => e);
  await closing;
  expect(error).toBeInstanceOf(ExtractFailedError);
  expect((error as Error).message).toMatch(/wrote no manifest.*GET \/v1\/playlists\/\w+.*unreachable.*ECONNREFUSED/s);
  expect(listFiles(dir).some((f) => f.endsWith('_manifest.json'))).toBe(false);
});

test('a run id that has its manifest is final: running it again makes no call and changes nothing', async () => {
  const server = await fake();
  const dir = bucketDir();
  const first = await extractRun(input(server, dir));
  const filesAfterFirst = listFiles(dir);
  const bytesAfterFirst = filesAfterFirst.map((f) => readFileSync(join(dir, f)).toString('base64'));
  const requests = server.stats().requests;
  const second = await extractRun(input(server, dir));
  expect(second).toMatchObject({ alreadyComplete: true, manifestKey: first.manifestKey, manifest: first.manifest });
  expect(server.stats().requests).toBe(requests);
  expect(listFiles(dir)).toEqual(filesAfterFirst);
  expect(filesAfterFirst.map((f) => readFileSync(join(dir, f)).toString('base64'))).toEqual(bytesAfterFirst);
  expect(newRunId(new Date('2026-11-25T06:00:00Z'), 'evt-1')).toBe(newRunId(new Date('2026-11-25T06:00:00.999Z'), 'evt-1'));
  expect(newRunId(new Date('2026-11-25T06:00:00Z'), 'evt-1')).toMatch(/^20261125T060000Z-[0-9a-f]{6}$/);
  expect(newRunId(new Date('2026-11-25T06:00:00Z'), 'evt-2')).not.toBe(newRunId(new Date('2026-11-25T06:00:00Z'), 'evt-1'));
});

test('bad input fails before any call, with the problem named', async () => {
  const server = await fake();
  const dir = bucketDir();
  await expect(extractRun(input(server, dir, {}, { override: { playlists: ['not a playlist'] } }))).rejects.toThrow(
    /invalid playlist in the event override: "not a playlist" is not a Spotify playlist id/,
  );
  await expect(extractRun(input(server, dir, {}, { runId: 'run-1' }))).rejects.toThrow(/run id "run-1" does not match/);
  // A playlist for a listener the run does not have (the configuration checks its own; a caller may pass others).
  const strangers = input(server, dir, {}, { listeners: [{ name: 'sam', credentials: { ...server.credentials } }] });
  strangers.spotify.playlists = [{ id: OWNED[0], listener: 'mira' }];
  await expect(extractRun(strangers)).rejects.toThrow(/playlist 4rOoJ6Egrf8K2IrywzwOMk is to be read by listener "mira", who is not one of this run's listeners \(sam\)/);
  await expect(extractRun(input(server, dir, {}, { credentials: { clientId: 'x' } }))).rejects.toThrow(
    /authMode "user" needs a refresh token.*pipeline authorize/,
  );
  expect(server.stats().requests).toBe(0);
  expect(listFiles(dir)).toEqual([]);
});

test('every playlist failing is a failed run with each failure listed, not an empty manifest', async () => {
  const server = await fake();
  const dir = bucketDir();
  const error = await extractRun(input(server, dir, { playlists: [SAMPLE_PLAYLIST_IDS.notFound, SAMPLE_PLAYLIST_IDS.forbidden] })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ExtractFailedError);
  expect((error as Error).message).toMatch(new RegExp(`nothing could be extracted.*${SAMPLE_PLAYLIST_IDS.notFound}: HTTP 404.*${SAMPLE_PLAYLIST_IDS.forbidden}: HTTP 403`, 's'));
  expect(listFiles(dir).filter((f) => !f.endsWith('_checkpoint.json'))).toEqual([]);
});

test('client-credentials mode uses the app token and skips /me endpoints', async () => {
  const server = await fake({ accessMode: 'extended' });
  const { manifest } = await extractRun(input(server, bucketDir(), { authMode: 'client-credentials', topItems: { enabled: true } }));
  expect(manifest.status).toBe('complete');
  expect(manifest.source.auth_mode).toBe('client-credentials');
  expect(server.stats().tokenCalls).toEqual({ client_credentials: 1 });
  expect(manifest.counts.top_lists).toBe(0);
});

test('a backfill override replaces the configured playlists and top items', async () => {
  const server = await fake();
  const { manifest } = await extractRun(
    input(server, bucketDir(), { topItems: { enabled: true } }, { override: { playlists: [`spotify:playlist:${OWNED[4]}`], topItems: false } }),
  );
  expect(manifest.objects.map((o) => o.entity_id)).toEqual([OWNED[4]]);
});

test('top lists longer than one page are paged with offset to the end', async () => {
  const server = await fake();
  const dir = bucketDir();
  const { manifest } = await extractRun(input(server, dir, { playlists: [], topItems: { enabled: true } }));
  // The sample user's lists: tracks 40 / 75 / 99, artists 20 / 35 / 50 (short / medium / long term).
  const byEntity = Object.fromEntries(manifest.objects.map((o) => [o.entity_id.replace(/^me\//, ''), o]));
  expect(byEntity.tracks_long_term).toMatchObject({ items: 99, pages: 2 });
  expect(byEntity.tracks_medium_term).toMatchObject({ items: 75, pages: 2 });
  expect(byEntity.artists_long_term).toMatchObject({ items: 50, pages: 1 });
  expect(manifest.counts.top_items).toBe(40 + 75 + 99 + 20 + 35 + 50);
  const raw = readJson(dir, byEntity.tracks_long_term.key);
  expect(raw.pages.map((p: { offset: number; items: unknown[] }) => [p.offset, p.items.length])).toEqual([[0, 50], [50, 49]]);
  const ids = raw.pages.flatMap((p: { items: Array<{ id: string }> }) => p.items.map((i) => i.id));
  expect(new Set(ids).size).toBe(99);
});

test('playlist items are asked for with additional_types=track,episode, so episodes arrive as episodes', async () => {
  const server = await fake();
  const dir = bucketDir();
  const { manifest } = await extractRun(input(server, dir, { playlists: [OWNED[0]] }));
  const itemCalls = server.requests().filter((r) => r.path.includes('/items'));
  expect(itemCalls.length).toBe(3);
  for (const call of itemCalls) expect(new URL(call.path, 'http://x').searchParams.get('additional_types')).toBe('track,episode');
  const raw = readJson(dir, manifest.objects[0].key);
  const episodes = raw.item_pages.flatMap((p: { items: Array<{ item: any }> }) => p.items).filter((i: { item: any }) => i.item?.type === 'episode');
  expect(episodes.length).toBeGreaterThan(0);
  for (const entry of episodes) expect(entry.item.show).toMatchObject({ type: 'show' });
});

test('a failed run names the command that resumes it', async () => {
  const server = await fake();
  const dir = bucketDir();
  const run = input(server, dir, { maxRetries: 0 });
  await server.close();
  const error = await extractRun(run).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ExtractFailedError);
  expect((error as Error).message).toContain(`pipeline extract --run-id ${run.runId}`);
});

test('a compatible server that serves fewer items per page than asked, or sends no totals, is paged to the end', async () => {
  for (const quirks of [{ maxLimit: 20 }, { omitTotal: true }, { maxLimit: 20, omitTotal: true }]) {
    const server = await fake({ quirks });
    const size = quirks.maxLimit ?? 50;
    const dir = bucketDir();
    const { manifest } = await extractRun(input(server, dir, { playlists: [OWNED[0]], topItems: { enabled: true, timeRanges: ['long_term'] } }));
    expect(manifest.status).toBe('complete');
    expect(manifest.objects.find((o) => o.entity_id === OWNED[0])).toMatchObject({ items: 150, pages: Math.ceil(150 / size), refetched_after_snapshot_change: false });
    expect(manifest.objects.find((o) => o.entity_id === 'me/tracks_long_term')).toMatchObject({ items: 99, pages: Math.ceil(99 / size) });
    const ids = readJson(dir, manifest.objects.find((o) => o.entity_id === OWNED[0])!.key).item_pages.flatMap((p: { items: unknown[] }) => p.items);
    expect(ids).toHaveLength(150);
  }
});

test("each listener's top lists are their own: read with their token, one listener's refusal an error for them alone", async () => {
  // Mira authorised the app without user-top-read: Spotify answers her /v1/me/top with 403.
  const server = await fake({
    listeners: [
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtop-sam', seed: 31, savedTracks: 0, followedArtists: 0 },
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDtop-mira', seed: 32, savedTracks: 0, followedArtists: 0, scope: FULL_LISTENER_SCOPE.replace('user-top-read ', '') },
    ],
  });
  const listeners = server.listeners().map((l, i) => ({ name: ['sam', 'mira'][i], credentials: { ...server.credentials, refreshToken: l.refreshToken } }));
  const dir = bucketDir();
  const { manifest } = await extractRun(input(server, dir, { playlists: [OWNED[0]], topItems: { enabled: true, timeRanges: ['short_term'] } }, { listeners }));
  expect(manifest.status).toBe('partial');
  expect(manifest.errors).toEqual([
    { kind: 'top', entity_id: 'mira/artists_short_term', http_status: 403, message: 'Insufficient client scope' },
    { kind: 'top', entity_id: 'mira/tracks_short_term', http_status: 403, message: 'Insufficient client scope' },
  ]);
  // Sam's lists are complete, and his playlist (read with his token) too.
  const tops = manifest.objects.filter((o) => o.kind === 'top');
  expect(tops.map((o) => [o.entity_id, o.spotify_user_id])).toEqual([
    ['sam/artists_short_term', SAMPLE_USER_ID],
    ['sam/tracks_short_term', SAMPLE_USER_ID],
  ]);
  expect(manifest.objects.filter((o) => o.kind === 'playlist').map((o) => o.entity_id)).toEqual([OWNED[0]]);
  expect(manifest.counts).toMatchObject({ top_lists: 2, top_items: 40 + 20, listeners: 1 });
});
