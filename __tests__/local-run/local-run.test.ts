/**
 * The local run end to end, as a user runs it: the real extract code against the fake Spotify, the real Glue
 * script on local Spark, the real DuckDB loader and analysis SQL. One folder, several runs in a row, so the
 * tests also prove that a failed run leaves the next one unharmed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type PipelineConfig } from '../../config/pipeline-config';
import { startFakeSpotify } from '../../local/fakes/spotify/server';
import { checkStage, loadStage, runLocalPipeline, StageError, type LocalRunContext } from '../../local/run-pipeline';
import { runTransform } from '../../local/spark/run-transform';
import { CURRENT_VIEWS, LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { DATA_TABLES, TABLE_NAMES as ALL_TABLE_NAMES } from '../../schemas/table-schemas';
import { startWarmSpark, type WarmSpark } from './warm-spark/warm-spark';

// The tables an extract run fills: streams holds imported exports only (`pipeline import`; its end-to-end test is
// listening-run.test.ts), so an extract run commits it with 0 rows and writes no file for it.
const IMPORT_ONLY_TABLES = new Set(['streams']);
const DATA_TABLE_NAMES = DATA_TABLES.map((t) => t.name).filter((t) => !IMPORT_ONLY_TABLES.has(t));
const TABLE_NAMES = ALL_TABLE_NAMES.filter((t) => !IMPORT_ONLY_TABLES.has(t));

jest.setTimeout(240_000);

const dir = mkdtempSync(join(tmpdir(), 'local-run-'));
const shipped = JSON.parse(readFileSync(join(__dirname, '../../config/environments/local.json'), 'utf8'));
const config: PipelineConfig = parseConfig({
  ...shipped,
  // Few retries, short waits: a dead server should fail the run quickly here.
  spotify: { ...shipped.spotify, maxRetries: 1, requestTimeoutMs: 2_000 },
  local: { bucketDir: join(dir, 'bucket'), warehouseFile: join(dir, 'warehouse.duckdb'), secretsFile: join(dir, 'no-secrets.json') },
});

/** Every _manifest.json under the bucket folder's raw/. */
function manifests(): string[] {
  const raw = join(dir, 'bucket', 'raw');
  if (!existsSync(raw)) return [];
  return readdirSync(raw, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('_manifest.json'));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function failure(run: Promise<unknown>): Promise<StageError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof StageError) return error;
    throw error;
  }
  throw new Error('the run was expected to fail');
}

/** Rows of every current view, as sorted JSON lines, so two snapshots can be compared exactly. */
async function currentViews(): Promise<Record<string, string[]>> {
  const warehouse = await LocalWarehouse.open(config.local.warehouseFile);
  try {
    const out: Record<string, string[]> = {};
    for (const view of Object.values(CURRENT_VIEWS)) {
      const result = await warehouse.query(`SELECT * FROM ${view}`);
      // Run columns differ between snapshots by design; the entity rows must not.
      const keep = result.columns.map((c, i) => [c, i] as const).filter(([c]) => !['run_id', 'attempt_id', 'extract_date', 'extracted_at', 'source_file', 'loaded_at'].includes(c));
      out[view] = result.rows.map((row) => JSON.stringify(keep.map(([, i]) => row[i]), (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).sort();
    }
    return out;
  } finally {
    await warehouse.close();
  }
}

// The four transforms below share one Spark session (warm-spark/): the pipeline code is unchanged.
let spark: WarmSpark;
beforeAll(async () => {
  spark = await startWarmSpark();
});
afterAll(async () => {
  await spark?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local run', () => {
  let first: LocalRunContext;
  let afterFirst: Record<string, string[]>;

  it('fails at extract with the cause and a way out when Spotify is a dead port, and writes no manifest', async () => {
    const port = await freePort();
    const error = await failure(
      runLocalPipeline({
        config,
        spotify: 'real',
        apiBaseUrl: `http://127.0.0.1:${port}/v1`,
        accountsBaseUrl: `http://127.0.0.1:${port}`,
        env: { SPOTIFY_CLIENT_ID: 'id', SPOTIFY_CLIENT_SECRET: 'secret', SPOTIFY_REFRESH_TOKEN: 'token' },
      }),
    );
    expect(error.stage).toBe('extract');
    expect(error.message).toMatch(/extract failed: .*127\.0\.0\.1/s);
    expect(error.message).toContain('no manifest was written');
    expect(manifests()).toEqual([]);
  });

  it('fails cleanly when the Spotify server stops in the middle of the run', async () => {
    // Slow item pages so the run is surely mid-way when the server goes away.
    const fake = await startFakeSpotify({ faults: { rules: [{ path: '/v1/playlists/*/items', action: { kind: 'delay', ms: 150 } }] } });
    const run = runLocalPipeline({
      config,
      spotify: 'real',
      apiBaseUrl: fake.apiBaseUrl,
      accountsBaseUrl: fake.accountsBaseUrl,
      env: { SPOTIFY_CLIENT_ID: fake.credentials.clientId, SPOTIFY_CLIENT_SECRET: fake.credentials.clientSecret, SPOTIFY_REFRESH_TOKEN: fake.credentials.refreshToken },
    });
    const deadline = Date.now() + 20_000;
    while (fake.requests().filter((r) => /\/items(\?|$)/.test(r.path)).length < 2) {
      if (Date.now() > deadline) throw new Error('the run never reached the playlist items');
      await new Promise((r) => setTimeout(r, 20));
    }
    await fake.close();
    const error = await failure(run);
    expect(error.stage).toBe('extract');
    expect(error.message).toMatch(/unreachable .*ECONNREFUSED/);
    expect(error.message).toContain('wrote no manifest');
    expect(manifests()).toEqual([]);
  });

  it('runs end to end after those failures, with non-zero counts in every stage', async () => {
    first = await runLocalPipeline({ config, spotify: 'fake', now: () => new Date('2026-11-23T06:00:00Z') });
    const m = first.manifest!;
    expect(m.status).toBe('complete');
    expect(m.counts.playlists).toBeGreaterThanOrEqual(5);
    expect(m.counts.playlist_items).toBeGreaterThanOrEqual(500);
    expect(m.counts.top_items).toBeGreaterThan(0);
    expect(manifests()).toHaveLength(1);

    expect(Object.keys(first.transform!.tables).sort()).toEqual([...DATA_TABLE_NAMES, ...IMPORT_ONLY_TABLES].sort());
    for (const table of IMPORT_ONLY_TABLES) expect(first.transform!.tables[table]).toMatchObject({ rows: 0, files: 0 });
    for (const table of DATA_TABLE_NAMES) expect(first.transform!.tables[table].rows).toBeGreaterThan(0);
    expect(first.transform!.attempt_id).toMatch(/^local-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(first.transform!.tables.playlist_tracks.rows).toBe(m.counts.playlist_items);

    expect(first.load!.loaded.map((f) => f.table).sort()).toEqual([...TABLE_NAMES].sort());
    expect(first.load!.skipped).toEqual([]);
    expect(first.checks!.length).toBeGreaterThan(0);
    expect(first.checks!.filter((c) => !c.passed)).toEqual([]);
    expect(first.analyses!.length).toBeGreaterThanOrEqual(6);
    const topArtists = first.analyses!.find((a) => a.name === 'top_artists_across_playlists')!;
    expect(topArtists.rows.length).toBeGreaterThan(0);

    // The instants the warehouse holds are those the extract recorded, whatever TZ this runs under (make test: not UTC).
    const warehouse = await LocalWarehouse.open(config.local.warehouseFile);
    try {
      const { rows } = await warehouse.query(`SELECT DISTINCT extracted_at FROM playlist_tracks WHERE run_id = $1`, [first.runId]);
      expect(rows).toEqual([[new Date(m.started_at).toISOString()]]);
      // Every playlist each sample listener may read, once, with their own token: Sam's seven and the one he
      // collaborates on, Mira's own and that shared one (hers), no 403 on the way.
      const playlists = m.objects.filter((o) => o.kind === 'playlist');
      expect([playlists.length, new Set(playlists.map((o) => o.entity_id)).size]).toEqual([9, 9]);
      const mine = await warehouse.query(`SELECT listener_name, role, COUNT(*) FROM listener_playlists GROUP BY 1, 2 ORDER BY 1, 2`);
      expect(mine.rows).toEqual([['mira', 'owner', 2], ['sam', 'collaborator', 1], ['sam', 'owner', 7]]);
    } finally {
      await warehouse.close();
    }
    afterFirst = await currentViews();
    for (const rows of Object.values(afterFirst)) expect(rows.length).toBeGreaterThan(0);
  });

  it('a second run adds a second snapshot and double-counts nothing', async () => {
    // The same week again (a re-run, or a manual run): the fake serves the same playlists.
    const second = await runLocalPipeline({ config, spotify: 'fake', now: () => new Date('2026-11-24T06:00:00Z') });
    expect(second.runId).not.toBe(first.runId);
    // Nothing changed on Spotify: no playlist is paged again; the transform reads the first run's objects.
    expect(second.manifest!.counts).toMatchObject({ playlists_reused: first.manifest!.counts.playlists, item_page_calls: 0 });
    expect(second.transform!.tables.playlist_tracks.rows).toBe(first.transform!.tables.playlist_tracks.rows);
    expect(manifests()).toHaveLength(2);
    for (const table of TABLE_NAMES) {
      const runs = readdirSync(join(dir, 'bucket', 'processed', table), { recursive: true, encoding: 'utf8' }).filter((p) => /run_id=[^/]+$/.test(p));
      expect(runs).toHaveLength(2);
    }
    // The new run's files load; the first run's are recognised and skipped.
    expect(second.load!.loaded).toHaveLength(TABLE_NAMES.length);
    expect(second.load!.skipped).toHaveLength(TABLE_NAMES.length);
    expect(second.checks!.filter((c) => !c.passed)).toEqual([]);
    // Same catalog both runs: the current views hold exactly the same rows.
    expect(await currentViews()).toEqual(afterFirst);
  });

  it('a run id extracted again with changed content, transformed and loaded again shows only the new content', async () => {
    // Re-extracted (a retried Lambda rewrites its run id): the first playlist lost its last two items since.
    const prefix = first.rawPrefix!;
    const manifestPath = join(dir, 'bucket', prefix, '_manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const entry = manifest.objects.find((o: { kind: string; items: number }) => o.kind === 'playlist' && o.items >= 3);
    const rawPath = join(dir, 'bucket', entry.key);
    const doc = JSON.parse(readFileSync(rawPath, 'utf8'));
    const playlistId: string = doc.playlist_id;
    const kept = entry.items - 2;
    const last = doc.item_pages[doc.item_pages.length - 1];
    last.items = last.items.slice(0, Math.max(0, last.items.length - 2));
    for (const page of doc.item_pages) page.total = kept;
    if (doc.playlist.items) doc.playlist.items.total = kept;
    if (doc.playlist.tracks) doc.playlist.tracks.total = kept;
    const bytes = Buffer.from(JSON.stringify(doc));
    writeFileSync(rawPath, bytes);
    Object.assign(entry, { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), items: kept });
    writeFileSync(manifestPath, JSON.stringify(manifest));

    const rerun = await runTransform({ bucketDir: join(dir, 'bucket'), rawRunPrefix: prefix, runId: first.runId });
    expect(rerun.attempt_id).not.toBe(first.transform!.attempt_id);
    expect(rerun.superseded_attempts.superseded).toEqual([first.transform!.attempt_id]);
    const load = await loadStage(config.local.warehouseFile, config.local.bucketDir);
    expect(load.loaded.map((f) => f.table).sort()).toEqual([...TABLE_NAMES].sort());
    await checkStage(config.local.warehouseFile, { runId: first.runId, attemptId: rerun.attempt_id });

    const warehouse = await LocalWarehouse.open(config.local.warehouseFile);
    try {
      const count = async (sql: string) => Number((await warehouse.query(sql, [first.runId, playlistId])).rows[0][0]);
      expect(await count(`SELECT COUNT(*) FROM committed_playlist_tracks WHERE run_id = $1 AND playlist_id = $2`)).toBe(kept);
      expect(await count(`SELECT COUNT(*) FROM committed_playlist_snapshots WHERE run_id = $1 AND playlist_id = $2 AND paging_issues IS NULL`)).toBe(1);
      // Both attempts' rows are loaded (history), and only the new one is read.
      expect(await count(`SELECT COUNT(*) FROM playlist_tracks WHERE run_id = $1 AND playlist_id = $2`)).toBe(kept + kept + 2);
    } finally {
      await warehouse.close();
    }
  });

  it("next week's run shows what entered, dropped out and moved", async () => {
    const third = await runLocalPipeline({ config, spotify: 'fake', now: () => new Date('2026-11-30T06:00:00Z') });
    expect(third.checks!.filter((c) => !c.passed)).toEqual([]);
    const analysis = (name: string) => third.analyses!.find((a) => a.name === name)!;
    const newEntries = analysis('new_entries_this_week');
    expect(newEntries.rows.length).toBeGreaterThan(0);
    const week = newEntries.columns.indexOf('chart_week');
    for (const row of newEntries.rows) expect(String(row[week])).toContain('2026-11-30');
    expect(analysis('drop_outs_and_movers_this_week').rows.length).toBeGreaterThan(0);
    const longest = analysis('longest_running_tracks');
    expect(longest.rows[0][longest.columns.indexOf('weeks_on_chart')]).toBe(2);
  });

  it('loading processed files that were already loaded loads nothing', async () => {
    const warehouse = await LocalWarehouse.open(config.local.warehouseFile);
    try {
      const report = await warehouse.loadProcessed(config.local.bucketDir);
      expect(report.loaded).toEqual([]);
      expect(report.skipped).toHaveLength(4 * TABLE_NAMES.length); // three runs, one of them transformed twice
    } finally {
      await warehouse.close();
    }
  });
});
