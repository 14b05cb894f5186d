/**
 * Builds the dashboard tests' warehouses with the pipeline's own loader (LocalWarehouse), from the two weekly runs
 * of __tests__/warehouse/fixture-data.ts, whose analysis answers are worked out by hand there. Writing them with the
 * Node DuckDB API, as `make run` does, also proves that the dashboard's Python DuckDB reads what the pipeline writes.
 *
 *   npx tsx dashboard/tests/build-fixture-warehouse.ts <kind>=<out.duckdb> ...
 *
 * kinds: full (every table of the fixture runs), playlists (without the listening tables), empty (tables and
 * views, no rows: a warehouse opened before anything was loaded). One process builds them all: tsx starts once.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { writeProcessedParquet } from '../../local/warehouse/parquet-writer';
import { DATA, RUN_A, RUN_B, tempDir } from '../../__tests__/warehouse/fixture-data';

/** The tables of the listening history (listening-data contract); the playlist tables are everything else. */
const LISTENING_TABLES = new Set(['plays', 'saved_tracks', 'followed_artists', 'listener_profiles']);
const KINDS = ['full', 'playlists', 'empty'] as const;
type Kind = (typeof KINDS)[number];

async function build(kind: Kind, out: string): Promise<void> {
  const warehouse = await LocalWarehouse.open(out);
  const bucket = tempDir('dashboard-fixture');
  try {
    if (kind === 'empty') return;
    for (const [run, meta] of [['A', RUN_A], ['B', RUN_B]] as const) {
      for (const [table, rows] of Object.entries(DATA[run])) {
        if (kind === 'playlists' && LISTENING_TABLES.has(table)) continue;
        await writeProcessedParquet(bucket, table, meta, rows);
      }
    }
    const report = await warehouse.loadProcessed(bucket);
    const failed = report.skipped.filter((s) => s.reason.startsWith('load failed'));
    if (report.loaded.length === 0 || failed.length > 0) {
      throw new Error(`the fixture runs did not load: ${JSON.stringify(failed)}`);
    }
  } finally {
    rmSync(join(bucket), { recursive: true, force: true });
    await warehouse.close();
  }
}

async function main(): Promise<void> {
  const targets = process.argv.slice(2).map((arg) => {
    const [kind, out] = arg.split(/=(.*)/s);
    if (!KINDS.includes(kind as Kind) || !out) throw new Error(`usage: build-fixture-warehouse.ts <${KINDS.join('|')}>=<out.duckdb> ...`);
    return { kind: kind as Kind, out };
  });
  if (targets.length === 0) throw new Error(`usage: build-fixture-warehouse.ts <${KINDS.join('|')}>=<out.duckdb> ...`);
  for (const { kind, out } of targets) await build(kind, out);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
