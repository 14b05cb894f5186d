/**
 * Gathers the health view's parts per target:
 * - local: the local bucket folder (manifests, commits), the local warehouse (loaded runs, checks) and the local
 *   secrets (when each listener authorised);
 * - aws: the bucket in S3, the listeners' secret in Secrets Manager and the CloudWatch alarms in ALARM;
 * - snowflake: what the warehouse shows per listener (snowflake-sql/health/listener_freshness.sql), the checks and
 *   the pipes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QueryResult } from '../../warehouse/results';
import type { ListenerStages } from './listener-stages';
import { listenersSeen, listenerStages } from './listener-stages';
import { DEFAULT_LISTENER_NAME } from '../../config/listeners';
import type { RunManifest } from '../../handlers/shared/manifest';

function seenOr(manifests: readonly RunManifest[]): string[] {
  const seen = listenersSeen(manifests);
  return seen.length > 0 ? seen : [DEFAULT_LISTENER_NAME];
}
import { readRecentRuns, windowStart, type BucketListing } from './bucket-listing';

const LISTENER_FRESHNESS_SQL = join(__dirname, '..', '..', 'snowflake-sql', 'health', 'listener_freshness.sql');

/**
 * Per listener and stage from the bucket; `loadedRuns` from a warehouse when the target has one. `listeners`: the
 * configured ones, or null when none are configured: then those the runs name (the embedded fake's sample
 * listeners locally, or the implicit `me`).
 */
export async function bucketStages(
  bucket: BucketListing,
  listeners: readonly string[] | null,
  now: Date,
  days: number,
  loadedRuns: ReadonlySet<string> | null,
) {
  const runs = await readRecentRuns(bucket, windowStart(now, days));
  return {
    listeners: listenerStages(listeners ?? seenOr(runs.manifests), runs.manifests, new Set(runs.committedRuns.keys()), loadedRuns),
    unreadable: runs.unreadable,
  };
}

/** Runs whose commit record the warehouse has loaded: the runs its views show. */
export async function loadedRunIds(query: (sql: string) => Promise<QueryResult>): Promise<Set<string>> {
  const result = await query('SELECT DISTINCT run_id FROM transform_commits');
  return new Set(result.rows.map(([runId]) => String(runId)));
}

function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const at = value instanceof Date ? value : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(String(value)) ? String(value) : `${String(value).replace(' ', 'T')}Z`);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/**
 * Per listener, what the warehouse shows (Snowflake target): a listener's weekly data and plays that are loaded
 * and committed mean every stage before worked; the load stage is the newer of the two.
 */
export async function warehouseStages(query: (sql: string) => Promise<QueryResult>, configured: readonly string[]): Promise<ListenerStages[]> {
  const result = await query(readFileSync(LISTENER_FRESHNESS_SQL, 'utf8'));
  const at = (row: unknown[], column: string) => isoOrNull(row[result.columns.findIndex((c) => c.toLowerCase() === column)]);
  const byName = new Map(result.rows.map((row) => [String(row[result.columns.findIndex((c) => c.toLowerCase() === 'listener_name')]), row]));
  return [...new Set([...configured, ...byName.keys()])].map((listener) => {
    const row = byName.get(listener);
    const weekly = row ? at(row, 'last_weekly_at') : null;
    const plays = row ? at(row, 'last_plays_at') : null;
    const load = [weekly, plays].filter((v): v is string => v !== null).sort().pop() ?? null;
    return {
      listener,
      spotifyUserId: row ? String(row[result.columns.findIndex((c) => c.toLowerCase() === 'spotify_user_id')]) : null,
      stages: [
        { stage: 'weekly extract' as const, lastSuccess: weekly, runId: null },
        { stage: 'plays poll' as const, lastSuccess: plays, runId: null },
        { stage: 'load' as const, lastSuccess: load, runId: null },
      ],
      lastPlayAt: row ? at(row, 'last_play_at') : null,
      gaps: [],
    };
  });
}
