/**
 * The soak's end-to-end sample: the runs of a few hours (around a listener's return after a dead token, so a
 * plays gap is among them) go through the real Glue job on local Spark and the local warehouse, with the two
 * faults the issue names: the transform's process is killed mid-write (SIGKILL after the second run wrote a table,
 * before its commit) and re-run, and every processed file is offered to the loader twice. What the warehouse then
 * shows must be exactly the raw plays of those runs: each once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunManifest } from '../../handlers/shared/manifest';
import { runPrefix } from '../../handlers/shared/manifest';
import { runTransformBatch, TransformError } from '../../local/spark/run-transform';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';

export interface SampleResult {
  runs: number;
  killedMidWrite: boolean;
  /** Files the second load offered again and the loader skipped (already loaded, same checksum). */
  skippedOnReload: number;
  rawPlays: number;
  warehousePlays: number;
  duplicates: number;
  missing: number;
}

export async function warehouseSample(bucketDir: string, runs: RunManifest[], rawPlays: Set<string>, userIds: Record<string, string>): Promise<SampleResult> {
  const batch = runs.map((m) => ({ runId: m.run_id, rawRunPrefix: runPrefix(m.run_id, m.extract_date) }));
  const abort = new AbortController();
  let killedMidWrite = false;
  try {
    await runTransformBatch({
      bucketDir,
      runs: batch,
      signal: abort.signal,
      onLog: (line) => {
        // The second run has written a table and not yet committed: kill the job, as a crash would.
        if (!killedMidWrite && line.includes(`run ${batch[1].runId}`)) killedMidWrite = true;
        else if (killedMidWrite && / wrote /.test(line)) abort.abort();
      },
    });
  } catch (error) {
    if (!(error instanceof TransformError) || !abort.signal.aborted) throw error;
  }
  if (!abort.signal.aborted) throw new Error('the transform finished before it could be killed mid-write');
  // Lambda's (here: the operator's) re-run of the whole batch: every run a new attempt, each committed.
  await runTransformBatch({ bucketDir, runs: batch });

  const warehouseFile = join(mkdtempSync(join(tmpdir(), 'soak-warehouse-')), 'warehouse.duckdb');
  const warehouse = await LocalWarehouse.open(warehouseFile);
  try {
    await warehouse.loadProcessed(bucketDir);
    const again = await warehouse.loadProcessed(bucketDir);
    const names = Object.fromEntries(Object.entries(userIds).map(([name, id]) => [id, name]));
    const result = await warehouse.query(
      `SELECT spotify_user_id, CAST(epoch_ms(played_at) AS BIGINT) AS at, COUNT(*) OVER (PARTITION BY spotify_user_id, played_at) AS n
       FROM current_plays WHERE run_id IN (${batch.map((r) => `'${r.runId}'`).join(', ')})`,
    );
    const seen = result.rows.map(([user, at]) => `${names[String(user)]}:${Number(at)}`);
    const expected = [...rawPlays];
    const seenSet = new Set(seen);
    return {
      runs: batch.length,
      killedMidWrite,
      skippedOnReload: again.skipped.length,
      rawPlays: expected.length,
      warehousePlays: seen.length,
      duplicates: seen.length - seenSet.size,
      missing: expected.filter((k) => !seenSet.has(k)).length,
    };
  } finally {
    await warehouse.close();
  }
}
