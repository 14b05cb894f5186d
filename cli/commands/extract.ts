/**
 * `pipeline extract`: the extract stage alone, through the extract Lambda's own handler as `pipeline run` extracts
 * (local/local-extract.ts), with the local bucket folder and the local Spotify credentials (or the embedded fake). A
 * new run by default; with `--run-id` the same run again: it resumes from the run's checkpoint and fetches only what
 * is missing, or, when the run already has its manifest, reports it and changes nothing. `--plays` polls the
 * listeners' plays alone (what the frequent schedule runs; run it on a timer to keep collecting plays locally).
 *
 * stdout carries only the manifest key (for scripts: `key=$(npm run -s pipeline -- extract)`); progress, the
 * summary and errors go to stderr.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/pipeline-config';
import { listeningCaveat, newRunId, type ExtractProgressEvent, type MinimalLogger } from '../../handlers/extract/extract-run';
import type { ExtractHandlerResult, ExtractLogger } from '../../handlers/extract/index';
import { RUN_ID_PATTERN, runIdStartedAt } from '../../handlers/shared/manifest';
import { amount, plural, runSummary } from '../../handlers/shared/run-summary';
import { describeLifetime } from '../../handlers/shared/token-lifetime';
import { extractLocally } from '../../local/local-extract';
import { openSpotifySource, type SpotifySourceMode } from '../../local/spotify-source';
import { listeningDocumentOf } from '../../schemas/raw-documents';
import { parseAsOf } from './run';

interface ExtractCommandOptions {
  runId?: string;
  plays?: boolean;
  spotify: SpotifySourceMode;
  asOf?: string;
  spotifyApiBaseUrl?: string;
  spotifyAccountsBaseUrl?: string;
  verbose?: boolean;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Warnings and errors as plain lines (with --verbose everything); the handler's structured details on one line. */
function cliLogger(verbose: boolean): ExtractLogger {
  const line = (level: string) => (message: string, ...extra: Array<Record<string, unknown>>) => {
    const details = extra.map((e) => JSON.stringify(e, (_k, v) => (v instanceof Error ? v.message : v))).join(' ');
    say(`  ${level}: ${message}${details ? ` ${details}` : ''}`);
  };
  const quiet = () => {};
  const logger: MinimalLogger = {
    debug: verbose ? line('debug') : quiet,
    info: verbose ? line('info') : quiet,
    warn: verbose ? line('warning') : quiet,
    error: line('error'),
  };
  return { ...logger, appendKeys: () => {}, addContext: () => {} };
}

/** The line `pipeline extract` prints for a progress event (null: nothing to say). */
export function progressLine(event: ExtractProgressEvent): string | null {
  switch (event.type) {
    case 'resumed':
      return `Resuming: attempt ${event.attempt}; ${event.entitiesDone} playlists and top lists were finished before`;
    case 'playlist-done':
      return `  playlist ${event.name ?? event.playlistId}: ${plural(event.items, 'item')}${event.reused ? ' (unchanged since its last complete fetch: no item pages)' : ` (${plural(event.pages, 'page')})`}`;
    case 'playlist-failed':
      return `  playlist ${event.playlistId}: not extracted (${event.httpStatus === null ? 'no HTTP answer' : `HTTP ${event.httpStatus}`}: ${event.message})`;
    case 'top-done':
      return `  ${event.listener}: top ${event.itemType} (${event.timeRange}): ${event.items}`;
    case 'top-failed':
      return `  ${event.listener}: top ${event.itemType} (${event.timeRange}): not extracted (${event.message})`;
    case 'listening-done':
      return `  ${event.listener}: ${amount(event.items, listeningDocumentOf(event.kind).noun)}${listeningCaveat(event)}`;
    case 'listening-failed':
      return `  ${event.listener}: ${event.kind.replace('_', ' ')} not extracted (${event.httpStatus === null ? 'no HTTP answer' : `HTTP ${event.httpStatus}`}: ${event.message})`;
    case 'listener-failed':
      return `  ${event.listener}: not extracted (${event.message})`;
    case 'stopped-early':
      return `Stopped early: ${event.stoppedEarly.message}`;
    default:
      return null;
  }
}

function summary(result: ExtractHandlerResult, plays: boolean): string {
  const c = result.counts;
  const stoppedEarly = result.stopReason ? { reason: result.stopReason } : null;
  const run = runSummary({ counts: c, errors: result.errors, status: result.status, mode: plays ? 'plays' : 'full', stoppedEarly });
  if (plays) return `Polled ${run} in ${plural(c.api_calls, 'API call')} and ${plural(c.token_calls, 'token call')}`;
  return (
    `Extracted ${run} in ${plural(c.api_calls, 'API call')} (${plural(c.item_page_calls, 'playlist item page')}) ` +
    `and ${plural(c.token_calls, 'token call')}` +
    (result.resumed ? ', over all attempts' : '')
  );
}

export function register(program: Command): void {
  program
    .command('extract')
    .description("Extract from Spotify into raw/ (the extract Lambda's code path) and print the manifest key; --run-id resumes a run")
    .option('--run-id <id>', 'run this run id: resume it from its checkpoint, or report it when it already has its manifest')
    .option('--plays', "poll the listeners' plays alone (what the hourly schedule runs); run it on a timer to keep collecting plays")
    .option('--spotify <mode>', 'auto (real API if credentials exist, else the embedded fake), fake or real', 'auto')
    .option('--as-of <date>', 'a new run as if it were this date (YYYY-MM-DD): its run id, extract date and, with the fake, that week')
    .option('--spotify-api-base-url <url>', 'use this Spotify-compatible API instead of the configured one')
    .option('--spotify-accounts-base-url <url>', 'use this accounts (token) server instead of the configured one')
    .option('--verbose', 'also print the extract log (retries, rate limits, token renewals)')
    .action(async (options: ExtractCommandOptions) => {
      if (!['auto', 'fake', 'real'].includes(options.spotify)) throw new Error(`--spotify must be auto, fake or real (got "${options.spotify}")`);
      if (options.runId && !RUN_ID_PATTERN.test(options.runId)) {
        throw new Error(`--run-id "${options.runId}" is not a run id (e.g. 20261125T060000Z-a1b2c3); list runs with: ls .local/bucket/raw/*/`);
      }
      if (options.runId && options.asOf) throw new Error('--as-of is for a new run: a run id carries its own start time');
      const config = loadConfig(program.opts().env);
      const startedAt = options.runId ? runIdStartedAt(options.runId) : options.asOf ? parseAsOf(options.asOf) : new Date();
      const runId = options.runId ?? newRunId(startedAt, undefined, { plays: Boolean(options.plays) });
      const bucketDir = resolve(config.local.bucketDir);
      const source = await openSpotifySource(config, {
        mode: options.spotify,
        apiBaseUrl: options.spotifyApiBaseUrl,
        accountsBaseUrl: options.spotifyAccountsBaseUrl,
        asOf: startedAt,
      });
      say(`Extract run ${runId} (${config.environment} configuration) from ${source.describe}`);
      try {
        let result: ExtractHandlerResult;
        try {
          result = await extractLocally({
            config,
            source,
            bucketDir,
            runId,
            mode: options.plays ? 'plays' : 'full',
            logger: cliLogger(Boolean(options.verbose)),
            onProgress: (event) => {
              const line = progressLine(event);
              if (line) say(line);
            },
          });
        } catch (error) {
          throw new Error(`${(error as Error).message}\n(raw files under ${bucketDir}/raw/)`, { cause: error });
        }
        say(result.alreadyComplete ? `Run ${runId} already has its manifest: nothing was extracted.` : summary(result, Boolean(options.plays)));
        for (const gap of result.playsGaps ?? []) say(`  ! ${gap.message}`);
        // Each listener's refresh token lifetime: six months from their authorisation, however often it is refreshed.
        for (const lifetime of result.tokens ?? []) say(`  ${!lifetime.known || lifetime.warn ? '!' : 'token'} ${describeLifetime(lifetime)}`);
        say(`manifest  ${resolve(bucketDir, result.manifestKey)}`);
        process.stdout.write(`${result.manifestKey}\n`);
      } finally {
        await source.close();
      }
    });
}
