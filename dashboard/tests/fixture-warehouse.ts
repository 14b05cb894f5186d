/**
 * The dashboard tests' warehouses, built with the pipeline's own loader (LocalWarehouse) from the two weekly runs of
 * __tests__/warehouse/fixture-data.ts, whose analysis answers are worked out by hand there. Writing them with the Node
 * DuckDB API, as `make run` does, also proves that the dashboard's Python DuckDB reads what the pipeline writes.
 *
 * kinds: full (every table of the fixture runs), playlists (without the listening tables), empty (tables and views,
 * no rows: a warehouse opened before anything was loaded).
 */
import { rmSync } from 'node:fs';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { writeCommitRecord, writeProcessedParquet } from '../../local/warehouse/parquet-writer';
import { DATA, RUN_A, RUN_B, tempDir } from '../../__tests__/warehouse/fixture-data';

/** The tables of the listening history (listening-data contract); the playlist tables are everything else. */
const LISTENING_TABLES = new Set(['plays', 'saved_tracks', 'followed_artists', 'listener_profiles']);
export const KINDS = ['full', 'playlists', 'empty'] as const;
export type Kind = (typeof KINDS)[number];

export async function buildFixtureWarehouse(kind: Kind, out: string): Promise<void> {
  const warehouse = await LocalWarehouse.open(out);
  const bucket = tempDir('dashboard-fixture');
  try {
    if (kind === 'empty') return;
    for (const [run, meta] of [['A', RUN_A], ['B', RUN_B]] as const) {
      const written: Record<string, number> = {};
      for (const [table, rows] of Object.entries(DATA[run])) {
        if (kind === 'playlists' && LISTENING_TABLES.has(table)) continue;
        await writeProcessedParquet(bucket, table, meta, rows);
        written[table] = rows.length;
      }
      // Last, as the Glue job does: the commit record that makes the run's attempt visible to the views.
      await writeCommitRecord(bucket, meta, written, meta.extractedAt);
    }
    const report = await warehouse.loadProcessed(bucket);
    const failed = report.skipped.filter((s) => s.reason.startsWith('load failed'));
    if (report.loaded.length === 0 || failed.length > 0) {
      throw new Error(`the fixture runs did not load: ${JSON.stringify(failed)}`);
    }
  } finally {
    rmSync(bucket, { recursive: true, force: true });
    await warehouse.close();
  }
}

