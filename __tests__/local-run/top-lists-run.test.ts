/**
 * Top lists per listener, end to end against a Spotify-compatible server (the fake on loopback, whose listeners
 * each have their own top lists): the real extract, the real Glue script on local Spark, the real loader, views
 * and analysis SQL.
 *
 * - two listeners: each one's top lists are read with their own token and land under their own spotify_user_id in
 *   user_top_items, current_top_items and my_top_tracks_now (with their configured name from `listeners`);
 * - a week later one listener's token is revoked: that is an error in the manifest for them alone, the other's
 *   lists are complete, and current_top_items keeps each listener's latest lists (the revoked one's from the
 *   week before).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/pipeline-config';
import { extractRun, newRunId, type ExtractListenerInput } from '../../handlers/extract/extract-run';
import type { RunManifest } from '../../handlers/shared/manifest';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { SAMPLE_FRIEND_ID, SAMPLE_USER_ID } from '../../local/fakes/spotify/catalog';
import { startFakeSpotify, type FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { pendingRuns } from '../../cli/commands/transform';
import { runTransformBatch } from '../../local/spark/run-transform';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';

const analysisText = (name: string) => readFileSync(join(__dirname, '../../snowflake-sql/analysis', `${name}.sql`), 'utf8').trim().replace(/;$/, '');

jest.setTimeout(240_000);

const dir = mkdtempSync(join(tmpdir(), 'top-lists-run-'));
const bucketDir = join(dir, 'bucket');
const NAMES = ['sam', 'mira'];
let server: FakeSpotifyServer;
let warehouse: LocalWarehouse;

beforeAll(async () => {
  // The sample listeners: Sam (the catalog's user) and Mira, each with top lists of their own.
  server = await startFakeSpotify({ asOf: new Date('2026-11-25T06:00:00Z'), clock: 'frozen' });
  warehouse = await LocalWarehouse.open(join(dir, 'warehouse.duckdb'));
});
afterAll(async () => {
  await warehouse?.close();
  await server?.close();
});

const config = () =>
  parseConfig({
    environment: 'local',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: {
      apiBaseUrl: server.apiBaseUrl,
      accountsBaseUrl: server.accountsBaseUrl,
      topItems: { enabled: true, timeRanges: ['short_term', 'long_term'] },
      // Top lists alone: a listener whose only data is top lists is still a listener.
      listening: { plays: false, savedTracks: false, followedArtists: false },
      listeners: NAMES.map((name) => ({ name })),
    },
    local: { bucketDir, warehouseFile: join(dir, 'warehouse.duckdb') },
  });

const listeners = (): ExtractListenerInput[] =>
  server.listeners().map((l, i) => ({ name: NAMES[i], credentials: { ...server.credentials, refreshToken: l.refreshToken } }));

async function extract(at: Date, seed: string): Promise<RunManifest> {
  const { manifest } = await extractRun({
    spotify: config().spotify,
    timeBudgetSeconds: 60,
    credentials: { ...server.credentials },
    listeners: listeners(),
    writer: new LocalFolderWriter(bucketDir),
    runId: newRunId(at, seed),
    startedAt: at,
  });
  return manifest;
}

type Lists = Record<string, string[]>;

/** `<user>/<item_type>/<time_range>` -> item ids in rank order, from a query returning those four columns + rank. */
async function lists(sql: string): Promise<Lists> {
  const out: Lists = {};
  for (const [user, type, range, id] of (await warehouse.query(sql)).rows) (out[`${user}/${type}/${range}`] ??= []).push(String(id));
  return out;
}

/** What a manifest's top documents hold, in the same shape (the raw pages, verbatim). */
function rawLists(manifest: RunManifest): Lists {
  const out: Lists = {};
  for (const object of manifest.objects.filter((o) => o.kind === 'top')) {
    const doc = JSON.parse(readFileSync(join(bucketDir, object.key), 'utf8'));
    const type = doc.item_type === 'tracks' ? 'track' : 'artist';
    out[`${doc.spotify_user_id}/${type}/${doc.time_range}`] = doc.pages.flatMap((p: { items: Array<{ id: string }> }) => p.items.map((i) => i.id));
  }
  return out;
}

let week1: RunManifest;
let week2: RunManifest;

beforeAll(async () => {
  week1 = await extract(new Date('2026-11-25T06:00:00Z'), 'week-1');
  // A week later Mira's token is revoked.
  server.revokeListener(SAMPLE_FRIEND_ID);
  week2 = await extract(new Date('2026-12-02T06:00:00Z'), 'week-2');
  // Both runs in one job run (one Spark start-up, each run its own attempt), then loaded.
  const pending = pendingRuns(bucketDir);
  expect(pending.map((r) => r.runId)).toEqual([week1.run_id, week2.run_id]);
  await runTransformBatch({ bucketDir, runs: pending.map((r) => ({ runId: r.runId, rawRunPrefix: r.prefix })) });
  await warehouse.loadProcessed(bucketDir);
});

const ORDERED = 'ORDER BY spotify_user_id, item_type, time_range, rank';
const only = (all: Lists, user: string): Lists => Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(`${user}/`)));

test("two listeners: each one's top lists are their own raw objects, read with their own token", () => {
  expect(week1.errors).toEqual([]);
  const tops = week1.objects.filter((o) => o.kind === 'top');
  // 2 listeners x 2 item types x 2 time ranges, each its own raw object and entity.
  expect(tops).toHaveLength(8);
  expect(new Set(tops.map((o) => o.key)).size).toBe(8);
  expect(new Set(tops.map((o) => o.entity_id)).size).toBe(8);
  expect(tops.filter((o) => o.spotify_user_id === SAMPLE_FRIEND_ID)).toHaveLength(4);
  expect(tops.filter((o) => o.spotify_user_id === SAMPLE_USER_ID)).toHaveLength(4);
  const lists = rawLists(week1);
  expect(Object.keys(lists)).toHaveLength(8);
  // The fake serves each listener different lists: a mix-up could not pass unseen.
  expect(lists[`${SAMPLE_FRIEND_ID}/track/short_term`]).not.toEqual(lists[`${SAMPLE_USER_ID}/track/short_term`]);
});

test("each listener's top lists land under their own spotify_user_id in user_top_items", async () => {
  const rows = (run: string) => lists(`SELECT spotify_user_id, item_type, time_range, item_id FROM committed_user_top_items WHERE run_id = '${run}' ${ORDERED}`);
  expect(await rows(week1.run_id)).toEqual(rawLists(week1));
  expect(await rows(week2.run_id)).toEqual(rawLists(week2));
});

test('a revoked listener is an error for them alone; current_top_items keeps each listener\'s latest lists', async () => {
  expect(week2.errors).toEqual([expect.objectContaining({ kind: 'listener', entity_id: 'mira' })]);
  const tops = week2.objects.filter((o) => o.kind === 'top');
  expect(tops).toHaveLength(4);
  expect(tops.map((o) => o.spotify_user_id)).toEqual(tops.map(() => SAMPLE_USER_ID));

  // Sam's from this week, Mira's still from the week before.
  const current = await lists(`SELECT spotify_user_id, item_type, time_range, item_id FROM current_top_items ${ORDERED}`);
  expect(current).toEqual({ ...only(rawLists(week1), SAMPLE_FRIEND_ID), ...rawLists(week2) });
  const runs = (await warehouse.query('SELECT spotify_user_id, MIN(run_id), MAX(run_id) FROM current_top_items GROUP BY 1 ORDER BY 1')).rows;
  expect(runs).toEqual([
    [SAMPLE_FRIEND_ID, week1.run_id, week1.run_id],
    [SAMPLE_USER_ID, week2.run_id, week2.run_id],
  ]);
});

test('a listener whose only data is top lists is a listener, and my_top_tracks_now says whose list each row is', async () => {
  expect((await warehouse.query('SELECT spotify_user_id, listener_name FROM listeners ORDER BY listener_name')).rows).toEqual([
    [SAMPLE_FRIEND_ID, 'mira'],
    [SAMPLE_USER_ID, 'sam'],
  ]);
  const now = await warehouse.runAnalysis('my_top_tracks_now');
  expect(now.columns.slice(0, 4)).toEqual(['spotify_user_id', 'listener_name', 'time_range', 'rank']);
  const mira = now.rows.filter((r) => r[0] === SAMPLE_FRIEND_ID && r[2] === 'short_term');
  expect(mira.map((r) => r[1])).toEqual(mira.map(() => 'mira'));
  expect(mira.map((r) => Number(r[3]))).toEqual(rawLists(week1)[`${SAMPLE_FRIEND_ID}/track/short_term`].slice(0, 10).map((_, i) => i + 1));
  // A caller asks per listener by wrapping it.
  const sql = `SELECT COUNT(*) FROM (${analysisText('my_top_tracks_now')}) AS a WHERE a.listener_name = 'sam'`;
  expect(Number((await warehouse.query(sql)).rows[0][0])).toBe(now.rows.filter((r) => r[1] === 'sam').length);
});
