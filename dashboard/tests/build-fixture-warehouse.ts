/**
 * Builds the dashboard tests' warehouse with the pipeline's own loader (LocalWarehouse): the two weekly runs of
 * __tests__/warehouse/fixture-data.ts, whose analysis answers are worked out by hand there. Writing it with the
 * Node DuckDB API, as `make run` does, also proves the dashboard's Python DuckDB reads what the pipeline writes.
 *
 *   npx tsx dashboard/tests/build-fixture-warehouse.ts <out.duckdb> [--empty]
 *
 * --empty: tables and views, no rows (a warehouse opened before anything was loaded).
 */
import { rmSync } from 'node:fs';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { tempDir, writeRun } from '../../__tests__/warehouse/fixture-data';

async function main(): Promise<void> {
  const [out, flag] = process.argv.slice(2);
  if (!out) throw new Error('usage: build-fixture-warehouse.ts <out.duckdb> [--empty]');
  const warehouse = await LocalWarehouse.open(out);
  try {
    if (flag !== '--empty') {
      const bucket = tempDir('dashboard-fixture');
      try {
        await writeRun(bucket, 'A');
        await writeRun(bucket, 'B');
        const report = await warehouse.loadProcessed(bucket);
        if (report.loaded.length === 0) throw new Error('the fixture runs loaded nothing');
      } finally {
        rmSync(bucket, { recursive: true, force: true });
      }
    }
  } finally {
    await warehouse.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
