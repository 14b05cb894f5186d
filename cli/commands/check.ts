/**
 * `pipeline check [--run-id ID] [--target local|snowflake]`: the data-quality checks alone (snowflake-sql/checks/,
 * the same SQL on both warehouses): for one run or every run, the commit records against the rows loaded, keys
 * unique and not null in the visible attempts, one current row per entity, one chart row per position. On the local
 * warehouse, or on demand on the deployed Snowflake account (where an alert also runs them after each commit).
 * Exits non-zero when a check fails, naming each.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig, type PipelineConfig } from '../../config/pipeline-config';
import { CheckFailures, checkStage } from '../../local/run-pipeline';
import type { CheckResult } from '../../warehouse/checks';
import { formatTable } from '../format';
import { openWarehouse, parseTarget, type WarehouseTarget } from '../warehouse-target';

interface CheckOptions {
  runId?: string;
  attemptId?: string;
  format: string;
  target: string;
}

/** The checks on the chosen warehouse and where they ran; failed checks are results here, not an exception. */
async function runChecks(
  config: PipelineConfig,
  target: WarehouseTarget,
  opts: { runId?: string; attemptId?: string },
): Promise<{ checks: CheckResult[]; where: string; location: Record<string, string> }> {
  if (target === 'local') {
    const warehouseFile = resolve(config.local.warehouseFile);
    try {
      return { checks: await checkStage(warehouseFile, opts), where: '', location: { warehouseFile } };
    } catch (error) {
      if (!(error instanceof CheckFailures)) throw error;
      return { checks: error.checks, where: '', location: { warehouseFile } };
    }
  }
  const opened = await openWarehouse(config, 'snowflake');
  if (opened.target !== 'snowflake') throw new Error('openWarehouse answered another target than snowflake');
  try {
    const { account, database, schema } = opened.warehouse.settings;
    const checks = await opened.warehouse.runChecks(opts);
    return { checks, where: `, snowflake ${account} ${database}.${schema}`, location: { account, database, schema } };
  } finally {
    await opened.warehouse.close();
  }
}

export function register(program: Command): void {
  program
    .command('check')
    .description('Run the data-quality checks (snowflake-sql/checks/) on the local warehouse or Snowflake, for one run (--run-id) or all runs')
    .option('--run-id <id>', 'check this run (and that it shows its latest committed attempt)')
    .option('--attempt-id <id>', 'with --run-id: the attempt the run must show (e.g. the one just transformed)')
    .option('--target <target>', 'local (the DuckDB warehouse) or snowflake (the deployed account)', 'local')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options: CheckOptions) => {
      if (!['table', 'json'].includes(options.format)) throw new Error(`--format must be table or json (got "${options.format}")`);
      if (options.attemptId && !options.runId) throw new Error('--attempt-id needs --run-id: an attempt belongs to one run');
      const target = parseTarget(options.target);
      const config = loadConfig(program.opts().env);
      const { checks, where, location } = await runChecks(config, target, { runId: options.runId, attemptId: options.attemptId });
      const failed = checks.filter((c) => !c.passed);
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify({ target, ...location, runId: options.runId ?? null, checks }, null, 2)}\n`);
      } else {
        const scope = options.runId ? `run ${options.runId}` : 'all runs';
        process.stdout.write(
          `${formatTable(['table', 'check', 'result', 'detail'], checks.map((c) => [c.table, c.check, c.passed ? 'ok' : 'FAILED', c.detail]), '', 100)}\n` +
            `\n${checks.length - failed.length} passed, ${failed.length} failed (${scope}${where})\n`,
        );
      }
      if (failed.length > 0) throw new Error(new CheckFailures(checks, failed).message);
    });
}
