/**
 * The listening history end to end, against a Spotify-compatible server (the fake on loopback): the real extract,
 * the real Glue script on local Spark, the real loader and views.
 *
 * - two listeners extracted side by side with their own tokens, one of them revoked: the other's data is complete
 *   (137 saved tracks, 57 followed artists) and the revoked one is an error in the manifest;
 * - two plays polls with 30 new plays between them, transformed in one job run as the daily batch does: exactly 80
 *   distinct plays in current_plays, none twice, however the polls overlap and even when their files are loaded twice;
 * - `pipeline import` of Sam's export (a zip, then the same files again as a folder) and of a newer export that
 *   overlaps it and the polls: listening_history counts each listen once, exactly.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/pipeline-config';
import { extractRun, newRunId, type ExtractListenerInput } from '../../handlers/extract/extract-run';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { loadSampleCatalog, SAMPLE_FRIEND_ID, SAMPLE_USER_ID } from '../../local/fakes/spotify/catalog';
import { syntheticExport } from '../../local/fakes/spotify/export';
import type { FakeListenerSpec } from '../../local/fakes/spotify/listening';
import { readSpotifyExport } from '../../cli/spotify-export';
import { importLocally } from '../../local/local-import';
import { startFakeSpotify, type FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { pendingRuns } from '../../cli/commands/transform';
import { runTransformBatch } from '../../local/spark/run-transform';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { startWarmSpark, type WarmSpark } from './warm-spark/warm-spark';

jest.setTimeout(240_000);

const dir = mkdtempSync(join(tmpdir(), 'listening-run-'));
const bucketDir = join(dir, 'bucket');
let server: FakeSpotifyServer;
let warehouse: LocalWarehouse;
// The transforms share one Spark session (warm-spark/): the pipeline code is unchanged.
let spark: WarmSpark;
// Sam: one play a minute, on the minute, so the counts are exact.
const SAM: FakeListenerSpec = { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDe2e-sam', seed: 21, savedTracks: 137, followedArtists: 57, plays: { perHour: 60, activity: 'always', jitter: false } };
const AS_OF = Date.parse('2026-11-25T18:30:00Z');

beforeAll(async () => {
  spark = await startWarmSpark();
  server = await startFakeSpotify({
    asOf: new Date(AS_OF),
    clock: 'frozen',
    listeners: [
      SAM,
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDe2e-mira', seed: 22, savedTracks: 64, followedArtists: 23 },
    ],
  });
  server.revokeListener(SAMPLE_FRIEND_ID);
  warehouse = await LocalWarehouse.open(join(dir, 'warehouse.duckdb'));
});
afterAll(async () => {
  await warehouse?.close();
  await server?.close();
  await spark?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const config = () =>
  parseConfig({
    environment: 'local',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { apiBaseUrl: server.apiBaseUrl, accountsBaseUrl: server.accountsBaseUrl, topItems: { enabled: false }, listeners: [{ name: 'sam' }, { name: 'mira' }] },
    local: { bucketDir, warehouseFile: join(dir, 'warehouse.duckdb') },
  });

const listeners = (): ExtractListenerInput[] =>
  server.listeners().map((l, i) => ({ name: ['sam', 'mira'][i], credentials: { ...server.credentials, refreshToken: l.refreshToken } }));

/** Extract a run (weekly or plays) into the bucket folder; it then waits for its transform. */
async function extract(mode: 'full' | 'plays', seed: string) {
  const at = new Date(server.now());
  return extractRun({
    spotify: config().spotify,
    timeBudgetSeconds: 60,
    credentials: { ...server.credentials },
    listeners: listeners(),
    mode,
    writer: new LocalFolderWriter(bucketDir),
    runId: newRunId(at, seed, { plays: mode === 'plays' }),
    startedAt: at,
  });
}

/** Transform the runs waiting (`pipeline transform --pending`: one job run, each run its own attempt) and load. */
async function transformPendingAndLoad(expected: string[]) {
  const pending = pendingRuns(bucketDir);
  expect(pending.map((r) => r.runId)).toEqual(expected);
  const transforms = await runTransformBatch({ bucketDir, runs: pending.map((r) => ({ runId: r.runId, rawRunPrefix: r.prefix })) });
  expect(transforms.map((t) => t.run_id)).toEqual(expected);
  expect(pendingRuns(bucketDir)).toEqual([]);
  const load = await warehouse.loadProcessed(bucketDir);
  return { transforms, load };
}

const scalar = async (sql: string) => (await warehouse.query(sql)).rows[0][0];

test('the weekly run: the revoked listener is an error, the other comes through complete', async () => {
  const { manifest } = await extract('full', 'weekly');
  const {
    transforms: [transform],
  } = await transformPendingAndLoad([manifest.run_id]);
  expect(manifest.errors).toEqual([expect.objectContaining({ kind: 'listener', entity_id: 'mira', message: expect.stringContaining('Refresh token revoked') })]);
  expect(manifest.counts).toMatchObject({ listeners: 1, plays: 50, saved_tracks: 137, followed_artists: 57 });
  expect(transform.tables).toMatchObject({ plays: { rows: 50 }, saved_tracks: { rows: 137 }, followed_artists: { rows: 57 }, listener_profiles: { rows: 1 } });
  expect(await scalar(`SELECT COUNT(*) FROM current_saved_tracks WHERE spotify_user_id = '${SAMPLE_USER_ID}'`)).toBe(137);
  expect(await scalar(`SELECT COUNT(DISTINCT track_id) FROM current_saved_tracks`)).toBe(137);
  expect(await scalar(`SELECT COUNT(*) FROM current_followed_artists WHERE spotify_user_id = '${SAMPLE_USER_ID}'`)).toBe(57);
  expect(await scalar(`SELECT COUNT(*) FROM current_plays WHERE spotify_user_id = '${SAMPLE_FRIEND_ID}'`)).toBe(0);
  expect((await warehouse.query('SELECT spotify_user_id, listener_name FROM listeners')).rows).toEqual([[SAMPLE_USER_ID, 'sam']]);
  // Every table says whose data it is.
  expect(await scalar(`SELECT COUNT(*) FROM committed_tracks WHERE spotify_user_id IS NULL`)).toBe(0);
});

test('two plays polls with 30 new plays between them: exactly 80 distinct plays in current_plays, none twice', async () => {
  // Two hourly-style polls (20 new plays, then 10), transformed together as the daily batch does.
  server.advanceClock(20 * 60_000);
  const first = await extract('plays', 'poll-1');
  server.advanceClock(10 * 60_000);
  const second = await extract('plays', 'poll-2');
  expect(first.manifest).toMatchObject({ mode: 'plays', counts: { plays: 20 } });
  expect(second.manifest).toMatchObject({ mode: 'plays', counts: { plays: 10 } });
  const polls = [first.manifest.run_id, second.manifest.run_id];
  const { transforms, load } = await transformPendingAndLoad(polls);
  expect(transforms.map((t) => t.tables.plays.rows)).toEqual([20, 10]);
  expect(load.loaded.filter((f) => f.table === 'plays')).toHaveLength(2);

  const counts = async () =>
    (await warehouse.query(`SELECT COUNT(*), COUNT(DISTINCT played_at) FROM current_plays WHERE spotify_user_id = '${SAMPLE_USER_ID}'`)).rows[0];
  expect(await counts()).toEqual([80, 80]);
  expect(await scalar(`SELECT COUNT(*) FROM (SELECT spotify_user_id, played_at FROM current_plays GROUP BY 1, 2 HAVING COUNT(*) > 1) AS d`)).toBe(0);
  // The minutes of the week add up to those 80 plays, once each.
  const minutes = await warehouse.runAnalysis('listening_time_per_week');
  expect(minutes.rows.reduce((sum, row) => sum + Number(row[3]), 0)).toBe(80);

  // A recreated pipe loads the polls' files a second time: still 80, none twice.
  const playsDir = join(bucketDir, 'processed', 'plays');
  for (const file of readdirSync(playsDir, { recursive: true, encoding: 'utf8' }).filter((f) => polls.some((id) => f.includes(id)) && f.endsWith('.parquet'))) {
    copyFileSync(join(playsDir, file), join(playsDir, file.replace(/\.parquet$/, '-again.parquet')));
  }
  expect((await warehouse.loadProcessed(bucketDir)).loaded.map((f) => f.table)).toEqual(['plays', 'plays']);
  expect(await counts()).toEqual([80, 80]);
});

test("importing Sam's export twice and a newer overlapping one: each listen once in listening_history", async () => {
  // Polls so far (the tests above): Sam's plays of 17:41 to 19:00, one a minute. Export A holds 16:01 to 18:30, the
  // newer export B 17:31 to 18:55 (windows end between two plays, so which plays they hold is exact).
  const minute = 60_000;
  const catalog = loadSampleCatalog(new Date(AS_OF));
  const window = (fromMin: number, toMin: number) => ({ fromMs: AS_OF + fromMin * minute + 30_000, toMs: AS_OF + toMin * minute + 30_000 });
  const exportA = syntheticExport(SAM, catalog, window(-150, 0));
  const exportB = syntheticExport(SAM, catalog, { ...window(-60, 25), withVideo: false });
  const union = syntheticExport(SAM, catalog, window(-150, 25)).summary;
  expect([exportA.summary.plays, exportB.summary.plays, union.plays]).toEqual([150, 85, 175]);
  const folder = (name: string, files: Array<{ name: string; body: string }>) => {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    for (const f of files) writeFileSync(join(path, f.name), f.body);
    return path;
  };
  const folderA = folder('export-a', exportA.files);
  execFileSync('zip', ['-qr', join(dir, 'my_spotify_data.zip'), '.'], { cwd: folderA });

  await warehouse.close(); // the import opens the warehouse file itself
  const options = { bucketDir, warehouseFile: join(dir, 'warehouse.duckdb'), listener: 'sam' };
  const first = await importLocally({ ...options, exported: await readSpotifyExport(join(dir, 'my_spotify_data.zip')) });
  expect(first.plan.manifest.ignored).toEqual([{ source: expect.stringMatching(/Streaming_History_Video_2026\.json$/), reason: 'video streaming history: not imported' }]);
  expect(first.transform!.tables.streams.rows).toBe(exportA.summary.streams);
  expect(first.rejects).toEqual([]);
  const again = await importLocally({ ...options, exported: await readSpotifyExport(folderA) });
  expect(again.alreadyImported).toBe(true);
  expect(again.plan.runId).toBe(first.plan.runId);
  const newer = await importLocally({ ...options, exported: await readSpotifyExport(folder('export-b', exportB.files)) });
  warehouse = await LocalWarehouse.open(join(dir, 'warehouse.duckdb'));

  // Music listens of the union of both exports (plays, local files, incognito; not 0 ms, not podcasts), each once,
  // and the 5 polled plays after the newer export ends (18:56 to 19:00): nothing twice.
  const expectedExport = union.plays + union.localFiles + union.incognito;
  expect(newer.history).toEqual({ export: expectedExport, poll: 5 });
  const history = await warehouse.query(
    `SELECT source, COUNT(*), COUNT(DISTINCT ended_at) FROM listening_history WHERE spotify_user_id = '${SAMPLE_USER_ID}' GROUP BY 1 ORDER BY 1`,
  );
  expect(history.rows).toEqual([
    ['export', expectedExport, expectedExport],
    ['poll', 5, 5],
  ]);
  // streams keeps every import's rows; ip_addr, in the raw files, never reaches the warehouse.
  expect(await scalar(`SELECT COUNT(*) FROM committed_streams`)).toBe(exportA.summary.streams + exportB.summary.streams);
  const columns = (await warehouse.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'streams'`)).rows.flat();
  expect(columns).not.toContain('ip_addr');
  expect(readFileSync(join(bucketDir, first.plan.files[0].key), 'utf8')).toContain('"ip_addr"');
});
