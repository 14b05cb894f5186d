/**
 * Builds the dashboard tests' warehouses (fixture-warehouse.ts) for the pytest suite, all in one process so that
 * tsx starts once:
 *
 *   npx tsx dashboard/tests/build-fixture-warehouse.ts <full|playlists|empty>=<out.duckdb> ...
 */
import { buildFixtureWarehouse, KINDS, type Kind } from './fixture-warehouse';

async function main(): Promise<void> {
  const targets = process.argv.slice(2).map((arg) => {
    const [kind, out] = arg.split(/=(.*)/s);
    if (!KINDS.includes(kind as Kind) || !out) throw new Error(`usage: build-fixture-warehouse.ts <${KINDS.join('|')}>=<out.duckdb> ...`);
    return { kind: kind as Kind, out };
  });
  if (targets.length === 0) throw new Error(`usage: build-fixture-warehouse.ts <${KINDS.join('|')}>=<out.duckdb> ...`);
  for (const { kind, out } of targets) await buildFixtureWarehouse(kind, out);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
