/**
 * `pipeline status`: what is loaded, per table (rows, files, last load), and whether loading is healthy: on
 * Snowflake the pipes' status and recent COPY_HISTORY errors, locally the files the loader could not load.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/pipeline-config';
import { openWarehouse, parseTarget } from '../warehouse-target';
import { formatTable } from '../format';
import { pipeErrorRouting } from '../snowflake-pipe-errors';

export function register(program: Command): void {
  program
    .command('status')
    .description('Show rows and last load per table, and pipe health (Snowflake) or failed files (local)')
    .option('--target <target>', 'local (the DuckDB warehouse) or snowflake (the deployed account)', 'local')
    .option('--format <format>', 'table or json', 'table')
    .option('--since-hours <h>', 'how far back to look for COPY errors (Snowflake keeps 14 days)', '168')
    .action(async (options: { target: string; format: string; sinceHours: string }) => {
      if (!['table', 'json'].includes(options.format)) throw new Error(`--format must be table or json (got "${options.format}")`);
      const sinceHours = Number(options.sinceHours);
      if (!(sinceHours > 0 && sinceHours <= 14 * 24)) {
        throw new Error(`--since-hours must be between 1 and 336 (COPY_HISTORY keeps 14 days); got "${options.sinceHours}"`);
      }
      const config = loadConfig(program.opts().env);
      const opened = await openWarehouse(config, parseTarget(options.target));
      try {
        const tables = await opened.warehouse.tableStatus();
        const report =
          opened.target === 'snowflake'
            ? {
                target: 'snowflake' as const,
                where: `${opened.warehouse.settings.account} ${opened.warehouse.settings.database}.${opened.warehouse.settings.schema}`,
                tables,
                pipes: await opened.warehouse.pipeStatus(),
                errorRouting: await pipeErrorRouting(
                  (sql) => opened.warehouse.query(sql),
                  opened.warehouse.settings.database,
                  opened.warehouse.settings.schema,
                ),
                copyErrors: await opened.warehouse.copyErrors(sinceHours),
              }
            : { target: 'local' as const, where: opened.warehouse.file, tables, failedFiles: await opened.warehouse.loadFailures() };
        if (options.format === 'json') {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const out: string[] = [`Warehouse (${report.target}): ${report.where}`, ''];
        out.push(formatTable(['table', 'rows', 'files', 'last loaded'], tables.map((t) => [t.table, t.rows, t.files, t.lastLoadedAt])));
        if (report.target === 'snowflake') {
          out.push('', 'Pipes');
          const routing = new Map(report.errorRouting.map((r) => [r.pipe, r]));
          out.push(
            formatTable(
              ['pipe', 'state', 'pending', 'last ingested', 'error', 'load errors to'],
              report.pipes.map((p) => [p.pipe, p.executionState, p.pendingFileCount, p.lastIngestedAt, p.error, routing.get(p.pipe)?.errorIntegration ?? 'nowhere']),
            ),
          );
          const silent = report.errorRouting.filter((r) => !r.errorIntegration);
          if (silent.length > 0) {
            out.push(
              '',
              `warning: ${silent.length} pipe(s) report load errors nowhere (no ERROR_INTEGRATION): ${silent.map((r) => r.pipe).join(', ')}. ` +
                'A file that fails to load only shows below. Deploy the warehouse stack again (`pipeline deploy --stacks warehouse`).',
            );
          }
          out.push('', `COPY errors in the last ${sinceHours} h`);
          out.push(
            report.copyErrors.length === 0
              ? '  none'
              : formatTable(
                  ['table', 'file', 'status', 'at', 'first error'],
                  report.copyErrors.map((e) => [e.table, e.file, e.status, e.lastLoadTime, e.firstError]),
                ),
          );
        } else {
          out.push('', 'Files that failed to load (not retried until they change)');
          out.push(
            report.failedFiles.length === 0
              ? '  none'
              : formatTable(['table', 'file', 'at', 'error'], report.failedFiles.map((f) => [f.table, f.file, f.failedAt, f.error])),
          );
        }
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        await opened.warehouse.close();
      }
    });
}
