/**
 * `pipeline import` on this machine: the export's files into the local bucket folder (imports/..., manifest last),
 * the same Glue script on local Spark, and the loader, exactly as `pipeline run` does for an extract run. The
 * import's rejects (file and reason) and the listener's listening_history come back for the report.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planImport, writeImport, type ImportPlan } from '../cli/import-run';
import type { SpotifyExport } from '../cli/spotify-export';
import { LocalFolderWriter } from '../handlers/shared/raw-writer';
import { runTransform, type TransformResult } from './spark/run-transform';
import { LocalWarehouse, type LoadReport } from './warehouse/local-warehouse';

export interface LocalImportResult {
  plan: ImportPlan;
  /** The same files were imported and transformed before: nothing was written or transformed again. */
  alreadyImported: boolean;
  transform: TransformResult | null;
  load: LoadReport;
  /** Each rejected stream or file: the file, where in it, and why. */
  rejects: Array<{ file: string; locator: string; reason: string }>;
  /** The listener's listening_history after the load, by source. */
  history: { export: number; poll: number };
}

export interface LocalImportOptions {
  bucketDir: string;
  warehouseFile: string;
  listener: string;
  exported: SpotifyExport;
  sparkMaster?: string;
  /** Transform the import again even when it is committed already (a new attempt replaces the old). */
  again?: boolean;
  onProgress?: (message: string) => void;
}

/** Whether the import's run has a committed transform in the local bucket. */
function committed(bucketDir: string, plan: ImportPlan): boolean {
  const dir = join(bucketDir, 'processed', 'transform_commits', `extract_date=${plan.extractDate}`, `run_id=${plan.runId}`);
  return existsSync(dir) && readdirSync(dir).some((name) => name.startsWith('attempt_id='));
}

function readRejects(bucketDir: string, rejectsPath: string | null | undefined): LocalImportResult['rejects'] {
  if (!rejectsPath) return [];
  // The job names folders as URIs (file:///...); locally they are folders of this machine.
  const path = rejectsPath.startsWith('file:') ? fileURLToPath(rejectsPath) : rejectsPath;
  const dir = path.startsWith('/') ? path : join(bucketDir, path);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter((line) => line.trim()))
    .map((line) => JSON.parse(line) as { object_key: string; locator: string; reason: string })
    .map((r) => ({ file: r.object_key.split('/').pop()!, locator: r.locator, reason: r.reason }));
}

export async function importLocally(options: LocalImportOptions): Promise<LocalImportResult> {
  const progress = options.onProgress ?? (() => {});
  const plan = planImport(options.listener, options.exported);
  progress(`import ${plan.runId}: ${plan.files.length} files, ${plan.manifest.counts.streams} streams`);
  const write = await writeImport(new LocalFolderWriter(options.bucketDir), plan);
  const skip = write.alreadyImported && committed(options.bucketDir, plan) && !options.again;
  let transform: TransformResult | null = null;
  if (!skip) {
    progress('transforming on local Spark');
    transform = await runTransform({ bucketDir: options.bucketDir, rawRunPrefix: plan.prefix, runId: plan.runId, sparkMaster: options.sparkMaster });
  }
  const warehouse = await LocalWarehouse.open(options.warehouseFile);
  try {
    const load = await warehouse.loadProcessed(options.bucketDir);
    const rows = await warehouse.query(
      `SELECT h.source, COUNT(*) FROM listening_history AS h
       WHERE h.spotify_user_id IN (SELECT spotify_user_id FROM listeners WHERE listener_name = '${plan.manifest.listener}') OR h.spotify_user_id = '${plan.manifest.listener}'
       GROUP BY h.source`,
    );
    const by = Object.fromEntries(rows.rows.map(([source, n]) => [String(source), Number(n)]));
    return {
      plan,
      alreadyImported: skip,
      transform,
      load,
      rejects: readRejects(options.bucketDir, transform?.rejects_path as string | null | undefined),
      history: { export: by.export ?? 0, poll: by.poll ?? 0 },
    };
  } finally {
    await warehouse.close();
  }
}
