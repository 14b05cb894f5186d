/**
 * The run manifest and the raw key layout, exactly as docs/data-contracts.md describes them.
 * Everything that builds or parses a raw key goes through this file so the layout lives in one place.
 */

export const RUN_ID_PATTERN = /^[0-9]{8}T[0-9]{6}Z-[0-9a-z]{6}$/;
export const MANIFEST_FILE = '_manifest.json';
export const TOP_ITEM_TYPES = ['tracks', 'artists'] as const;
export type TopItemType = (typeof TOP_ITEM_TYPES)[number];
export type TimeRange = 'short_term' | 'medium_term' | 'long_term';

export interface ManifestObject {
  key: string;
  kind: 'playlist' | 'top';
  /** Playlist id, or `<type>_<time_range>` for a top list. */
  entity_id: string;
  bytes: number;
  sha256: string;
  items: number;
  pages: number;
}

export interface ManifestError {
  kind: 'playlist' | 'top' | 'my_playlists';
  entity_id: string;
  /** null when there was no HTTP answer (timeout, connection reset). */
  http_status: number | null;
  message: string;
}

/** Why a run stopped before everything asked for was extracted. */
export interface StoppedEarly {
  reason: 'quota_exceeded' | 'retry_after_beyond_budget' | 'time_budget_exhausted';
  message: string;
  /** The Retry-After Spotify asked for, when that was the cause. */
  retry_after_seconds: number | null;
}

export interface ManifestCounts {
  playlists: number;
  playlist_items: number;
  top_lists: number;
  top_items: number;
  /** Every HTTP request to the Web API (retries included); token requests are counted apart. */
  api_calls: number;
  token_calls: number;
  retries: number;
  rate_limited: number;
}

export interface RunManifest {
  manifest_version: 1;
  run_id: string;
  extract_date: string;
  started_at: string;
  finished_at: string;
  status: 'complete' | 'partial';
  stopped_early: StoppedEarly | null;
  source: { api_base_url: string; auth_mode: 'user' | 'client-credentials' };
  objects: ManifestObject[];
  counts: ManifestCounts;
  errors: ManifestError[];
}

export function assertRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new Error(
      `run id "${runId}" does not match ${RUN_ID_PATTERN} (UTC start time then a 6-character suffix, ` +
        'e.g. 20261125T060000Z-a1b2c3). Use newRunId() to make one.',
    );
  }
}

/** `YYYY-MM-DD` of a date, in UTC. */
export function extractDateOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** `raw/extract_date=YYYY-MM-DD/run_id=<RUN_ID>/` (with the trailing slash). */
export function runPrefix(runId: string, extractDate: string): string {
  assertRunId(runId);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(extractDate)) {
    throw new Error(`extract date "${extractDate}" must be YYYY-MM-DD`);
  }
  return `raw/extract_date=${extractDate}/run_id=${runId}/`;
}

export function manifestKey(runId: string, extractDate: string): string {
  return `${runPrefix(runId, extractDate)}${MANIFEST_FILE}`;
}

export function playlistKey(runId: string, extractDate: string, playlistId: string): string {
  return `${runPrefix(runId, extractDate)}playlists/${playlistId}.json`;
}

export function topKey(runId: string, extractDate: string, itemType: TopItemType, timeRange: TimeRange): string {
  return `${runPrefix(runId, extractDate)}top/${itemType}_${timeRange}.json`;
}

/** Parses a manifest key back into its parts; null when the key is not a run manifest. */
export function parseManifestKey(key: string): { extractDate: string; runId: string; prefix: string } | null {
  const match = /^raw\/extract_date=(\d{4}-\d{2}-\d{2})\/run_id=([^/]+)\/_manifest\.json$/.exec(key);
  if (!match || !RUN_ID_PATTERN.test(match[2])) return null;
  return { extractDate: match[1], runId: match[2], prefix: `raw/extract_date=${match[1]}/run_id=${match[2]}/` };
}
