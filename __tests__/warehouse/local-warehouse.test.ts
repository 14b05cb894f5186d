import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWarehouse, CURRENT_VIEWS } from '../../local/warehouse/local-warehouse';
import { writeCommitRecord, writeProcessedParquet } from '../../local/warehouse/parquet-writer';
import { DATA_TABLES, TABLES } from '../../schemas/table-schemas';
import { DATA, RUN_A, RUN_B, tempDir, writeRun } from './fixture-data';
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
      file: `processed/tracks/extract_date=2026-11-16/run_id=${RUN_A.runId}/attempt_id=attempt-1/part-00000.parquet`,
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
    // METADATA$FILENAME is the path after the stage's URL (s3://<bucket>/processed/), not the bucket key.
    expect(rows).toEqual([[`tracks/extract_date=2026-11-23/run_id=${RUN_B.runId}/attempt_id=attempt-1/part-00000.parquet`]]);
  });

  test('every check passes for each run, against its commit record', async () => {
    for (const meta of [RUN_A, RUN_B]) {
      const results = await warehouse.runChecks({ runId: meta.runId, attemptId: 'attempt-1' });
      expect(results.filter((r) => !r.passed)).toEqual([]);
      const checks = new Set(results.map((r) => `${r.table}:${r.check}`));
      expect(checks).toContain('committed_attempts:visible_attempt');
      for (const spec of DATA_TABLES) {
        expect(checks).toContain(`${spec.name}:row_count`);
        expect(checks).toContain(`${spec.name}:key_unique`);
        expect(checks).toContain(`${spec.name}:key_not_null`);
      }
      for (const view of Object.values(CURRENT_VIEWS)) expect(checks).toContain(`${view}:entity_key_unique`);
    }
    expect((await warehouse.runChecks()).filter((r) => !r.passed)).toEqual([]);
  });

  test('the check names the attempt a run shows when it is not the one expected', async () => {
    const results = await warehouse.runChecks({ runId: RUN_B.runId, attemptId: 'attempt-9' });
    expect(results.filter((r) => !r.passed)).toEqual([
      {
        table: 'committed_attempts',
        check: 'visible_attempt',
        passed: false,
        detail: `run ${RUN_B.runId} shows attempt attempt-1, not attempt-9: the newer commit is not loaded yet, or not all of its rows`,
      },
    ]);
  });

  test('every dimension table with an entity key has its current view', () => {
    for (const spec of TABLES.filter((t) => t.kind === 'dimension')) expect(CURRENT_VIEWS[spec.name]).toBeDefined();
  });

  test("whose playlists: each listener's, as the playlist's latest run says (Sam owned both in week 1)", async () => {
    const { rows } = await warehouse.query(`SELECT playlist_id, spotify_user_id, listener_name, role, run_id FROM listener_playlists ORDER BY 1, 2`);
    expect(rows).toEqual([
      ['pl_morning', 'u_sam', 'sam', 'owner', RUN_B.runId],
      ['pl_night', 'u_mira', 'Mira', 'owner', RUN_B.runId],
      ['pl_night', 'u_sam', 'sam', 'collaborator', RUN_B.runId],
    ]);
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
      const folder = join(bucket, `processed/${table}/extract_date=2026-11-23/run_id=${RUN_B.runId}/attempt_id=attempt-1`);
      copyFileSync(join(folder, 'part-00000.parquet'), join(folder, 'part-00000-copy.parquet'));
    }
    const report = await warehouse.loadProcessed(bucket);
    expect(report.loaded.map((f) => f.table).sort()).toEqual(['playlist_snapshots', 'playlist_tracks', 'track_artists', 'tracks', 'user_top_items']);

    for (const name of Object.keys(EXPECTED)) expect(await warehouse.runAnalysis(name)).toEqual(EXPECTED[name]);

    const failed = (await warehouse.runChecks({ runId: RUN_B.runId })).filter((r) => !r.passed);
    expect(failed.map((r) => `${r.table}:${r.check}`).sort()).toEqual([
      'playlist_snapshots:key_unique',
      'playlist_snapshots:row_count',
      'playlist_tracks:key_unique',
      'playlist_tracks:row_count',
      'track_artists:key_unique',
      'track_artists:row_count',
      'tracks:key_unique',
      'tracks:row_count',
      'user_top_items:key_unique',
      'user_top_items:row_count',
    ]);
    expect(failed.find((r) => r.table === 'tracks' && r.check === 'key_unique')!.detail).toMatch(
      /^5 duplicated \(run_id, track_id\) in run 20261123T060000Z-bbbbbb, e\.g\. /,
    );
    expect(failed.find((r) => r.table === 'tracks' && r.check === 'row_count')!.detail).toBe(
      '10 rows loaded for run 20261123T060000Z-bbbbbb attempt attempt-1; its commit record says 5',
    );
  });

  test('tableStatus reports rows, files and the last load per table', async () => {
    const status = await warehouse.tableStatus();
    expect(status.map((s) => s.table)).toEqual(TABLES.map((t) => t.name));
    const tracks = status.find((s) => s.table === 'tracks')!;
    expect(tracks).toMatchObject({ rows: 4 + 5 + 5, files: 3 });
    // One commit row per table the run wrote: 8 playlist tables, 5 listening tables and streams, in each of the two runs.
    expect(status.find((s) => s.table === 'transform_commits')).toMatchObject({ rows: 14 + 14, files: 2 });
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
      mkdirSync(join(runDir, 'attempt_id=attempt-1', '_temporary', '0'), { recursive: true });
      writeFileSync(join(runDir, 'attempt_id=attempt-1', 'part-00000.parquet'), 'not parquet');
      writeFileSync(join(runDir, 'attempt_id=attempt-1', '.part-00000.parquet.crc'), '');
      writeFileSync(join(runDir, 'attempt_id=attempt-1', '_temporary', '0', 'part-00001.parquet'), 'half written');
      writeFileSync(join(runDir, 'part-00000.parquet'), 'written before attempts');
      mkdirSync(join(bucket, 'processed/tracks/stray'), { recursive: true });
      writeFileSync(join(bucket, 'processed/tracks/stray/x.parquet'), 'x');
      mkdirSync(join(bucket, 'processed/podcasts'), { recursive: true });
      writeFileSync(join(bucket, 'processed/podcasts/x.parquet'), 'x');

      const report = await warehouse.loadProcessed(bucket);
      expect(report.loaded).toEqual([]);
      expect(report.skipped).toEqual([
        { table: 'artists', file: expect.any(String), reason: expect.stringMatching(/^already loaded/) },
        { table: 'podcasts', file: 'processed/podcasts/x.parquet', reason: 'no table "podcasts" in schemas/tables.json' },
        { table: 'tracks', file: expect.stringContaining('attempt_id=attempt-1/part-00000.parquet'), reason: expect.stringMatching(/^load failed: /) },
        {
          table: 'tracks',
          file: `processed/tracks/extract_date=2026-11-16/run_id=${RUN_A.runId}/part-00000.parquet`,
          reason: expect.stringMatching(/^written before transform attempts .*transform run 20261116T060000Z-aaaaaa again \(`pipeline transform --run-id 20261116T060000Z-aaaaaa`\)$/),
        },
        { table: 'tracks', file: 'processed/tracks/stray/x.parquet', reason: expect.stringMatching(/^not in the processed layout/) },
      ]);
      const retry = await warehouse.loadProcessed(bucket);
      expect(retry.skipped[2].reason).toMatch(/^failed at .* and is not retried until the file changes: /);
    } finally {
      await warehouse.close();
    }
  });

  test('a file without a required column fails with the column named, and its committed attempt stays invisible', async () => {
    const bucket = tempDir('warehouse-missing');
    const runDir = join(bucket, `processed/track_artists/extract_date=2026-11-16/run_id=${RUN_A.runId}/attempt_id=attempt-1`);
    mkdirSync(runDir, { recursive: true });
    const warehouse = await LocalWarehouse.open(':memory:');
    try {
      await warehouse.query(
        `COPY (SELECT 't1' AS track_id, 0 AS artist_position, '${RUN_A.runId}' AS run_id, DATE '2026-11-16' AS extract_date,
               TIMESTAMP '2026-11-16 06:00:00' AS extracted_at, 'attempt-1' AS attempt_id) TO '${runDir}/part-00000.parquet' (FORMAT parquet)`,
      );
      await writeCommitRecord(bucket, RUN_A, { track_artists: 1 });
      const report = await warehouse.loadProcessed(bucket);
      expect(report.skipped).toEqual([
        {
          table: 'track_artists',
          file: expect.any(String),
          reason: 'load failed: missing required column(s) artist_id (schemas/tables.json)',
        },
      ]);
      const results = await warehouse.runChecks({ runId: RUN_A.runId });
      expect(results.filter((r) => !r.passed).map((r) => [r.table, r.check, r.detail])).toEqual([
        ['committed_attempts', 'visible_attempt', `run ${RUN_A.runId} shows no attempt: no commit record loaded, or not all rows its commit lists`],
        ['track_artists', 'row_count', `0 rows loaded for run ${RUN_A.runId} attempt attempt-1; its commit record says 1`],
      ]);
    } finally {
      await warehouse.close();
    }
  });

  test("a TIMESTAMPTZ comes back as its UTC instant, whatever the machine's zone (the session is UTC)", async () => {
    const warehouse = await LocalWarehouse.open(':memory:');
    try {
      const { rows } = await warehouse.query(
        `SELECT TIMESTAMPTZ '2026-11-25 06:00:00.123+00' AS utc, TIMESTAMPTZ '2026-11-25 23:30:00-08' AS pacific`,
      );
      expect(rows).toEqual([['2026-11-25T06:00:00.123Z', '2026-11-26T07:30:00.000Z']]);
    } finally {
      await warehouse.close();
    }
  });

  test('clear errors for a missing processed folder and for an attempt without its run', async () => {
    const warehouse = await LocalWarehouse.open(':memory:');
    try {
      await expect(warehouse.loadProcessed(tempDir('empty'))).rejects.toThrow(/No processed\/ folder in .*Run the transform first/);
      await expect(warehouse.runChecks({ attemptId: 'a' })).rejects.toThrow(/pass runId/);
    } finally {
      await warehouse.close();
    }
  });
});

describe('attempts and commits: the views read only the latest committed attempt of each run', () => {
  let bucket: string;
  let warehouse: LocalWarehouse;
  const rerunB = () => {
    // Run B extracted again (a retried Lambda rewrote the run id) after Late Night Drive shrank to two tracks and
    // the short-term top list changed; transformed again as attempt-2.
    const data = structuredClone(DATA.B);
    data.playlist_tracks = data.playlist_tracks.filter((row) => row.playlist_id !== 'pl_night' || Number(row.position) < 2);
    data.playlist_snapshots = data.playlist_snapshots.map((row) => (row.playlist_id === 'pl_night' ? { ...row, items_total: 2, snapshot_id: 's5' } : row));
    data.user_top_items = [{ spotify_user_id: 'u_sam', item_type: 'track', time_range: 'short_term', rank: 1, item_id: 't4', item_name: 'Four' }];
    return data;
  };
  const chartOf = async (playlist: string) =>
    (await warehouse.query(`SELECT chart_rank, track_id FROM playlist_chart WHERE playlist_id = $1 AND chart_week = '2026-11-23' ORDER BY chart_rank`, [playlist])).rows;

  beforeEach(async () => {
    bucket = tempDir('warehouse-attempts');
    await writeRun(bucket, 'A');
    await writeRun(bucket, 'B');
    warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
    await warehouse.loadProcessed(bucket);
  });
  afterEach(async () => {
    await warehouse.close();
  });

  test('a run id re-extracted with changed content and reloaded shows only the new content everywhere', async () => {
    expect(await chartOf('pl_night')).toEqual([[1, 't4'], [2, 't6'], [3, 't1'], [4, null]]);
    await writeRun(bucket, 'B', { attemptId: 'attempt-2', data: rerunB(), committedAt: '2026-11-23T07:00:00Z' });

    const report = await warehouse.loadProcessed(bucket);

    expect(report.loaded.map((f) => f.table).sort()).toEqual([...TABLES.map((t) => t.name)].sort());
    expect(await chartOf('pl_night')).toEqual([[1, 't4'], [2, 't6']]);
    const [[rows]] = (await warehouse.query(`SELECT COUNT(*) FROM committed_playlist_tracks WHERE run_id = $1`, [RUN_B.runId])).rows;
    expect(rows).toBe(3 + 2); // not the 7 of attempt-1 plus the 5 of attempt-2
    // Per listener: Late Night Drive is Mira's, and Sam's too (he collaborates on it).
    expect((await warehouse.runAnalysis('explicit_share')).rows).toEqual([
      ['Late Night Drive', 2, 1, 50, 'u_mira', 'Mira'],
      ['Late Night Drive', 2, 1, 50, 'u_sam', 'sam'],
      ['Morning Mix', 3, 1, 33.3, 'u_sam', 'sam'],
    ]);
    expect((await warehouse.runAnalysis('my_top_tracks_now')).rows.filter((r) => r[0] === 'u_sam' && r[2] === 'short_term')).toEqual([['u_sam', 'sam', 'short_term', 1, 'Four', 'Cy']]);
    const top = await warehouse.query(
      `SELECT time_range, rank, item_id, run_id FROM current_top_items WHERE item_type = 'track' AND spotify_user_id = 'u_sam' ORDER BY time_range, rank`,
    );
    // Attempt-2 has no long-term list, so run B has none now; medium-term still comes from run A.
    expect(top.rows).toEqual([
      ['medium_term', 1, 't3', RUN_A.runId],
      ['short_term', 1, 't4', RUN_B.runId],
    ]);
    // The drop-outs of this week are measured against last week, from the new attempt only.
    const drops = (await warehouse.runAnalysis('drop_outs_and_movers_this_week')).rows.filter((r) => r[0] === 'Late Night Drive' && r[2] === 'drop_out' && r[7] === 'u_mira');
    expect(drops.map((r) => r[3])).toEqual(['One (Remastered)']);
    expect((await warehouse.runChecks({ runId: RUN_B.runId, attemptId: 'attempt-2' })).filter((r) => !r.passed)).toEqual([]);
    expect(await warehouse.visibleAttempts()).toEqual([
      { runId: RUN_B.runId, attemptId: 'attempt-2', extractDate: '2026-11-23', committedAt: '2026-11-23T07:00:00.000Z' },
      { runId: RUN_A.runId, attemptId: 'attempt-1', extractDate: '2026-11-16', committedAt: '2026-11-16T06:00:00.000Z' },
    ]);
  });

  test('a publish that died before its commit record is invisible', async () => {
    const before = Object.fromEntries(await Promise.all(Object.keys(EXPECTED).map(async (name) => [name, await warehouse.runAnalysis(name)] as const)));
    // Some tables of attempt-2 made it to processed/, the rest and the commit record never did.
    const partial = rerunB();
    await writeRun(bucket, 'B', { attemptId: 'attempt-2', data: { playlist_tracks: partial.playlist_tracks, user_top_items: partial.user_top_items }, commit: false });

    const report = await warehouse.loadProcessed(bucket);

    expect(report.loaded.map((f) => f.table).sort()).toEqual(['playlist_tracks', 'user_top_items']);
    for (const name of Object.keys(EXPECTED)) expect(await warehouse.runAnalysis(name)).toEqual(before[name]);
    expect(await chartOf('pl_night')).toEqual([[1, 't4'], [2, 't6'], [3, 't1'], [4, null]]);
    expect((await warehouse.runChecks({ runId: RUN_B.runId, attemptId: 'attempt-1' })).filter((r) => !r.passed)).toEqual([]);
  });

  test('a commit loaded before its data files (pipes load in any order) shows the attempt only once all its rows are in', async () => {
    const data = rerunB();
    const keys = await writeRun(bucket, 'B', { attemptId: 'attempt-2', data, committedAt: '2026-11-23T07:00:00Z' });
    // Hold back the playlist_tracks file: Snowpipe has not loaded it yet.
    const held = keys.find((k) => k.startsWith('processed/playlist_tracks/'))!;
    const parked = join(bucket, 'parked.parquet');
    renameSync(join(bucket, held), parked);
    await warehouse.loadProcessed(bucket);

    expect(await chartOf('pl_night')).toEqual([[1, 't4'], [2, 't6'], [3, 't1'], [4, null]]);
    const failed = (await warehouse.runChecks({ runId: RUN_B.runId, attemptId: 'attempt-2' })).filter((r) => !r.passed);
    expect(failed.map((r) => [r.table, r.check, r.detail])).toEqual([
      ['committed_attempts', 'visible_attempt', `run ${RUN_B.runId} shows attempt attempt-1, not attempt-2: the newer commit is not loaded yet, or not all of its rows`],
      ['playlist_tracks', 'row_count', `0 rows loaded for run ${RUN_B.runId} attempt attempt-2; its commit record says 5`],
    ]);

    renameSync(parked, join(bucket, held));
    await warehouse.loadProcessed(bucket);
    expect(await chartOf('pl_night')).toEqual([[1, 't4'], [2, 't6']]);
    expect((await warehouse.runChecks({ runId: RUN_B.runId, attemptId: 'attempt-2' })).filter((r) => !r.passed)).toEqual([]);
  });

  test('an emptied playlist has its week, with every track dropped out', async () => {
    const data = rerunB();
    data.playlist_tracks = data.playlist_tracks.filter((row) => row.playlist_id !== 'pl_night');
    data.playlist_snapshots = data.playlist_snapshots.map((row) => (row.playlist_id === 'pl_night' ? { ...row, items_total: 0 } : row));
    await writeRun(bucket, 'B', { attemptId: 'attempt-2', data, committedAt: '2026-11-23T07:00:00Z' });
    await warehouse.loadProcessed(bucket);
    expect(await chartOf('pl_night')).toEqual([]);
    const { rows } = await warehouse.query(
      `SELECT COUNT(*) FROM current_playlist_items WHERE playlist_id = 'pl_night'`,
    );
    expect(rows).toEqual([[0]]);
    // Mira's playlist (the answer is per listener: Sam, who collaborates on it, has the same rows).
    const drops = (await warehouse.runAnalysis('drop_outs_and_movers_this_week')).rows.filter((r) => r[0] === 'Late Night Drive' && r[7] === 'u_mira');
    expect(drops.map((r) => [r[2], r[3]])).toEqual([['drop_out', 'Four'], ['drop_out', 'One (Remastered)']]);
  });
});
