/**
 * The listening history end to end, against a Spotify-compatible server (the fake on loopback): the real extract,
 * the real Glue script on local Spark, the real loader and views.
 *
 * - two listeners extracted side by side with their own tokens, one of them revoked: the other's data is complete
 *   (137 saved tracks, 57 followed artists) and the revoked one is an error in the manifest;
 * - two plays polls with 30 new plays between them, transformed in one job run as the daily batch does: exactly 80
 *   distinct plays in current_plays, none twice, however the polls overlap and even when their files are loaded twice.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/pipeline-config';
import { extractRun, newRunId, type ExtractListenerInput } from '../../handlers/extract/extract-run';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { SAMPLE_FRIEND_ID, SAMPLE_USER_ID } from '../../local/fakes/spotify/catalog';
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

beforeAll(async () => {
  spark = await startWarmSpark();
  server = await startFakeSpotify({
    asOf: new Date('2026-11-25T18:30:00Z'),
    clock: 'frozen',
    listeners: [
      // Sam: one play a minute, on the minute, so the counts are exact.
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDe2e-sam', seed: 21, savedTracks: 137, followedArtists: 57, plays: { perHour: 60, activity: 'always', jitter: false } },
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
