/**
 * `pipeline load`: the load stage alone. Loads every processed file in the local bucket folder that the local
 * warehouse has not loaded yet, with Snowpipe's rules (each file once; a failing file is recorded and skipped
 * until it changes), and says what it loaded, what it skipped and why, and which attempt each run now shows.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/pipeline-config';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { describeLoad, loadStage } from '../../local/run-pipeline';
import { formatTable } from '../format';

export function register(program: Command): void {
  program
    .command('load')
    .description('Load what is new in the bucket folder (processed/) into the local warehouse, with Snowpipe rules')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options: { format: string }) => {
      if (!['table', 'json'].includes(options.format)) throw new Error(`--format must be table or json (got "${options.format}")`);
      const config = loadConfig(program.opts().env);
      const bucketDir = resolve(config.local.bucketDir);
      const warehouseFile = resolve(config.local.warehouseFile);
      const report = await loadStage(warehouseFile, bucketDir);
      const warehouse = await LocalWarehouse.open(warehouseFile);
      let visible;
      try {
        visible = await warehouse.visibleAttempts();
      } finally {
        await warehouse.close();
      }
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify({ bucketDir, warehouseFile, ...report, visible }, null, 2)}\n`);
        return;
      }
      const out = [`Loaded ${bucketDir}/processed into ${warehouseFile}: ${describeLoad(report)}`];
      if (report.loaded.length > 0) {
        out.push('', formatTable(['table', 'file', 'rows'], report.loaded.map((f) => [f.table, f.file, f.rows]), '  ', 160));
      }
      const notLoaded = report.skipped.filter((f) => !f.reason.startsWith('already loaded'));
      if (notLoaded.length > 0) {
        out.push('', 'Not loaded', formatTable(['table', 'file', 'why'], notLoaded.map((f) => [f.table, f.file, f.reason]), '  ', 160));
      }
      out.push(
        '',
        'Runs the views show (the latest committed attempt of each run whose rows are all loaded)',
        visible.length === 0
          ? '  none yet: no commit record is loaded (transform a run, then load)'
          : formatTable(['run', 'attempt', 'extract date', 'committed at'], visible.map((v) => [v.runId, v.attemptId, v.extractDate, v.committedAt])),
      );
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
