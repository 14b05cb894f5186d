/**
 * Helper of the Snowflake-dialect second opinion (snowflake-sql/tests/test_fakesnow.py), run with tsx:
 *
 *   npx tsx __tests__/warehouse/duckdb-answers.ts --bucket <dir> [--warehouse <file>]
 *
 * Prints one JSON document: the Snowflake statements the warehouse stack deploys (tables, each pipe's COPY, every
 * view qualified exactly as constructs/snowflake-view.ts qualifies it, every analysis, every data-quality check of
 * snowflake-sql/checks over all runs), and the answers of the
 * local DuckDB warehouse after loading the bucket folder: the rows of every view and analysis, the checks' results. The
 * pytest side runs the same statements through fakesnow on the same files and compares.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qualifyViewStatement } from '../../constructs/snowflake-view';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { TABLE_NAMES } from '../../schemas/table-schemas';
import { checksCondition, weeklyCommitCondition } from '../../warehouse/alerts';
import { checkStatements } from '../../warehouse/checks';
import { duckdbSpelling } from '../../local/warehouse/snowflake-on-duckdb';
import { snowflakeDeployment, viewDefinitions } from '../../warehouse/snowflake-sql';

const NAMES = { database: 'SPOTIFY', schema: 'RAW', stage: 'PROCESSED_STAGE', fileFormat: 'PARQUET_FORMAT' };

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const bucket = option('--bucket');
  if (!bucket) throw new Error('usage: duckdb-answers.ts --bucket <bucket folder> [--warehouse <file>]');
  const deployment = snowflakeDeployment(NAMES);
  const checkSql = checkStatements({ kind: 'all' }).map((c) => ({ check: c.check, subject: c.subject, sql: c.sql }));
  // The alerts' conditions, with a plain run scope and a fixed now (SNOWFLAKE.ALERT.* exists only in Snowflake).
  const alertSql = {
    checks: checksCondition('SELECT DISTINCT run_id FROM transform_commits'),
    weekly_commit: weeklyCommitCondition(24, "CAST('2030-01-01 00:00:00' AS TIMESTAMP)"),
  };
  const definitions = viewDefinitions();
  const views = definitions.map((definition) => {
    const { statement } = qualifyViewStatement(definition, NAMES, { tables: TABLE_NAMES, views: definitions.map((d) => d.name) });
    return { name: definition.name, sql: `CREATE OR REPLACE VIEW ${NAMES.database}.${NAMES.schema}.${definition.name.toUpperCase()} AS\n${statement}` };
  });

  const warehouse = await LocalWarehouse.open(option('--warehouse') ?? join(mkdtempSync(join(tmpdir(), 'duckdb-answers-')), 'warehouse.duckdb'));
  try {
    const load = await warehouse.loadProcessed(bucket);
    const viewRows: Record<string, unknown> = {};
    for (const view of definitions) viewRows[view.name] = await warehouse.query(`SELECT * FROM ${view.name}`);
    const analyses: Record<string, unknown> = {};
    for (const analysis of warehouse.listAnalyses()) analyses[analysis.name] = await warehouse.runAnalysis(analysis.name);
    const checks = await warehouse.runChecks();
    const alerts: Record<string, unknown> = {};
    for (const [name, sql] of Object.entries(alertSql)) alerts[name] = await warehouse.query(duckdbSpelling(sql));
    process.stdout.write(
      JSON.stringify({ names: NAMES, snowflake: { ...deployment, views, checks: checkSql, alerts: alertSql }, duckdb: { load, views: viewRows, analyses, checks, alerts } }),
    );
  } finally {
    await warehouse.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
