/**
 * `pipeline transform --run-id <id>`: (re)process one raw run on local Spark, e.g. after a failed transform or after
 * the run was extracted again. Each transform is a new attempt under keys of its own; once loaded, its commit record
 * makes it the attempt every view shows for the run, in place of the earlier one.
 */
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/pipeline-config';
import { runTransform } from '../../local/spark/run-transform';
import { formatTable } from '../format';

/** Finds raw/extract_date=*\/run_id=<id>/ in the local bucket folder. */
export function findRawRunPrefix(bucketDir: string, runId: string): string {
  const raw = join(bucketDir, 'raw');
  const dates = existsSync(raw) ? readdirSync(raw).filter((d) => d.startsWith('extract_date=')) : [];
  for (const date of dates) {
    const prefix = `raw/${date}/run_id=${runId}/`;
    if (existsSync(join(bucketDir, prefix))) return prefix;
  }
  throw new Error(`no raw run ${runId} under ${raw}. List the runs with: ls ${raw}/*/`);
}

export function register(program: Command): void {
  program
    .command('transform')
    .description('Process one raw run (that has a manifest) into processed/ with the Glue script on local Spark')
    .requiredOption('--run-id <id>', 'the run id, as in raw/extract_date=.../run_id=<id>/')
    .action(async (options: { runId: string }) => {
      const config = loadConfig(program.opts().env);
      const bucketDir = resolve(config.local.bucketDir);
      const prefix = findRawRunPrefix(bucketDir, options.runId);
      process.stdout.write(`Transforming ${prefix} on local Spark...\n`);
      const result = await runTransform({ bucketDir, rawRunPrefix: prefix, runId: options.runId, sparkMaster: config.glue.localSparkMaster });
      const issues = Object.entries(result.paging_issues ?? {}).map(([p, codes]) => `  ! playlist ${p}: item pages disagree (${codes})\n`);
      const superseded = result.superseded_attempts?.superseded ?? [];
      process.stdout.write(
        formatTable(['table', 'rows', 'files'], Object.entries(result.tables).map(([t, v]) => [t, v.rows, v.files])) +
          `\n${result.rejects} rejects, ${result.seconds.toFixed(1)} s\n${issues.join('')}` +
          `Committed attempt ${result.attempt_id}${superseded.length ? `; it replaces attempt(s) ${superseded.join(', ')}` : ''}. ` +
          'Run `pipeline load` to load it into the local warehouse.\n',
      );
    });
}
