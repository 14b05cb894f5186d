/**
 * `pipeline check [--run-id ID]`: the data-quality checks alone, on the local warehouse: for one run or every
 * run, the commit records against the rows loaded, keys unique and not null in the visible attempts, one current
 * row per entity, one chart row per position. Exits non-zero when a check fails, naming each.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/pipeline-config';
import { CheckFailures, checkStage } from '../../local/run-pipeline';
import type { CheckResult } from '../../local/warehouse/local-warehouse';
import { formatTable } from '../format';

export function register(program: Command): void {
  program
    .command('check')
    .description('Run the data-quality checks on the local warehouse, for one run (--run-id) or all runs')
    .option('--run-id <id>', 'check this run (and that it shows its latest committed attempt)')
    .option('--attempt-id <id>', 'with --run-id: the attempt the run must show (e.g. the one just transformed)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options: { runId?: string; attemptId?: string; format: string }) => {
      if (!['table', 'json'].includes(options.format)) throw new Error(`--format must be table or json (got "${options.format}")`);
      if (options.attemptId && !options.runId) throw new Error('--attempt-id needs --run-id: an attempt belongs to one run');
      const config = loadConfig(program.opts().env);
      const warehouseFile = resolve(config.local.warehouseFile);
      let checks: CheckResult[];
      let failure: CheckFailures | undefined;
      try {
        checks = await checkStage(warehouseFile, { runId: options.runId, attemptId: options.attemptId });
      } catch (error) {
        if (!(error instanceof CheckFailures)) throw error;
        failure = error;
        checks = error.checks;
      }
      const failed = checks.filter((c) => !c.passed);
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify({ warehouseFile, runId: options.runId ?? null, checks }, null, 2)}\n`);
      } else {
        const scope = options.runId ? `run ${options.runId}` : 'all runs';
        process.stdout.write(
          `${formatTable(['table', 'check', 'result', 'detail'], checks.map((c) => [c.table, c.check, c.passed ? 'ok' : 'FAILED', c.detail]), '', 100)}\n` +
            `\n${checks.length - failed.length} passed, ${failed.length} failed (${scope})\n`,
        );
      }
      if (failure) throw new Error(failure.message);
    });
}
