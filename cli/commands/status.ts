/**
 * `pipeline status --target local|aws|snowflake`: the one health view. Per listener and stage the last success
 * (weekly extract, plays poll, transform, load), each listener's refresh-token days left, failing checks, the
 * pipes' state and the alarms in ALARM, then the problems to act on, each with what to do. Beside it, what is
 * loaded per table and whether loading is healthy: on Snowflake the pipes and recent COPY_HISTORY errors, locally
 * the files the loader could not load. `--strict` exits 1 when there is a problem (for a cron or CI job).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig, pollsPlays, type PipelineConfig } from '../../config/pipeline-config';
import { openWarehouse } from '../warehouse-target';
import { pipeErrorRouting } from '../snowflake-pipe-errors';
import { formatStatus } from '../health/format-status';
import { DEFAULT_THRESHOLDS, healthReport, type HealthInput, type HealthReport, type HealthThresholds } from '../health/health-report';
import { LocalBucketListing } from '../health/bucket-listing';
import { bucketStages, loadedRunIds, warehouseStages } from '../health/gather';
import { awsHealth } from '../health/aws-health';
import { localTokens } from '../health/token-health';
import { reauthorizeCommand } from '../../handlers/shared/token-lifetime';

export type StatusTarget = 'local' | 'aws' | 'snowflake';

export function parseStatusTarget(value: string): StatusTarget {
  if (value !== 'local' && value !== 'aws' && value !== 'snowflake') throw new Error(`--target must be local, aws or snowflake (got "${value}")`);
  return value;
}

interface StatusOptions {
  target: string;
  format: string;
  sinceHours: string;
  days: string;
  strict?: boolean;
}

/** The deployed alarms' thresholds for this configuration (`freshness`): plays are only expected when they are polled. */
export function thresholdsFor(config: PipelineConfig): HealthThresholds {
  return {
    ...DEFAULT_THRESHOLDS,
    weeklyMaxAgeHours: config.freshness.weeklyCommitHours,
    playsMaxAgeHours: pollsPlays(config) ? config.freshness.playsSilentHours : null,
  };
}

function parseOptions(options: StatusOptions) {
  if (!['table', 'json'].includes(options.format)) throw new Error(`--format must be table or json (got "${options.format}")`);
  const sinceHours = Number(options.sinceHours);
  if (!(sinceHours > 0 && sinceHours <= 14 * 24)) {
    throw new Error(`--since-hours must be between 1 and 336 (COPY_HISTORY keeps 14 days); got "${options.sinceHours}"`);
  }
  const days = Number(options.days);
  if (!(Number.isInteger(days) && days >= 1 && days <= 366)) throw new Error(`--days must be a whole number of days from 1 to 366 (got "${options.days}")`);
  return { target: parseStatusTarget(options.target), sinceHours, days };
}

export function register(program: Command): void {
  program
    .command('status')
    .description('The health view: per listener and stage the last success, token days left, checks, pipes, alarms; rows per table')
    .option('--target <target>', 'local (bucket folder + DuckDB), aws (S3, secrets, alarms) or snowflake (the deployed warehouse)', 'local')
    .option('--format <format>', 'table or json', 'table')
    .option('--since-hours <h>', 'how far back to look for COPY errors (Snowflake keeps 14 days)', '168')
    .option('--days <n>', 'how many days of runs to read from the bucket', '14')
    .option('--strict', 'exit with status 1 when there is a problem to act on')
    .action(async (options: StatusOptions) => {
      const { target, sinceHours, days } = parseOptions(options);
      const config = loadConfig(program.opts().env);
      const now = new Date();
      // Configured listeners; none configured: those the runs name (the fake's sample listeners, or `me`).
      const listeners = config.spotify.listeners.length > 0 ? config.spotify.listeners.map((l) => l.name) : null;
      const base = { now, authorizeCommand: reauthorizeCommand, thresholds: thresholdsFor(config), checks: null, pipes: null, alarms: null, tokens: null, unreadable: [] };
      let report: Record<string, unknown> & { health: HealthReport; target: StatusTarget; where: string };
      if (target === 'aws') {
        const gathered = await awsHealth(config, listeners, now, days);
        report = { target, where: gathered.where, health: healthReport({ ...base, target, ...gathered }) };
      } else {
        const opened = await openWarehouse(config, target);
        try {
          const tables = await opened.warehouse.tableStatus();
          const query = (sql: string) => opened.warehouse.query(sql);
          if (opened.target === 'snowflake') {
            const { settings } = opened.warehouse;
            const where = `${settings.account} ${settings.database}.${settings.schema}`;
            const pipes = await opened.warehouse.pipeStatus();
            const input: HealthInput = { ...base, target, where, pipes, checks: await opened.warehouse.runChecks(), listeners: await warehouseStages(query, config.spotify.listeners.map((l) => l.name)) };
            report = {
              target, where, tables, pipes,
              errorRouting: await pipeErrorRouting(query, settings.database, settings.schema),
              copyErrors: await opened.warehouse.copyErrors(sinceHours),
              health: healthReport(input),
            };
          } else {
            const bucket = new LocalBucketListing(resolve(config.local.bucketDir));
            const stages = await bucketStages(bucket, listeners, now, days, await loadedRunIds(query));
            const checks = await opened.warehouse.runChecks();
            const tokens = localTokens(config, now);
            const input: HealthInput = { ...base, target, where: opened.warehouse.file, checks, tokens, ...stages };
            report = { target, where: opened.warehouse.file, tables, failedFiles: await opened.warehouse.loadFailures(), health: healthReport(input) };
          }
        } finally {
          await opened.warehouse.close();
        }
      }
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report, sinceHours)}\n`);
      if (options.strict && report.health.problems.length > 0) process.exitCode = 1;
    });
}
