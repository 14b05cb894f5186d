/**
 * current_saved_tracks / current_followed_artists: each listener's latest COMPLETE library snapshot. A document read
 * to the end is recorded in library_snapshots (per listener, library and run, with its item count), so an empty
 * library read completely shows as empty; a run where the listener's document failed (no document, no
 * library_snapshots row) keeps the previous snapshot. Runs from before library_snapshots existed count by their rows.
 *
 * Runs A and B are fixture-data.ts's (each records the libraries it read to the end in library_snapshots).
 * Run C (2026-11-30): Sam unsaved every track (his saved-tracks document is complete, 0 items) and his follows
 * failed; Mira's saved tracks failed and she now follows ar1 only.
 */
import { join } from 'node:path';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { writeCommitRecord, writeProcessedParquet, type ProcessedRun } from '../../local/warehouse/parquet-writer';
import { tempDir, writeRun } from './fixture-data';

const RUN_C: ProcessedRun = { runId: '20261130T060000Z-cccccc', extractDate: '2026-11-30', extractedAt: '2026-11-30T06:00:00Z' };

const C: Record<string, Array<Record<string, unknown>>> = {
  saved_tracks: [],
  followed_artists: [{ spotify_user_id: 'u_mira', artist_id: 'ar1', artist_name: 'Ada L', position: 0 }],
  library_snapshots: [
    { spotify_user_id: 'u_sam', library: 'saved_tracks', items: 0, items_total: 0 },
    { spotify_user_id: 'u_mira', library: 'followed_artists', items: 1, items_total: 1 },
  ],
  listener_profiles: [
    { spotify_user_id: 'u_sam', listener_name: 'sam', display_name: 'Sam Ple' },
    { spotify_user_id: 'u_mira', listener_name: null, display_name: 'Mira' },
  ],
};

describe('the latest complete library snapshot of each listener', () => {
  let warehouse: LocalWarehouse;

  beforeAll(async () => {
    const bucket = tempDir('library-snapshots');
    await writeRun(bucket, 'A');
    await writeRun(bucket, 'B');
    // Run C as the Glue job writes it: files only for tables with rows, the commit record lists every table.
    for (const [table, rows] of Object.entries(C)) if (rows.length) await writeProcessedParquet(bucket, table, RUN_C, rows);
    await writeCommitRecord(bucket, RUN_C, Object.fromEntries(Object.entries(C).map(([t, rows]) => [t, rows.length])));
    warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
    await warehouse.loadProcessed(bucket);
  });
  afterAll(() => warehouse.close());

  test('an empty library read completely is empty; a failed read keeps the previous snapshot', async () => {
    expect((await warehouse.query(`SELECT run_id FROM committed_attempts ORDER BY 1`)).rows).toEqual([
      ['20261116T060000Z-aaaaaa'],
      ['20261123T060000Z-bbbbbb'],
      ['20261130T060000Z-cccccc'],
    ]);
    const saved = await warehouse.query(`SELECT spotify_user_id, track_id, run_id FROM current_saved_tracks ORDER BY 1, position`);
    expect(saved.rows).toEqual([
      ['u_mira', 't2', '20261123T060000Z-bbbbbb'], // her read failed in run C: run B's snapshot stays
      ['u_mira', 't4', '20261123T060000Z-bbbbbb'],
    ]); // Sam unsaved everything: nothing, not run B's four tracks
    const followed = await warehouse.query(`SELECT spotify_user_id, artist_id, run_id FROM current_followed_artists ORDER BY 1, position`);
    expect(followed.rows).toEqual([
      ['u_mira', 'ar1', '20261130T060000Z-cccccc'],
      ['u_sam', 'ar1', '20261123T060000Z-bbbbbb'], // his read failed in run C
      ['u_sam', 'ar3', '20261123T060000Z-bbbbbb'],
    ]);
  });

  test('the saved-but-not-played analysis follows the snapshot: nothing saved, nothing listed', async () => {
    const rows = (await warehouse.runAnalysis('saved_not_played_90_days')).rows;
    expect(rows.map((r) => [r[0], r[2]])).toEqual([['u_mira', 't2']]);
  });
});

test('a run transformed before library_snapshots existed is a snapshot of the libraries it has rows for', async () => {
  const bucket = tempDir('library-snapshots-old');
  await writeRun(bucket, 'A');
  // Run C in the older form: its commit record does not list library_snapshots; its rows are Mira's only.
  const old = { saved_tracks: [{ spotify_user_id: 'u_mira', track_id: 't5', position: 0 }] };
  await writeProcessedParquet(bucket, 'saved_tracks', RUN_C, old.saved_tracks);
  await writeCommitRecord(bucket, RUN_C, { saved_tracks: 1 });
  const warehouse = await LocalWarehouse.open(':memory:');
  try {
    await warehouse.loadProcessed(bucket);
    const saved = await warehouse.query(`SELECT spotify_user_id, track_id, run_id FROM current_saved_tracks ORDER BY 1, position`);
    expect(saved.rows).toEqual([
      ['u_mira', 't5', RUN_C.runId],
      ['u_sam', 't4', '20261116T060000Z-aaaaaa'], // nothing of Sam's in run C: not a snapshot of his library
      ['u_sam', 't3', '20261116T060000Z-aaaaaa'],
      ['u_sam', 't1', '20261116T060000Z-aaaaaa'],
    ]);
  } finally {
    await warehouse.close();
  }
});
