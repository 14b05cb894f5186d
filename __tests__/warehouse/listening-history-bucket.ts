/**
 * Writes the listening_history fixture bucket (the fixture runs A and B and the imports of fixture-streams.ts) to a
 * folder, for the Snowflake-dialect side of the comparison (snowflake-sql/tests/test_fakesnow_listening_history.py):
 *   npx tsx __tests__/warehouse/listening-history-bucket.ts --bucket <dir>
 */
import { writeRun } from './fixture-data';
import { writeImports } from './fixture-streams';

async function main(): Promise<void> {
  const at = process.argv.indexOf('--bucket');
  const bucket = at === -1 ? undefined : process.argv[at + 1];
  if (!bucket) throw new Error('usage: listening-history-bucket.ts --bucket <dir>');
  await writeRun(bucket, 'A');
  await writeRun(bucket, 'B');
  await writeImports(bucket);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
