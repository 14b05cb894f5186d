/**
 * `pipeline transform --run-id <id>`: (re)process one raw run on local Spark, e.g. after a failed transform or after
 * the run was extracted again. Each transform is a new attempt under keys of its own; once loaded, its commit record
 * makes it the attempt every view shows for the run, in place of the earlier one.
 *
 * `pipeline transform --pending`: every complete raw run (with its manifest) that has no committed transform yet,
 * oldest first: what plays runs polled on a timer (`pipeline extract --plays`) leave behind.
 */
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/pipeline-config';
import { runTransformBatch, TransformError, type TransformResult } from '../../local/spark/run-transform';
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

/** Complete raw runs (a manifest) without a committed transform (processed/transform_commits/.../run_id=<id>/), oldest first. */
export function pendingRuns(bucketDir: string): Array<{ runId: string; prefix: string }> {
  const raw = join(bucketDir, 'raw');
  const commits = join(bucketDir, 'processed', 'transform_commits');
  const pending: Array<{ runId: string; prefix: string }> = [];
  for (const date of existsSync(raw) ? readdirSync(raw).filter((d) => d.startsWith('extract_date=')).sort() : []) {
    for (const run of readdirSync(join(raw, date)).filter((r) => r.startsWith('run_id=')).sort()) {
      const prefix = `raw/${date}/${run}/`;
      if (!existsSync(join(bucketDir, prefix, '_manifest.json'))) continue; // incomplete: nothing downstream reads it
      const committed = join(commits, date, run);
      if (existsSync(committed) && readdirSync(committed).some((a) => a.startsWith('attempt_id='))) continue;
      pending.push({ runId: run.slice('run_id='.length), prefix });
    }
  }
  return pending.sort((a, b) => a.runId.localeCompare(b.runId));
}

export function register(program: Command): void {
  program
    .command('transform')
    .description('Process one raw run (that has a manifest) into processed/ with the Glue script on local Spark')
    .option('--run-id <id>', 'the run id, as in raw/extract_date=.../run_id=<id>/')
    .option('--pending', 'every complete raw run not transformed yet (e.g. plays runs polled on a timer), oldest first')
    .action(async (options: { runId?: string; pending?: boolean }) => {
      const config = loadConfig(program.opts().env);
      const bucketDir = resolve(config.local.bucketDir);
      if (Boolean(options.runId) === Boolean(options.pending)) throw new Error('pass --run-id <id> or --pending (one of them)');
      const runs = options.pending ? pendingRuns(bucketDir) : [{ runId: options.runId!, prefix: findRawRunPrefix(bucketDir, options.runId!) }];
      if (runs.length === 0) {
        process.stdout.write('No raw run is waiting for its transform.\n');
        return;
      }
      for (const run of runs) process.stdout.write(`Transforming ${run.prefix} on local Spark...\n`);
      // All of them in one job run (one Spark start-up), each its own attempt, as the daily plays batch on Glue.
      try {
        const results = await runTransformBatch({ bucketDir, runs: runs.map((r) => ({ runId: r.runId, rawRunPrefix: r.prefix })), sparkMaster: config.glue.localSparkMaster });
        for (const result of results) printResult(result);
      } catch (error) {
        if (error instanceof TransformError) for (const result of error.completed) printResult(result);
        throw error;
      }
    });
}

function printResult(result: TransformResult): void {
  if (result.run_id) process.stdout.write(`Run ${result.run_id}\n`);
  const issues = Object.entries(result.paging_issues ?? {}).map(([p, codes]) => `  ! playlist ${p}: item pages disagree (${codes})\n`);
  const superseded = result.superseded_attempts?.superseded ?? [];
  process.stdout.write(
    formatTable(['table', 'rows', 'files'], Object.entries(result.tables).map(([t, v]) => [t, v.rows, v.files])) +
      `\n${result.rejects} rejects, ${result.seconds.toFixed(1)} s\n${issues.join('')}` +
      `Committed attempt ${result.attempt_id}${superseded.length ? `; it replaces attempt(s) ${superseded.join(', ')}` : ''}. ` +
      'Run `pipeline load` to load it into the local warehouse.\n',
  );
}
