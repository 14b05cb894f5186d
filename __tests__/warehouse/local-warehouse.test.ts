import { copyFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWarehouse, CURRENT_VIEWS } from '../../local/warehouse/local-warehouse';
import { writeProcessedParquet } from '../../local/warehouse/parquet-writer';
import { TABLES } from '../../schemas/table-schemas';
import { DATA, RUN_A, RUN_B, expectedRows, tempDir, writeRun } from './fixture-data';
import { EXPECTED } from './expected-analyses';

describe('LocalWarehouse on two weekly runs', () => {
  let bucket: string;
  let warehouse: LocalWarehouse;

  beforeAll(async () => {
    bucket = tempDir('warehouse-test');
    await writeRun(bucket, 'A');
    await writeRun(bucket, 'B');
    warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
  });
  afterAll(async () => {
    await warehouse.close();
  });

  test('loads every processed file once, with its row count', async () => {
    const report = await warehouse.loadProcessed(bucket);
    expect(report.skipped).toEqual([]);
    expect(report.loaded).toHaveLength(TABLES.length * 2);
    const tracksA = report.loaded.find((f) => f.table === 'tracks' && f.file.includes(RUN_A.runId));
    expect(tracksA).toEqual({
      table: 'tracks',
      file: `processed/tracks/extract_date=2026-11-16/run_id=${RUN_A.runId}/part-00000.parquet`,
      rows: 4,
    });
  });

  test('a second load skips every file it loaded, saying why', async () => {
    const report = await warehouse.loadProcessed(bucket);
    expect(report.loaded).toEqual([]);
    expect(report.skipped).toHaveLength(TABLES.length * 2);
    for (const skipped of report.skipped) expect(skipped.reason).toMatch(/^already loaded at .* \(same path and checksum\)$/);
  });

  test('rows carry source_file and loaded_at like the pipes INCLUDE_METADATA', async () => {
    const { rows } = await warehouse.query(
      `SELECT DISTINCT source_file FROM tracks WHERE run_id = $1`,
      [RUN_B.runId],
    );
    expect(rows).toEqual([[`processed/tracks/extract_date=2026-11-23/run_id=${RUN_B.runId}/part-00000.parquet`]]);
  });

  test('every check passes for each run, with the transform row counts', async () => {
    for (const [run, meta] of [['A', RUN_A], ['B', RUN_B]] as const) {
      const results = await warehouse.runChecks({ runId: meta.runId, expectedRows: expectedRows(run) });
      expect(results.filter((r) => !r.passed)).toEqual([]);
      const checks = new Set(results.map((r) => `${r.table}:${r.check}`));
      for (const spec of TABLES) {
        expect(checks).toContain(`${spec.name}:row_count`);
        expect(checks).toContain(`${spec.name}:key_unique`);
        expect(checks).toContain(`${spec.name}:key_not_null`);
      }
      for (const view of Object.values(CURRENT_VIEWS)) expect(checks).toContain(`${view}:entity_key_unique`);
    }
  });

  test('a row count that differs from what the transform wrote fails, naming table and check', async () => {
    const results = await warehouse.runChecks({ runId: RUN_B.runId, expectedRows: { ...expectedRows('B'), tracks: 6 } });
    expect(results.filter((r) => !r.passed)).toEqual([
      { table: 'tracks', check: 'row_count', passed: false, detail: `5 rows loaded for run ${RUN_B.runId}; the transform wrote 6` },
    ]);
  });

  test('every dimension table with an entity key has its current view', () => {
    for (const spec of TABLES.filter((t) => t.kind === 'dimension')) expect(CURRENT_VIEWS[spec.name]).toBeDefined();
  });

  test('current views: the latest extract wins', async () => {
    const tracks = await warehouse.query(`SELECT track_id, track_name, run_id FROM current_tracks ORDER BY track_id`);
    expect(tracks.rows).toEqual([
      ['t1', 'One (Remastered)', RUN_B.runId],
      ['t2', 'Two', RUN_B.runId],
      ['t3', 'Three', RUN_A.runId],
      ['t4', 'Four', RUN_B.runId],
      ['t5', 'Five', RUN_B.runId],
      ['t6', 'Six', RUN_B.runId],
    ]);
    const playlists = await warehouse.query(`SELECT playlist_id, playlist_name FROM current_playlists ORDER BY playlist_id`);
    expect(playlists.rows).toEqual([
      ['pl_morning', 'Morning Mix'],
      ['pl_night', 'Late Night Drive'],
    ]);
    const albums = await warehouse.query(`SELECT album_id, release_date, release_date_precision, release_date_raw FROM current_albums ORDER BY album_id`);
    expect(albums.rows).toEqual([
      ['al1', '2024-05-10', 'day', '2024-05-10'],
      ['al2', '2019-01-01', 'year', '2019'],
      ['al3', null, 'year', '0000'],
    ]);
  });

  test('the weekly chart keeps every position of every week, episodes and local files included', async () => {
    const chart = await warehouse.query(
      `SELECT playlist_id, chart_week, chart_rank, item_type, track_id FROM playlist_chart ORDER BY playlist_id, chart_week, chart_rank`,
    );
    expect(chart.rows).toEqual([
      ['pl_morning', '2026-11-16', 1, 'track', 't1'],
      ['pl_morning', '2026-11-16', 2, 'track', 't2'],
      ['pl_morning', '2026-11-16', 3, 'track', 't3'],
      ['pl_morning', '2026-11-23', 1, 'track', 't2'],
      ['pl_morning', '2026-11-23', 2, 'track', 't1'],
      ['pl_morning', '2026-11-23', 3, 'track', 't5'],
      ['pl_night', '2026-11-16', 1, 'track', 't4'],
      ['pl_night', '2026-11-16', 2, 'track', 't1'],
      ['pl_night', '2026-11-16', 3, 'episode', null],
      ['pl_night', '2026-11-23', 1, 'track', 't4'],
      ['pl_night', '2026-11-23', 2, 'track', 't6'],
      ['pl_night', '2026-11-23', 3, 'track', 't1'],
      ['pl_night', '2026-11-23', 4, 'local_track', null],
    ]);
  });

  test('lists every analysis with its question', () => {
    const analyses = warehouse.listAnalyses();
    expect(analyses.map((a) => a.name).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const analysis of analyses) expect(analysis.question).toMatch(/^[A-Z].+\?$/);
  });

  test.each(Object.keys(EXPECTED))('analysis %s answers exactly', async (name) => {
    expect(await warehouse.runAnalysis(name)).toEqual(EXPECTED[name]);
  });

  test('runAnalysis honours limit and names the choices for an unknown analysis', async () => {
    const limited = await warehouse.runAnalysis('longest_running_tracks', { limit: 2 });
    expect(limited.rows).toEqual(EXPECTED.longest_running_tracks.rows.slice(0, 2));
    await expect(warehouse.runAnalysis('nope')).rejects.toThrow(/No analysis "nope"\. Available: .*top_artists_across_playlists/);
  });

  test('a file loaded twice (a recreated pipe) is flagged by the checks but never double-counts', async () => {
    // The same Parquet under a second name: what a recreated Snowpipe, which forgot its load history, would load.
    for (const table of ['playlist_tracks', 'tracks', 'track_artists', 'playlist_snapshots', 'user_top_items']) {
      const folder = join(bucket, `processed/${table}/extract_date=2026-11-23/run_id=${RUN_B.runId}`);
      copyFileSync(join(folder, 'part-00000.parquet'), join(folder, 'part-00000-copy.parquet'));
    }
    const report = await warehouse.loadProcessed(bucket);
    expect(report.loaded.map((f) => f.table).sort()).toEqual(['playlist_snapshots', 'playlist_tracks', 'track_artists', 'tracks', 'user_top_items']);

    for (const name of Object.keys(EXPECTED)) expect(await warehouse.runAnalysis(name)).toEqual(EXPECTED[name]);

    const failed = (await warehouse.runChecks({ runId: RUN_B.runId })).filter((r) => !r.passed);
    expect(failed.map((r) => `${r.table}:${r.check}`).sort()).toEqual([
      'playlist_snapshots:key_unique',
      'playlist_tracks:key_unique',
      'track_artists:key_unique',
      'tracks:key_unique',
      'user_top_items:key_unique',
    ]);
    expect(failed.find((r) => r.table === 'tracks')!.detail).toMatch(/^5 duplicated \(run_id, track_id\) in run 20261123T060000Z-bbbbbb, e\.g\. /);
  });

  test('tableStatus reports rows, files and the last load per table', async () => {
    const status = await warehouse.tableStatus();
    expect(status.map((s) => s.table)).toEqual(TABLES.map((t) => t.name));
    const tracks = status.find((s) => s.table === 'tracks')!;
    expect(tracks).toMatchObject({ rows: 4 + 5 + 5, files: 3 });
    expect(tracks.lastLoadedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});

describe('LocalWarehouse loader edge cases', () => {
  test('a rewritten file (new checksum) loads again; a broken file is skipped with its error and not retried', async () => {
    const bucket = tempDir('warehouse-edge');
    await writeProcessedParquet(bucket, 'artists', RUN_A, DATA.A.artists);
    const warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
    try {
      expect((await warehouse.loadProcessed(bucket)).loaded).toHaveLength(1);

      await writeProcessedParquet(bucket, 'artists', RUN_A, [{ artist_id: 'ar9', artist_name: 'Nine' }]);
      const again = await warehouse.loadProcessed(bucket);
      expect(again.loaded).toEqual([{ table: 'artists', file: expect.stringContaining('artists/extract_date=2026-11-16'), rows: 1 }]);

      const runDir = join(bucket, `processed/tracks/extract_date=2026-11-16/run_id=${RUN_A.runId}`);
      mkdirSync(runDir, { recursive: true });
      writeFileSync(join(runDir, 'part-00000.parquet'), 'not parquet');
      writeFileSync(join(runDir, '_SUCCESS'), '');
      mkdirSync(join(bucket, 'processed/tracks/stray'), { recursive: true });
      writeFileSync(join(bucket, 'processed/tracks/stray/x.parquet'), 'x');
      mkdirSync(join(bucket, 'processed/podcasts'), { recursive: true });
      writeFileSync(join(bucket, 'processed/podcasts/x.parquet'), 'x');

      const report = await warehouse.loadProcessed(bucket);
      expect(report.loaded).toEqual([]);
      expect(report.skipped).toEqual([
        { table: 'artists', file: expect.any(String), reason: expect.stringMatching(/^already loaded/) },
        { table: 'podcasts', file: 'processed/podcasts/x.parquet', reason: 'no table "podcasts" in schemas/tables.json' },
        { table: 'tracks', file: expect.stringContaining('part-00000.parquet'), reason: expect.stringMatching(/^load failed: /) },
        { table: 'tracks', file: 'processed/tracks/stray/x.parquet', reason: expect.stringMatching(/^not in the processed layout/) },
      ]);
      const retry = await warehouse.loadProcessed(bucket);
      expect(retry.skipped[2].reason).toMatch(/^failed at .* and is not retried until the file changes: /);
    } finally {
      await warehouse.close();
    }
  });

  test('a file without a required column fails with the column named', async () => {
    const bucket = tempDir('warehouse-missing');
    const runDir = join(bucket, `processed/track_artists/extract_date=2026-11-16/run_id=${RUN_A.runId}`);
    mkdirSync(runDir, { recursive: true });
    const warehouse = await LocalWarehouse.open(':memory:');
    try {
      await warehouse.query(
        `COPY (SELECT 't1' AS track_id, 0 AS artist_position, '${RUN_A.runId}' AS run_id, DATE '2026-11-16' AS extract_date,
               TIMESTAMP '2026-11-16 06:00:00' AS extracted_at) TO '${runDir}/part-00000.parquet' (FORMAT parquet)`,
      );
      const report = await warehouse.loadProcessed(bucket);
      expect(report.skipped).toEqual([
        {
          table: 'track_artists',
          file: expect.any(String),
          reason: 'load failed: missing required column(s) artist_id (schemas/tables.json)',
        },
      ]);
      const results = await warehouse.runChecks({ runId: RUN_A.runId, expectedRows: { track_artists: 1 } });
      expect(results.find((r) => r.check === 'row_count')).toMatchObject({ table: 'track_artists', passed: false });
    } finally {
      await warehouse.close();
    }
  });

  test('clear errors for a missing processed folder and for expectedRows without a run', async () => {
    const warehouse = await LocalWarehouse.open(':memory:');
    try {
      await expect(warehouse.loadProcessed(tempDir('empty'))).rejects.toThrow(/No processed\/ folder in .*Run the transform first/);
      await expect(warehouse.runChecks({ expectedRows: { tracks: 1 } })).rejects.toThrow(/pass runId/);
      await expect(warehouse.runChecks({ runId: 'r', expectedRows: { songs: 1 } })).rejects.toThrow(/"songs", which is not a table/);
    } finally {
      await warehouse.close();
    }
  });
});
