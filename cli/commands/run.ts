/**
 * `pipeline run`: the whole pipeline on this machine, with a progress line per stage and a report at the end: the
 * composition of the stages that also run alone (`pipeline extract`, `transform --run-id`, `load`, `check`).
 */
import type { Command } from 'commander';
import { Listr } from 'listr2';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../config/pipeline-config';
import { STAGES, StageError, closeLocalRun, newLocalRunContext, runStage } from '../../local/run-pipeline';
import type { SpotifySourceMode } from '../../local/spotify-source';
import { oneLine } from '../format';
import { formatRunReport } from '../report';

interface RunCommandOptions {
  spotify: SpotifySourceMode;
  spotifyApiBaseUrl?: string;
  spotifyAccountsBaseUrl?: string;
  rows: string;
  reportJson?: string;
  asOf?: string;
}

/** `--as-of 2026-11-16` (06:00 UTC, the schedule's hour) or a full ISO timestamp. */
export function parseAsOf(value: string): Date {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T06:00:00Z` : value;
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new Error(`--as-of must be a date (YYYY-MM-DD) or an ISO timestamp (got "${value}")`);
  }
  return date;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Run the whole pipeline locally: extract, transform on local Spark, load into DuckDB, check, analyse')
    .option('--spotify <mode>', 'auto (real API if credentials exist, else the embedded fake), fake or real', 'auto')
    .option('--spotify-api-base-url <url>', 'use this Spotify-compatible API instead of the configured one')
    .option('--spotify-accounts-base-url <url>', 'use this accounts (token) server instead of the configured one')
    .option('--rows <n>', 'rows of each analysis to show in the report', '5')
    .option('--report-json <file>', 'also write the run report as JSON to this file')
    .option('--as-of <date>', "run as if it were this date (YYYY-MM-DD): the run id, the extract date and, with the fake, that week's playlists")
    .action(async (options: RunCommandOptions) => {
      if (!['auto', 'fake', 'real'].includes(options.spotify)) {
        throw new Error(`--spotify must be auto, fake or real (got "${options.spotify}")`);
      }
      const config = loadConfig(program.opts().env);
      const ctx = newLocalRunContext({
        config,
        spotify: options.spotify,
        apiBaseUrl: options.spotifyApiBaseUrl,
        accountsBaseUrl: options.spotifyAccountsBaseUrl,
        analysisRows: Number(options.rows),
        // With the fake: the sample listener's two-year export too, so the warehouse holds a lifetime at once.
        sampleExport: true,
        now: options.asOf ? (() => { const at = parseAsOf(options.asOf!); return () => at; })() : undefined,
      });
      const summaries: Record<string, string> = {};
      process.stdout.write(`Local run ${ctx.runId} (${config.environment} configuration)\n`);
      const tasks = new Listr(
        STAGES.map((stage) => ({
          title: stage.title,
          task: async (_ctx: unknown, task: { output: string; title: string }) => {
            // Names from Spotify go into these lines: one line each, or the display breaks apart.
            summaries[stage.id] = await runStage(stage, ctx, (message) => {
              task.output = oneLine(message);
            });
            task.title = oneLine(`${stage.title}: ${summaries[stage.id]}`);
          },
        })),
        { exitOnError: true, rendererOptions: { collapseErrors: false } },
      );
      let failure: unknown;
      try {
        await tasks.run();
      } catch (error) {
        failure = error;
      } finally {
        await closeLocalRun(ctx);
      }
      // The report comes out on failure too: it shows what the stages before the failure did (a failed
      // data-quality check lists each violation there).
      process.stdout.write(formatRunReport(ctx, summaries, failure instanceof StageError ? failure.stage : undefined));
      if (options.reportJson) {
        const { options: _omit, source, ...rest } = ctx;
        writeFileSync(
          options.reportJson,
          JSON.stringify({ ...rest, source: source?.describe, summaries, failedStage: failure instanceof StageError ? failure.stage : null }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2),
        );
      }
      if (failure instanceof StageError) {
        const detail = failure.detail ? `\n--- last lines of the job's output ---\n${failure.detail}\n---` : '';
        throw new Error(`${failure.message}${detail}`);
      }
      if (failure) throw failure;
    });
}
