/**
 * `pipeline run`: the whole pipeline on this machine, with a progress line per stage and a report at the end.
 */
import type { Command } from 'commander';
import { Listr } from 'listr2';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../config/pipeline-config';
import { STAGES, StageError, closeLocalRun, newLocalRunContext, runStage } from '../../local/run-pipeline';
import type { SpotifySourceMode } from '../../local/spotify-source';
import { formatRunReport } from '../report';

interface RunCommandOptions {
  spotify: SpotifySourceMode;
  spotifyApiBaseUrl?: string;
  spotifyAccountsBaseUrl?: string;
  rows: string;
  reportJson?: string;
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
      });
      const summaries: Record<string, string> = {};
      process.stdout.write(`Local run ${ctx.runId} (${config.environment} configuration)\n`);
      const tasks = new Listr(
        STAGES.map((stage) => ({
          title: stage.title,
          task: async (_ctx: unknown, task: { output: string; title: string }) => {
            summaries[stage.id] = await runStage(stage, ctx, (message) => {
              task.output = message;
            });
            task.title = `${stage.title}: ${summaries[stage.id]}`;
          },
        })),
        { exitOnError: true, rendererOptions: { collapseErrors: false } },
      );
      try {
        await tasks.run();
      } catch (error) {
        if (error instanceof StageError) {
          const detail = error.detail ? `\n--- last lines of the job's output ---\n${error.detail}\n---` : '';
          throw new Error(`${error.message}${detail}`);
        }
        throw error;
      } finally {
        await closeLocalRun(ctx);
      }
      process.stdout.write(formatRunReport(ctx, summaries));
      if (options.reportJson) {
        const { options: _omit, source, ...rest } = ctx;
        writeFileSync(
          options.reportJson,
          JSON.stringify({ ...rest, source: source?.describe, summaries }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2),
        );
      }
    });
}
