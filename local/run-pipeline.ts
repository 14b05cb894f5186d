/**
 * The local run: the whole pipeline on one machine, with the same code as in AWS.
 *
 *   Spotify (real API, or the embedded fake on loopback)
 *     -> the extract Lambda's handler -> <bucketDir>/raw/.../_manifest.json (written last)
 *     -> Glue script on local Spark  -> <bucketDir>/processed/<table>/...
 *     -> DuckDB with Snowpipe's rules (each file once) -> data-quality checks -> analysis SQL
 *
 * The stages are one ordered list. The CLI shows them with a progress display; tests and benchmarks call
 * runLocalPipeline(), which walks the same list.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PipelineConfig } from '../config/pipeline-config';
import { listeningCaveat, newRunId } from '../handlers/extract/extract-run';
import { parseManifestKey, runIdStartedAt, type RunManifest } from '../handlers/shared/manifest';
import { runSummary } from '../handlers/shared/run-summary';
import { extractLocally } from './local-extract';
import type { ImportPlan } from '../cli/import-run';
import { writeSampleImport } from './sample-import';
import { runTransformBatch, type TransformResult } from './spark/run-transform';
import { openSpotifySource, type SpotifySource, type SpotifySourceMode } from './spotify-source';
import { LocalWarehouse, type CheckResult, type LoadReport } from './warehouse/local-warehouse';

export interface LocalRunOptions {
  config: PipelineConfig;
  spotify?: SpotifySourceMode;
  apiBaseUrl?: string;
  accountsBaseUrl?: string;
  /** Where Spotify credentials are read from (SPOTIFY_CLIENT_ID, ...); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Rows of each analysis kept for the report. */
  analysisRows?: number;
  now?: () => Date;
  /** With the fake Spotify, also import the sample listener's synthetic two-year export (`pipeline run` does). */
  sampleExport?: boolean;
}

export interface AnalysisPreview {
  name: string;
  question: string;
  columns: string[];
  rows: unknown[][];
}

export interface LocalRunContext {
  options: LocalRunOptions;
  bucketDir: string;
  warehouseFile: string;
  runId: string;
  startedAt: Date;
  source?: SpotifySource;
  manifest?: RunManifest;
  manifestKey?: string;
  rawPrefix?: string;
  transform?: TransformResult;
  /** The sample export's import (local/sample-import.ts), transformed in the same job run as the extract. */
  sampleImport?: ImportPlan;
  sampleImportTransform?: TransformResult;
  load?: LoadReport;
  checks?: CheckResult[];
  analyses?: AnalysisPreview[];
  seconds: Record<string, number>;
}

/** A failure that names the stage, the cause and what to do about it. */
export class StageError extends Error {
  constructor(
    readonly stage: string,
    readonly causeMessage: string,
    readonly hint: string,
    readonly detail?: string,
  ) {
    super(`${stage} failed: ${causeMessage}\n  what to do: ${hint}`);
    this.name = 'StageError';
  }
}

export interface Stage {
  id: 'source' | 'extract' | 'transform' | 'load' | 'check' | 'analyse';
  title: string;
  run(ctx: LocalRunContext, progress: (message: string) => void): Promise<string>;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const STAGES: Stage[] = [
  {
    id: 'source',
    title: 'Spotify source',
    async run(ctx) {
      try {
        ctx.source = await openSpotifySource(ctx.options.config, {
          mode: ctx.options.spotify ?? 'auto',
          apiBaseUrl: ctx.options.apiBaseUrl,
          accountsBaseUrl: ctx.options.accountsBaseUrl,
          env: ctx.options.env,
          asOf: ctx.startedAt,
        });
      } catch (error) {
        throw new StageError(
          'source',
          errorMessage(error),
          'run `pipeline authorize` to store Spotify credentials, or use `--spotify fake` for the embedded sample catalog',
        );
      }
      return ctx.source.describe;
    },
  },
  {
    id: 'extract',
    title: 'Extract (Spotify -> raw/)',
    async run(ctx, progress) {
      const { config } = ctx.options;
      const source = ctx.source!;
      let playlists = 0;
      let items = 0;
      try {
        const result = await extractLocally({
          config,
          source,
          bucketDir: ctx.bucketDir,
          runId: ctx.runId,
          onProgress: (event) => {
            if (event.type === 'playlist-done') {
              playlists += 1;
              items += event.items;
              progress(`${playlists} playlists, ${items} items: ${event.name ?? event.playlistId}`);
            } else if (event.type === 'top-done') {
              progress(`${event.listener}: top ${event.itemType} (${event.timeRange}): ${event.items}`);
            } else if (event.type === 'listening-done') {
              progress(`${event.listener}: ${event.items} ${event.kind.replace('_', ' ')}${listeningCaveat(event)}`);
            }
          },
        });
        ctx.manifest = result.manifest;
        ctx.manifestKey = result.manifestKey;
        ctx.rawPrefix = parseManifestKey(result.manifestKey)!.prefix;
      } catch (error) {
        throw new StageError(
          'extract',
          errorMessage(error),
          `check that the Spotify server at ${source.apiBaseUrl} is up and the credentials are valid, then run again: ` +
            'no manifest was written, so nothing downstream will read this incomplete run',
        );
      }
      if (ctx.options.sampleExport && source.kind === 'fake') {
        progress('writing the sample listening history export');
        ctx.sampleImport = (await writeSampleImport(ctx.bucketDir, config, ctx.startedAt)) ?? undefined;
      }
      const m = ctx.manifest;
      const imported = ctx.sampleImport ? `; sample export: ${ctx.sampleImport.manifest.counts.streams} streams of ${ctx.sampleImport.manifest.listener}` : '';
      return runSummary({ counts: m.counts, errors: m.errors.length, status: m.status, mode: m.mode, stoppedEarly: m.stopped_early }) + imported;
    },
  },
  {
    id: 'transform',
    title: 'Transform (Glue script on local Spark -> processed/)',
    async run(ctx, progress) {
      progress('starting Spark');
      try {
        const sample = ctx.sampleImport ? [{ runId: ctx.sampleImport.runId, rawRunPrefix: ctx.sampleImport.prefix }] : [];
        // The sample import, if any, in the same job run (one Spark start-up), as its own attempt.
        [ctx.transform, ctx.sampleImportTransform] = await runTransformBatch({
          bucketDir: ctx.bucketDir,
          runs: [{ runId: ctx.runId, rawRunPrefix: ctx.rawPrefix! }, ...sample],
          sparkMaster: ctx.options.config.glue.localSparkMaster,
          onLog: (line) => {
            // The job's own progress lines: `transform [  11.20s] staged playlist_snapshots`.
            const step = /^transform \[\s*[\d.]+s\] (.*)$/.exec(line);
            if (step) progress(step[1]);
          },
        });
      } catch (error) {
        throw new StageError(
          'transform',
          errorMessage(error),
          'read the job output above; the raw run is intact and nothing was published to processed/, so ' +
            '`pipeline transform --run-id ' + ctx.runId + '` (or the next run) can process it again',
          (error as { stderrTail?: string }).stderrTail,
        );
      }
      const rows = Object.values(ctx.transform.tables).reduce((sum, t) => sum + t.rows, 0);
      const sample = ctx.sampleImportTransform ? `; sample export: ${ctx.sampleImportTransform.tables.streams?.rows ?? 0} streams` : '';
      return `${Object.keys(ctx.transform.tables).length} tables, ${rows} rows, ${ctx.transform.rejects} rejects${sample}`;
    },
  },
  {
    id: 'load',
    title: 'Load (processed/ -> local warehouse, Snowpipe rules)',
    async run(ctx) {
      ctx.load = await loadStage(ctx.warehouseFile, ctx.bucketDir);
      return describeLoad(ctx.load);
    },
  },
  {
    id: 'check',
    title: 'Data quality checks',
    async run(ctx) {
      ctx.checks = await checkStage(ctx.warehouseFile, { runId: ctx.runId, attemptId: ctx.transform?.attempt_id });
      return `${ctx.checks.length} checks passed`;
    },
  },
  {
    id: 'analyse',
    title: 'Analyses (snowflake-sql/analysis)',
    async run(ctx) {
      const warehouse = await LocalWarehouse.open(ctx.warehouseFile);
      try {
        ctx.analyses = [];
        for (const analysis of warehouse.listAnalyses()) {
          const result = await warehouse.runAnalysis(analysis.name, { limit: ctx.options.analysisRows ?? 5 });
          ctx.analyses.push({ name: analysis.name, question: analysis.question, columns: result.columns, rows: result.rows });
        }
      } finally {
        await warehouse.close();
      }
      return `${ctx.analyses.length} analyses`;
    },
  },
];

/**
 * The load stage, alone (`pipeline load`) or in the run: every processed file not loaded before goes into the
 * local warehouse, with Snowpipe's rules. Throws StageError.
 */
export async function loadStage(warehouseFile: string, bucketDir: string): Promise<LoadReport> {
  const warehouse = await openWarehouseForStage('load', warehouseFile);
  try {
    return await warehouse.loadProcessed(bucketDir);
  } catch (error) {
    throw new StageError(
      'load',
      errorMessage(error),
      'files already loaded stay loaded; fix the cause and run again: the loader loads each file once',
    );
  } finally {
    await warehouse.close();
  }
}

export function describeLoad(load: LoadReport): string {
  const rows = load.loaded.reduce((sum, f) => sum + f.rows, 0);
  const already = load.skipped.filter((f) => f.reason.startsWith('already loaded')).length;
  const other = load.skipped.length - already;
  return `${load.loaded.length} files loaded (${rows} rows), ${already} already loaded${other ? `, ${other} not loaded (see below)` : ''}`;
}

/**
 * The check stage, alone (`pipeline check`) or in the run: the data-quality checks for one run (and the attempt
 * that must be the visible one) or for every run. Throws StageError naming every failed check.
 */
export async function checkStage(warehouseFile: string, opts: { runId?: string; attemptId?: string } = {}): Promise<CheckResult[]> {
  const warehouse = await openWarehouseForStage('check', warehouseFile);
  let checks: CheckResult[];
  try {
    checks = await warehouse.runChecks(opts);
  } finally {
    await warehouse.close();
  }
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    throw new CheckFailures(checks, failed);
  }
  return checks;
}

/** The checks failed: the message names each; `checks` holds them all for the report. */
export class CheckFailures extends StageError {
  constructor(
    readonly checks: CheckResult[],
    failed: CheckResult[],
  ) {
    super(
      'check',
      failed.map((c) => `${c.table}: ${c.check} (${c.detail})`).join('; '),
      'the data is loaded but fails the checks above; inspect it with `pipeline query` / `pipeline status` before trusting the analyses',
    );
  }
}

async function openWarehouseForStage(stage: string, warehouseFile: string): Promise<LocalWarehouse> {
  try {
    return await LocalWarehouse.open(warehouseFile);
  } catch (error) {
    throw new StageError(stage, errorMessage(error), 'close the other program that holds the warehouse file, then run again');
  }
}

export function newLocalRunContext(options: LocalRunOptions): LocalRunContext {
  const runId = newRunId((options.now ?? (() => new Date()))());
  const bucketDir = resolve(options.config.local.bucketDir);
  mkdirSync(bucketDir, { recursive: true });
  return {
    options,
    bucketDir,
    warehouseFile: resolve(options.config.local.warehouseFile),
    runId,
    // The extract handler takes a run's start from its id (whole seconds): the fake's week and the report agree.
    startedAt: runIdStartedAt(runId),
    seconds: {},
  };
}

export async function runStage(stage: Stage, ctx: LocalRunContext, progress: (message: string) => void = () => {}) {
  const started = performance.now();
  try {
    return await stage.run(ctx, progress);
  } catch (error) {
    if (error instanceof CheckFailures) ctx.checks = error.checks;
    throw error;
  } finally {
    ctx.seconds[stage.id] = (performance.now() - started) / 1000;
  }
}

/** Closes what the run opened (the embedded fake Spotify server). */
export async function closeLocalRun(ctx: LocalRunContext): Promise<void> {
  await ctx.source?.close();
}

/** Runs every stage in order without a progress display; throws StageError on the first failure. */
export async function runLocalPipeline(
  options: LocalRunOptions,
  onStage?: (stage: Stage, summary: string) => void,
): Promise<LocalRunContext> {
  const ctx = newLocalRunContext(options);
  try {
    for (const stage of STAGES) {
      const summary = await runStage(stage, ctx);
      onStage?.(stage, summary);
    }
    return ctx;
  } finally {
    await closeLocalRun(ctx);
  }
}
