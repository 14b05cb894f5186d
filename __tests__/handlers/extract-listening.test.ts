/**
 * Listeners in the extract, against the fake Spotify over real HTTP: two listeners side by side with their own
 * tokens (one revoked: an error in the manifest, the other complete), plays runs from each listener's cursor, the
 * cursor moved only after the manifest, the possible-gap report, a quota stop, and a listener authorised between
 * two attempts of one run.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runPkceAuthorization } from '../../cli/commands/authorize';
import { parseConfig } from '../../config/pipeline-config';
import { extractRun, newRunId, type ExtractListenerInput, type ExtractProgressEvent } from '../../handlers/extract/extract-run';
import { progressLine } from '../../cli/commands/extract';
import { createExtractHandler } from '../../handlers/extract/index';
import { InMemoryCredentialStore } from '../../handlers/shared/spotify-secret';
import { playsCursorKey, readPlaysCursor } from '../../handlers/extract/plays-cursor';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { SAMPLE_FRIEND_ID, SAMPLE_USER_ID } from '../../local/fakes/spotify/catalog';
import type { FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { bucketDir, fake, input, jsonProxy, listFiles, OWNED, readJson } from './extract-helpers';

const AS_OF = new Date('2026-11-25T18:30:00Z');
const MINUTE = 60_000;
const ALL = { plays: true, savedTracks: true, followedArtists: true };

/** The fake's listeners as the run's listeners, each with the token the fake issued them. */
function listenersOf(server: FakeSpotifyServer, names = ['sam', 'mira']): ExtractListenerInput[] {
  return server.listeners().map((l, i) => ({
    name: names[i],
    credentials: { clientId: server.credentials.clientId, clientSecret: server.credentials.clientSecret, refreshToken: l.refreshToken },
  }));
}

/** One play a minute for Sam (exact counts), Mira as in the sample. */
async function steadyFake(extra: Parameters<typeof fake>[0] = {}) {
  return fake({
    asOf: AS_OF,
    clock: 'frozen',
    listeners: [
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtest-sam', seed: 11, savedTracks: 137, followedArtists: 57, plays: { perHour: 60, activity: 'always', jitter: false } },
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDtest-mira', seed: 12, savedTracks: 64, followedArtists: 23 },
    ],
    ...extra,
  });
}

/**
 * A bucket folder whose manifest write fails (an attempt that dies before its manifest). `settled()` waits for
 * every write it was given, those started when an earlier one ended included: the checkpoint's last save may still
 * be on its way when the attempt's error surfaces, and the test waits on those writes, not on the clock.
 */
function writerFailingManifest(dir: string) {
  const writer = new LocalFolderWriter(dir);
  const put = writer.put.bind(writer);
  const puts: Array<Promise<unknown>> = [];
  writer.put = (key, body, type) => {
    const written = (async () => {
      if (key.endsWith('_manifest.json')) throw new Error('S3 is down');
      return put(key, body, type);
    })();
    puts.push(written);
    return written;
  };
  const settled = async () => {
    for (let seen = -1; seen !== puts.length; ) {
      seen = puts.length;
      await Promise.allSettled(puts);
    }
  };
  return { writer, settled };
}

const runAt = (server: FakeSpotifyServer, seed: string) => {
  const at = new Date(server.now());
  return { runId: newRunId(at, seed), startedAt: at };
};

test('two listeners side by side, one revoked: an error in the manifest, the other complete', async () => {
  const server = await steadyFake();
  server.revokeListener(SAMPLE_FRIEND_ID);
  const dir = bucketDir();
  const { manifest } = await extractRun(
    input(server, dir, { listening: ALL, playlists: [] , topItems: { enabled: true, timeRanges: ['short_term'] } }, { listeners: listenersOf(server), ...runAt(server, 'side-by-side') }),
  );
  expect(manifest.status).toBe('partial');
  expect(manifest.errors).toEqual([
    { kind: 'listener', entity_id: 'mira', http_status: null, message: expect.stringMatching(/invalid_grant: Refresh token revoked.*`npm run pipeline -- authorize --listener mira`/) },
  ]);
  // Their own command: a bare `pipeline authorize` would store the token in the app's secret, not theirs.
  expect(manifest.errors[0].message).not.toMatch(/`pipeline authorize`/);
  const sam = manifest.objects.filter((o) => o.entity_id === 'sam');
  expect(sam.map((o) => [o.kind, o.items, o.spotify_user_id])).toEqual([
    ['followed_artists', 57, SAMPLE_USER_ID],
    ['plays', 50, SAMPLE_USER_ID],
    ['saved_tracks', 137, SAMPLE_USER_ID],
  ]);
  // Each listener's top lists are read with their own token: only Sam's here (Mira's token is revoked).
  expect(manifest.objects.filter((o) => o.kind === 'top').map((o) => o.spotify_user_id)).toEqual([SAMPLE_USER_ID, SAMPLE_USER_ID]);
  expect(manifest.counts).toMatchObject({ listeners: 1, plays: 50, saved_tracks: 137, followed_artists: 57 });
  for (const o of sam) {
    expect(o.key).toBe(`raw/extract_date=2026-11-25/run_id=${manifest.run_id}/${o.kind}/${SAMPLE_USER_ID}.json`);
    expect(readJson(dir, o.key)).toMatchObject({ kind: o.kind, spotify_user_id: SAMPLE_USER_ID, listener_name: 'sam', display_name: 'Sam Ple' });
  }
  // Each listener's pages of saved tracks and follows are complete, every item once.
  const saved = readJson(dir, sam.find((o) => o.kind === 'saved_tracks')!.key);
  expect(new Set(saved.pages.flatMap((p: { items: Array<{ track: { id: string } }> }) => p.items.map((i) => i.track.id))).size).toBe(137);
  const followed = readJson(dir, sam.find((o) => o.kind === 'followed_artists')!.key);
  expect(new Set(followed.pages.flatMap((p: { artists: { items: Array<{ id: string }> } }) => p.artists.items.map((a) => a.id))).size).toBe(57);
});

test('the first listener revoked: their top lists are skipped, their playlists tried by the second listener (403: errors), who is extracted; the run is not stopped', async () => {
  const server = await steadyFake();
  server.revokeListener(SAMPLE_USER_ID);
  const dir = bucketDir();
  const { manifest } = await extractRun(input(server, dir, { listening: ALL, topItems: { enabled: true } }, { listeners: listenersOf(server), ...runAt(server, 'first-revoked') }));
  // Sam's three configured playlists: Mira may not read them (Development Mode), so each is a 403 naming her.
  expect(manifest.errors.map((e) => [e.kind, e.entity_id, e.http_status])).toEqual([
    ['listener', 'sam', null],
    ...OWNED.slice(0, 3).sort().map((id) => ['playlist', id, 403]),
  ]);
  expect(manifest.objects.every((o) => o.spotify_user_id === SAMPLE_FRIEND_ID && o.entity_id.replace(/\/.*$/, '') === 'mira')).toBe(true);
  expect(manifest.counts).toMatchObject({ playlists: 0, top_lists: 6, listeners: 1, saved_tracks: 64, followed_artists: 23 });
});

test('plays runs: the cursor moves after the manifest; 30 new plays since make the next poll; nothing twice', async () => {
  const server = await steadyFake();
  const dir = bucketDir();
  const writer = new LocalFolderWriter(dir);
  const listeners = listenersOf(server).slice(0, 1);
  const first = await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, 'poll-1') }));
  expect(first.manifest).toMatchObject({ mode: 'plays', status: 'complete', counts: { playlists: 0, plays: 50, listeners: 1 }, plays_gaps: [] });
  expect(first.manifest.objects.map((o) => o.kind)).toEqual(['plays']);
  const sam = { accountId: first.manifest.objects[0].account_id!, spotifyUserId: SAMPLE_USER_ID };
  const cursor = await readPlaysCursor(writer, sam);
  expect(cursor).toBe(first.manifest.objects[0].cursor_after);

  server.advanceClock(30 * MINUTE);
  const second = await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, 'poll-2') }));
  const [plays] = second.manifest.objects;
  expect(plays).toMatchObject({ kind: 'plays', items: 30, cursor_before: cursor, cursor_after: cursor! + 30 * MINUTE, possible_gap: false });
  expect(await readPlaysCursor(writer, sam)).toBe(cursor! + 30 * MINUTE);
  const times = (key: string) => readJson(dir, key).pages.flatMap((p: { items: Array<{ played_at: string }> }) => p.items.map((i) => i.played_at));
  const all = [...times(first.manifest.objects[0].key), ...times(plays.key)];
  expect(all).toHaveLength(80);
  expect(new Set(all).size).toBe(80);
  // The first plays run read /v1/me and recorded who the listener is; the next one calls recently-played alone.
  expect(first.manifest.counts.api_calls).toBe(3); // /v1/me, the page after nothing, the empty page below the horizon
  expect(second.manifest.counts.api_calls).toBe(1);
});

test('/v1/me once per run: plays polls use the identity a run recorded while the refresh token is the same (rotated by Spotify included); a listener authorised again is asked again', async () => {
  const server = await steadyFake({ rotateRefreshToken: true });
  const dir = bucketDir();
  const store = new InMemoryCredentialStore({ clientId: server.credentials.clientId, clientSecret: server.credentials.clientSecret, refreshToken: 'AQDtest-sam' });
  const listeners: ExtractListenerInput[] = [{ name: 'sam', credentials: store }];
  const meCalls = () => server.stats().byRoute['GET /v1/me'] ?? 0;
  const poll = async (seed: string) => {
    server.advanceClock(10 * MINUTE);
    return (await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, seed) }))).manifest;
  };
  await poll('me-1');
  expect(meCalls()).toBe(1);
  expect(readJson(dir, 'raw/_state/listeners/sam.json')).toMatchObject({ listener_name: 'sam', spotify_user_id: SAMPLE_USER_ID, account_id: expect.stringMatching(/^acct-/) });
  // Every refresh rotated the token; each poll recorded the new one, so none needs /v1/me.
  for (const seed of ['me-2', 'me-3', 'me-4']) expect((await poll(seed)).objects[0]).toMatchObject({ spotify_user_id: SAMPLE_USER_ID, items: 10 });
  expect(meCalls()).toBe(1);
  // The weekly run asks anyway (one call a week keeps the display name current).
  server.advanceClock(10 * MINUTE);
  await extractRun(input(server, dir, { listening: ALL, playlists: [] }, { listeners, ...runAt(server, 'weekly') }));
  expect(meCalls()).toBe(2);

  // Authorised again, here as Mira's account: a new refresh token, so the next poll asks who this is.
  await store.saveRotatedRefreshToken((await store.load()).refreshToken!, server.listeners()[1].refreshToken);
  const after = await poll('me-5');
  expect(meCalls()).toBe(3);
  expect(after.objects[0]).toMatchObject({ spotify_user_id: SAMPLE_FRIEND_ID });
});

test('a run that dies before its manifest leaves the cursor; the same run id resumes, writes the manifest, then moves it', async () => {
  const server = await steadyFake();
  const dir = bucketDir();
  const writer = new LocalFolderWriter(dir);
  const listeners = listenersOf(server).slice(0, 1);
  const first = await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, 'cursor-1') }));
  const sam = { accountId: first.manifest.objects[0].account_id!, spotifyUserId: SAMPLE_USER_ID };
  const cursor = await readPlaysCursor(writer, sam);
  server.advanceClock(10 * MINUTE);

  const failing = new LocalFolderWriter(dir);
  const put = failing.put.bind(failing);
  failing.put = async (key, body, type) => {
    if (key.endsWith('_manifest.json')) throw new Error('S3 is down');
    return put(key, body, type);
  };
  const second = runAt(server, 'cursor-2');
  await expect(extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, writer: failing, ...second }))).rejects.toThrow(/S3 is down/);
  expect(await readPlaysCursor(writer, sam)).toBe(cursor);

  const resumed = await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...second }));
  expect(resumed.resumed).toBe(true);
  expect(resumed.manifest.objects[0]).toMatchObject({ items: 10, cursor_before: cursor });
  expect(await readPlaysCursor(writer, sam)).toBe(cursor! + 10 * MINUTE);
  expect(listFiles(dir)).toContain(playsCursorKey(sam.accountId));
  expect(first.manifest.run_id).not.toBe(resumed.manifest.run_id);
});

test('the plays cursor is keyed by the immutable account id: a changed user id keeps it, and the documents carry both ids', async () => {
  const server = await steadyFake();
  const dir = bucketDir();
  const writer = new LocalFolderWriter(dir);
  const listeners = listenersOf(server).slice(0, 1);
  const first = await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, 'acct-1') }));
  const [plays] = first.manifest.objects;
  const accountId = plays.account_id!;
  expect(accountId).toMatch(/^acct-/);
  expect(readJson(dir, plays.key)).toMatchObject({ spotify_user_id: SAMPLE_USER_ID, account_id: accountId });
  expect(listFiles(dir).filter((f) => f.startsWith('raw/_state/plays/'))).toEqual([`raw/_state/plays/${accountId}.json`]);

  // Spotify changes the user's id (the display id); the account id stays. The weekly run reads /v1/me.
  const renamed = await jsonProxy(server, (path, body) => (path === '/v1/me' || path.startsWith('/v1/me?') ? { ...(body as object), id: 'renamed-sam' } : body));
  server.advanceClock(30 * MINUTE);
  const second = await extractRun(input(server, dir, { listening: ALL, playlists: [], apiBaseUrl: renamed }, { listeners, ...runAt(server, 'acct-2') }));
  expect(second.manifest.objects.find((o) => o.kind === 'plays')).toMatchObject({ spotify_user_id: 'renamed-sam', account_id: accountId, items: 30, cursor_before: plays.cursor_after, possible_gap: false });
  expect(await readPlaysCursor(writer, { accountId, spotifyUserId: 'renamed-sam' })).toBe(plays.cursor_after! + 30 * MINUTE);
});

test('a cursor stored under the user id (before account ids were read) is carried over to the account id without a migration', async () => {
  const server = await steadyFake();
  const dir = bucketDir();
  const writer = new LocalFolderWriter(dir);
  const listeners = listenersOf(server).slice(0, 1);
  const first = await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, 'legacy-1') }));
  const cursor = first.manifest.objects[0].cursor_after!;
  const accountId = first.manifest.objects[0].account_id!;
  // The state as the pipeline left it before: the cursor under the user id, no account id in it.
  rmSync(join(dir, playsCursorKey(accountId)));
  await writer.put(playsCursorKey(SAMPLE_USER_ID), JSON.stringify({ state_version: 1, spotify_user_id: SAMPLE_USER_ID, cursor_ms: cursor, cursor_at: new Date(cursor).toISOString(), run_id: first.manifest.run_id, updated_at: new Date(cursor).toISOString() }), 'application/json');
  server.advanceClock(30 * MINUTE);
  const second = await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, 'legacy-2') }));
  expect(second.manifest.objects[0]).toMatchObject({ items: 30, cursor_before: cursor, possible_gap: false });
  expect(readJson(dir, playsCursorKey(accountId))).toMatchObject({ account_id: accountId, spotify_user_id: SAMPLE_USER_ID, cursor_ms: cursor + 30 * MINUTE });
});

test('more than 50 plays since the cursor: the manifest records the possible gap', async () => {
  const server = await steadyFake();
  const dir = bucketDir();
  const listeners = listenersOf(server).slice(0, 1);
  await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, 'gap-1') }));
  server.advanceClock(3 * 60 * MINUTE);
  const { manifest } = await extractRun(input(server, dir, { listening: ALL }, { mode: 'plays', listeners, ...runAt(server, 'gap-2') }));
  expect(manifest.objects[0]).toMatchObject({ items: 50, possible_gap: true });
  expect(manifest.plays_gaps).toEqual([
    {
      listener: 'sam',
      spotify_user_id: SAMPLE_USER_ID,
      cursor_before: new Date(manifest.objects[0].cursor_before!).toISOString(),
      oldest_new_play: new Date(manifest.objects[0].oldest_new_play_at!).toISOString(),
      message: expect.stringMatching(/^plays of sam between .* may be missing: Spotify serves only the last 50 plays/),
    },
  ]);
  // A gap is worth knowing, not an error: the poll itself is complete.
  expect(manifest.status).toBe('complete');
});

test("the app owner's Premium lapses (every call 403): the run stops and says so, naming the owner's Premium, not the listeners' authorisations", async () => {
  const server = await steadyFake();
  server.setOwnerPremium(false);
  const dir = bucketDir();
  const attempt = extractRun(input(server, dir, { listening: ALL, topItems: { enabled: true, timeRanges: ['short_term'] } }, { listeners: listenersOf(server), ...runAt(server, 'no-premium') }));
  const error = await attempt.then(() => null, (e: Error) => e);
  expect(error?.message).toMatch(/Active premium subscription required for the owner of the app/);
  expect(error?.message).toMatch(/owns the app.*Premium.*few hours.*not .*authoris/s);
  expect(error?.message).not.toMatch(/User Management|needs the scope/);
  // One refusal stops every listener: not a 403 per playlist, list and document.
  expect(server.stats().byRoute['GET /v1/me'] ?? 0).toBeLessThanOrEqual(2);

  // Renewed: the next run is complete.
  server.setOwnerPremium(true);
  const { manifest } = await extractRun(input(server, dir, { listening: ALL, topItems: { enabled: true, timeRanges: ['short_term'] } }, { listeners: listenersOf(server), ...runAt(server, 'premium-again') }));
  expect(manifest.status).toBe('complete');
});

test('a quota 429 for one listener stops the whole run early, keeping what is done', async () => {
  const server = await steadyFake({ faults: { rules: [{ path: '/v1/me/following', count: 1, action: { kind: 'quota' } }] } });
  const dir = bucketDir();
  const { manifest } = await extractRun(
    input(server, dir, { listening: ALL, maxConcurrentRequests: 1 }, { listeners: listenersOf(server), ...runAt(server, 'quota') }),
  );
  expect(manifest.stopped_early).toMatchObject({ reason: 'quota_exceeded' });
  expect(manifest.status).toBe('partial');
  expect(manifest.objects.length).toBeGreaterThan(0);
});

test('a listener authorised before the listening scopes: each document they lack a scope for is an error naming the scope and their authorize command; the rest is complete', async () => {
  const server = await steadyFake({
    listeners: [
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtest-sam', seed: 11, savedTracks: 137, followedArtists: 57 },
      // Authorised when the pipeline read playlists, top lists and saved tracks only.
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDtest-mira', seed: 12, savedTracks: 64, followedArtists: 23, scope: 'playlist-read-private playlist-read-collaborative user-top-read user-library-read' },
    ],
  });
  const dir = bucketDir();
  const run = runAt(server, 'old-scopes');
  const { manifest } = await extractRun(input(server, dir, { listening: ALL, playlists: [] }, { listeners: listenersOf(server), ...run }));
  expect(manifest.status).toBe('partial');
  expect(manifest.errors).toEqual([
    { kind: 'followed_artists', entity_id: 'mira', http_status: 403, message: expect.stringMatching(/Insufficient client scope.*user-follow-read.*`pipeline authorize --listener mira`/) },
    { kind: 'plays', entity_id: 'mira', http_status: 403, message: expect.stringMatching(/Insufficient client scope.*user-read-recently-played.*`pipeline authorize --listener mira`/) },
  ]);
  expect(manifest.objects.map((o) => `${o.entity_id}:${o.kind}:${o.items}`).sort()).toEqual([
    'mira:saved_tracks:64',
    'sam:followed_artists:57',
    'sam:plays:50',
    'sam:saved_tracks:137',
  ]);
});

test("each listener's rotated refresh token goes to their own store; one whose store cannot take it is an error for them alone", async () => {
  const server = await steadyFake({ rotateRefreshToken: true });
  const [sam, mira] = server.listeners();
  const samTokens: string[] = [];
  const app = { clientId: server.credentials.clientId, clientSecret: server.credentials.clientSecret };
  const listeners: ExtractListenerInput[] = [
    { name: 'sam', credentials: new InMemoryCredentialStore({ ...app, refreshToken: sam.refreshToken }, async (t) => void samTokens.push(t), "sam's secret") },
    {
      name: 'mira',
      credentials: new InMemoryCredentialStore({ ...app, refreshToken: mira.refreshToken }, async () => {
        throw new Error('AccessDeniedException: not allowed to write the secret');
      }, "mira's secret"),
    },
  ];
  const dir = bucketDir();
  const { manifest } = await extractRun(input(server, dir, { listening: ALL, playlists: [] }, { listeners, ...runAt(server, 'rotation') }));
  // Sam's new token is in Sam's store, and it is the one Spotify now accepts for Sam.
  expect(samTokens).toEqual([server.listeners()[0].refreshToken]);
  expect(samTokens[0]).not.toBe(sam.refreshToken);
  expect(manifest.errors).toEqual([
    { kind: 'listener', entity_id: 'mira', http_status: null, message: expect.stringMatching(/storing the new one in mira's secret failed: AccessDeniedException.*`pipeline authorize --listener mira`/) },
  ]);
  expect(manifest.objects.map((o) => `${o.entity_id}:${o.kind}:${o.items}`).sort()).toEqual(['sam:followed_artists:57', 'sam:plays:50', 'sam:saved_tracks:137']);
});

test('a listener authorised between two attempts of one run is extracted by the second', async () => {
  const server = await steadyFake();
  server.revokeListener(SAMPLE_FRIEND_ID);
  const dir = bucketDir();
  const run = runAt(server, 'reauthorised');
  const listeners = listenersOf(server);
  // The first attempt dies before its manifest (its checkpoint records Mira's refused token).
  const failing = writerFailingManifest(dir);
  await expect(extractRun(input(server, dir, { listening: ALL }, { listeners, writer: failing.writer, ...run }))).rejects.toThrow(/S3 is down/);
  await failing.settled();
  const checkpointKey = `raw/extract_date=2026-11-25/run_id=${run.runId}/_checkpoint.json`;
  expect(readJson(dir, checkpointKey).errors).toEqual([expect.objectContaining({ kind: 'listener', entity_id: 'mira' })]);
  server.authorizeAs(SAMPLE_FRIEND_ID); // Mira authorises the app again
  const { manifest, resumed } = await extractRun(input(server, dir, { listening: ALL }, { listeners, ...run }));
  expect(resumed).toBe(true);
  expect(manifest.errors).toEqual([]);
  expect(manifest.objects.filter((o) => o.entity_id === 'mira').map((o) => [o.kind, o.items])).toEqual([
    ['followed_artists', 23],
    ['plays', 50],
    ['saved_tracks', 64],
  ]);
});

test('the Lambda handler polls plays for `mode: "plays"` within the plays budget, reporting Plays and only failures that happened', async () => {
  const server = await steadyFake();
  const dir = bucketDir();
  const names: string[] = [];
  const config = parseConfig({
    environment: 'dev',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { apiBaseUrl: server.apiBaseUrl, accountsBaseUrl: server.accountsBaseUrl, listeners: [{ name: 'sam' }] },
  });
  const handler = createExtractHandler({
    config,
    writer: new LocalFolderWriter(dir),
    secrets: new InMemoryCredentialStore({ ...server.credentials }),
    listeners: listenersOf(server).slice(0, 1),
    logger: { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {}, addContext() {} },
    metrics: { addDimension: () => undefined, addMetric: (name: string) => names.push(name), publishStoredMetrics: () => undefined },
  });
  const result = await handler({ id: 'plays-2026-11-25T18:30:00Z', scheduledTime: '2026-11-25T18:30:00Z', mode: 'plays' });
  expect(result).toMatchObject({ status: 'complete', counts: { plays: 50, listeners: 1, playlists: 0 }, playsGaps: [] });
  // The listeners whose plays were stored (what the freshness alarm reads) alone: the failure metrics only when not
  // zero, no hourly counts (each metric reported hourly costs $0.30 a month; no alarm reads them).
  expect(names).toEqual(['PlaysStored']);
  expect(readJson(dir, result.manifestKey)).toMatchObject({ mode: 'plays' });

  // The next hour the only listener's token is revoked: nothing can be polled, and that failure is reported.
  server.revokeListener(SAMPLE_USER_ID);
  names.length = 0;
  server.advanceClock(3_600_000);
  await expect(handler({ id: 'plays-2026-11-25T19:30:00Z', scheduledTime: '2026-11-25T19:30:00Z', mode: 'plays' })).rejects.toThrow(/Refresh token revoked/);
  expect(names).toEqual(['ExtractFailed']);
});

test('a plays run where one listener lacks the recently-played scope reports ListenersFailed (their 403 is a plays error, not a listener error)', async () => {
  const server = await steadyFake({
    listeners: [
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtest-sam', seed: 11, savedTracks: 0, followedArtists: 0 },
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDtest-mira', seed: 12, savedTracks: 0, followedArtists: 0, scope: 'user-top-read user-library-read' },
    ],
  });
  const dir = bucketDir();
  const metrics: Array<[string, number]> = [];
  const config = parseConfig({
    environment: 'dev',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { apiBaseUrl: server.apiBaseUrl, accountsBaseUrl: server.accountsBaseUrl, listeners: [{ name: 'sam' }, { name: 'mira' }] },
  });
  const handler = createExtractHandler({
    config,
    writer: new LocalFolderWriter(dir),
    secrets: new InMemoryCredentialStore({ ...server.credentials }),
    listeners: listenersOf(server),
    logger: { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {}, addContext() {} },
    metrics: { addDimension: () => undefined, addMetric: (name: string, _unit: unknown, value: number) => metrics.push([name, value]), publishStoredMetrics: () => undefined },
  });
  const result = await handler({ id: 'plays-2026-11-25T18:30:00Z', scheduledTime: '2026-11-25T18:30:00Z', mode: 'plays' });
  expect(result).toMatchObject({ status: 'partial', counts: { plays: 50, listeners: 1 } });
  expect(metrics).toEqual([['ListenersFailed', 1], ['PlaysStored', 1]]);
});

test('each poll reports PlaysStored, how many listeners it stored plays for (0 plays included): one metric for every listener, below their number while one is silent', async () => {
  const server = await steadyFake({
    listeners: [
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtest-sam', seed: 11, savedTracks: 0, followedArtists: 0 },
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDtest-mira', seed: 12, savedTracks: 0, followedArtists: 0, scope: 'user-top-read user-library-read' },
    ],
  });
  const reported: Array<[string, number]> = [];
  const config = parseConfig({
    environment: 'dev',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { apiBaseUrl: server.apiBaseUrl, accountsBaseUrl: server.accountsBaseUrl, listeners: [{ name: 'sam' }, { name: 'mira' }] },
  });
  const handler = createExtractHandler({
    config,
    writer: new LocalFolderWriter(bucketDir()),
    secrets: new InMemoryCredentialStore({ ...server.credentials }),
    listeners: listenersOf(server),
    logger: { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {}, addContext() {} },
    metrics: { addDimension: () => undefined, addMetric: (name: string, _unit: unknown, value: number) => reported.push([name, value]), publishStoredMetrics: () => undefined },
  });
  await handler({ id: 'plays-2026-11-25T18:30:00Z', scheduledTime: '2026-11-25T18:30:00Z', mode: 'plays' });
  await handler({ id: 'plays-2026-11-25T19:30:00Z', scheduledTime: '2026-11-25T19:30:00Z', mode: 'plays' });
  // Mira's token lacks the recently-played scope: only Sam's plays are stored (50, then 0 new): 1 of the 2 listeners,
  // below the alarm's threshold of 2 every hour.
  expect(reported.filter(([name]) => name === 'PlaysStored')).toEqual([
    ['PlaysStored', 1],
    ['PlaysStored', 1],
  ]);
});

test('a listener who authorises again with the listening scopes between two attempts of one run gets those documents in the second', async () => {
  const server = await steadyFake({
    listeners: [
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtest-sam', seed: 11, savedTracks: 3, followedArtists: 2 },
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDtest-mira', seed: 12, savedTracks: 64, followedArtists: 23, scope: 'user-top-read user-library-read' },
    ],
  });
  const app = { clientId: server.credentials.clientId, clientSecret: server.credentials.clientSecret };
  const miraStore = new InMemoryCredentialStore({ ...app, refreshToken: 'AQDtest-mira' }, undefined, "mira's secret");
  const listeners: ExtractListenerInput[] = [
    { name: 'sam', credentials: { ...app, refreshToken: 'AQDtest-sam' } },
    { name: 'mira', credentials: miraStore },
  ];
  const dir = bucketDir();
  const run = runAt(server, 'scopes-between-attempts');
  const failing = writerFailingManifest(dir);
  await expect(extractRun(input(server, dir, { listening: ALL, playlists: [] }, { listeners, writer: failing.writer, ...run }))).rejects.toThrow(/S3 is down/);
  await failing.settled();
  const checkpointKey = `raw/extract_date=2026-11-25/run_id=${run.runId}/_checkpoint.json`;
  expect(readJson(dir, checkpointKey).errors.map((e: { kind: string }) => e.kind).sort()).toEqual(['followed_artists', 'plays']);

  // Mira runs `pipeline authorize --listener mira`: a new refresh token with every scope, stored in her secret.
  server.authorizeAs(SAMPLE_FRIEND_ID);
  const granted = await runPkceAuthorization({
    accountsBaseUrl: server.accountsBaseUrl,
    clientId: app.clientId,
    port: 0,
    timeoutMs: 10_000,
    onAuthorizeUrl: (url) => void fetch(url), // the browser: approve and land on the callback
  });
  await miraStore.saveRotatedRefreshToken('AQDtest-mira', granted.refreshToken);

  const { manifest, resumed } = await extractRun(input(server, dir, { listening: ALL, playlists: [] }, { listeners, ...run }));
  expect(resumed).toBe(true);
  expect(manifest.errors).toEqual([]);
  expect(manifest.objects.filter((o) => o.entity_id === 'mira').map((o) => `${o.kind}:${o.items}`).sort()).toEqual(['followed_artists:23', 'plays:50', 'saved_tracks:64']);
});

test('a server that refuses a missing scope with 401 "Permissions missing" (as Spotify does on /me/player): an error for that document naming the scope, not an expiry that renews tokens in a loop', async () => {
  const server = await steadyFake({
    listeningQuirks: { missingScope: '401' },
    listeners: [
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDtest-sam', seed: 11, savedTracks: 3, followedArtists: 2 },
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDtest-mira', seed: 12, savedTracks: 64, followedArtists: 23, scope: 'user-top-read user-library-read user-follow-read' },
    ],
  });
  const dir = bucketDir();
  const { manifest } = await extractRun(input(server, dir, { listening: ALL, playlists: [] }, { listeners: listenersOf(server), ...runAt(server, 'permissions-missing') }));
  expect(manifest.errors).toEqual([
    { kind: 'plays', entity_id: 'mira', http_status: 401, message: expect.stringMatching(/Permissions missing.*user-read-recently-played.*`pipeline authorize --listener mira`/) },
  ]);
  expect(manifest.objects.filter((o) => o.entity_id === 'mira').map((o) => `${o.kind}:${o.items}`).sort()).toEqual(['followed_artists:23', 'saved_tracks:64']);
  // One token per listener: the refusal was not taken for an expired token.
  expect(manifest.counts.token_calls).toBe(2);
});

test('two configured listeners authorised as the same Spotify account: the first listed is read, the other is an error that says so; no document is written twice', async () => {
  const server = await steadyFake();
  const [sam] = server.listeners();
  const app = { clientId: server.credentials.clientId, clientSecret: server.credentials.clientSecret };
  const listeners: ExtractListenerInput[] = [
    { name: 'sam', credentials: { ...app, refreshToken: sam.refreshToken } },
    { name: 'sam-laptop', credentials: { ...app, refreshToken: sam.refreshToken } },
  ];
  const dir = bucketDir();
  const { manifest } = await extractRun(input(server, dir, { listening: ALL, playlists: [] }, { listeners, ...runAt(server, 'same-account') }));
  expect(manifest.errors).toEqual([
    { kind: 'listener', entity_id: 'sam-laptop', http_status: null, message: expect.stringMatching(/same Spotify account \(.+\) as listener sam.*`pipeline authorize --listener sam-laptop`/) },
  ]);
  expect(manifest.objects.map((o) => `${o.entity_id}:${o.kind}:${o.items}`).sort()).toEqual(['sam:followed_artists:57', 'sam:plays:50', 'sam:saved_tracks:137']);
  expect(new Set(manifest.objects.map((o) => o.key)).size).toBe(manifest.objects.length);
  expect(manifest.counts.listeners).toBe(1);
});

test('a /v1/me answer without a user id for one listener: errors for their documents, the other listener complete, the run not stopped', async () => {
  const server = await steadyFake();
  // A server that answers /v1/me for Mira without her id.
  const proxy = await jsonProxy(server, (path, body) =>
    path.startsWith('/v1/me?') || path === '/v1/me' ? ((body as { id?: string }).id === SAMPLE_FRIEND_ID ? { ...(body as object), id: undefined } : body) : body,
  );
  const dir = bucketDir();
  const { manifest } = await extractRun(
    input(server, dir, { listening: ALL, playlists: [], apiBaseUrl: proxy }, { listeners: listenersOf(server), ...runAt(server, 'me-without-id') }),
  );
  expect(manifest.errors.map((e) => `${e.kind}:${e.entity_id}`).sort()).toEqual(['followed_artists:mira', 'plays:mira', 'saved_tracks:mira']);
  expect(manifest.errors.every((e) => /without a user id.*`pipeline authorize --listener mira`/.test(e.message))).toBe(true);
  expect(manifest.objects.map((o) => `${o.entity_id}:${o.kind}:${o.items}`).sort()).toEqual(['sam:followed_artists:57', 'sam:plays:50', 'sam:saved_tracks:137']);
});

test('spotify.market set and two saved tracks relinked to one (no linked_from for development mode): the library is read once, not flagged, every saved id kept', async () => {
  // The saved ids of the sample listener (the fake relinks only when a market is asked for).
  const probe = await steadyFake();
  const token = (await (await fetch(`${probe.accountsBaseUrl}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${probe.credentials.clientId}:${probe.credentials.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'AQDtest-sam' }).toString(),
  })).json() as { access_token: string }).access_token;
  const firstPage = (await (await fetch(`${probe.apiBaseUrl}/me/tracks?limit=3`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: Array<{ track: { id: string } }> };
  const [a, b, c] = firstPage.items.map((i) => i.track.id);
  // Spotify's track relinking: in the market, saved tracks a and b both play as track c.
  const server = await steadyFake({ relinks: { [a]: c, [b]: c } });
  const dir = bucketDir();
  const { manifest } = await extractRun(
    input(server, dir, { market: 'SE', listening: { plays: false, savedTracks: true, followedArtists: false }, playlists: [] }, {
      listeners: listenersOf(server).slice(0, 1),
      ...runAt(server, 'relinked-library'),
    }),
  );
  const [saved] = manifest.objects;
  expect(saved).toMatchObject({ kind: 'saved_tracks', items: 137, changed_during_fetch: false });
  expect(server.stats().byRoute['GET /v1/me/tracks']).toBe(3); // one read of 3 pages, not three reads
  const ids = readJson(dir, saved.key).pages.flatMap((p: { items: Array<{ track: { id: string } }> }) => p.items.map((i) => i.track.id));
  expect(new Set(ids).size).toBe(137);
  expect(ids).toEqual(expect.arrayContaining([a, b, c]));
});

test('a library that keeps changing while it is read: the manifest flags it, and the progress event and the CLI line say so', async () => {
  // Every /me/tracks request saves one more track, so no two reads of the pages agree.
  const server = await steadyFake({ faults: { rules: [{ path: '/v1/me/tracks', action: { kind: 'saveTrack' } }] } });
  const events: ExtractProgressEvent[] = [];
  const { manifest } = await extractRun(
    input(server, bucketDir(), { listening: { plays: false, savedTracks: true, followedArtists: false }, playlists: [] }, {
      listeners: listenersOf(server).slice(0, 1),
      onProgress: (event) => events.push(event),
      ...runAt(server, 'changing-library'),
    }),
  );
  expect(manifest.objects).toEqual([expect.objectContaining({ kind: 'saved_tracks', changed_during_fetch: true })]);
  const done = events.filter((e) => e.type === 'listening-done');
  expect(done).toEqual([expect.objectContaining({ listener: 'sam', kind: 'saved_tracks', changedDuringFetch: true })]);
  expect(progressLine(done[0])).toMatch(/^ {2}sam: \d+ saved tracks \(the library changed while it was read: a track may be missing or twice; the next run reads it again\)$/);
});
