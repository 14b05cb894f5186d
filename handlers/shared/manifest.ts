/**
 * The run manifest and the raw key layout, exactly as docs/data-contracts.md describes them, built from their one
 * declaration: schemas/raw-documents.json (the Glue job reads the same file). Everything that builds or parses a raw
 * key goes through this file or schemas/raw-documents.ts, so the layout lives in one place.
 */
import {
  COUNTS,
  declared,
  documentOf,
  fillTemplate,
  RAW_DOCUMENTS,
  templatePattern,
  type CountName,
  type DocumentKind,
  type ListeningKind,
} from '../../schemas/raw-documents';

export { LISTENING_KINDS, type DocumentKind, type ListeningKind } from '../../schemas/raw-documents';

const { run_id: RUN_ID, manifest: MANIFEST, bucket: BUCKET } = RAW_DOCUMENTS;

export const RUN_ID_PATTERN = new RegExp(RUN_ID.pattern);
export const MANIFEST_FILE = MANIFEST.file;
/** Beside the run's files: what an unfinished run already has, so a retry of the same run id fetches only the rest. */
export const CHECKPOINT_FILE = MANIFEST.checkpoint_file;
/** The last complete fetch of each playlist (snapshot id -> raw object), read by the next run. */
export const PLAYLIST_STATE_KEY = BUCKET.state.playlists;
/** 2: objects may point at an earlier run's raw object (playlists unchanged since), see docs/data-contracts.md. */
export const MANIFEST_VERSION = declared(MANIFEST.version, 2, 'manifest.version');
export const TOP_ITEM_TYPES = ['tracks', 'artists'] as const;
export type TopItemType = (typeof TOP_ITEM_TYPES)[number];
export type TimeRange = 'short_term' | 'medium_term' | 'long_term';

/** A run polls plays alone (the frequent schedule) or extracts everything configured (the weekly run). */
export type RunMode = 'full' | 'plays';

/**
 * A plays run's id ends in `-p` and five hex digits (other run ids end in six hex digits), so that whoever sees only
 * the key of its manifest (the start-transform Lambda) knows it is a plays poll: those are transformed in batches.
 */
export const PLAYS_RUN_ID = new RegExp(RUN_ID.plays_pattern);

export function isPlaysRunId(runId: string): boolean {
  return PLAYS_RUN_ID.test(runId);
}

export interface ManifestObject {
  /** Full bucket key: under this run's prefix, or (reused) under the prefix of the run named by fetched_in_run. */
  key: string;
  kind: DocumentKind;
  /**
   * Playlist id; `<listener name>/<type>_<time_range>` for a top list (`<type>_<time_range>` in runs from before
   * listeners); the listener's configured name for a listener document.
   */
  entity_id: string;
  bytes: number;
  sha256: string;
  items: number;
  pages: number;
  /** The run that fetched the object: this run, or the earlier run whose object a playlist unchanged since is read from. */
  fetched_in_run: string;
  /** Playlists: the snapshot id the object holds (null if Spotify sent none). */
  snapshot_id?: string | null;
  /** Playlists: the snapshot id changed while the first paging ran, so the items were fetched once more. */
  refetched_after_snapshot_change?: boolean;
  /** Playlists: it changed again during that second paging; the items may mix two versions of the playlist. */
  snapshot_changed_during_fetch?: boolean;
  /** Listener documents (and playlists and top lists): the Spotify user whose token read it. */
  spotify_user_id?: string;
  /** Listener documents: that user's immutable account id (`/v1/me` `account_id`), when the server sent one. */
  account_id?: string;
  /**
   * Playlists (user mode): the listeners it belongs to in this run, in configuration order: its owner, those who
   * collaborate on it, or the one who read it for the configuration (`reader`). A playlist two listeners share is
   * fetched once and belongs to both. Absent in manifests from before: the playlist was the reading listener's.
   */
  belongs_to?: PlaylistMember[];
  /** Plays: the cursor the poll started from, and the newest played_at it stored (Unix ms; null: none yet). */
  cursor_before?: number | null;
  cursor_after?: number | null;
  /** Plays: the poll found a full page of plays newer than its cursor: plays may be missing (see plays_gaps). */
  possible_gap?: boolean;
  /** Plays: the oldest play newer than the cursor that the poll still reached (Unix ms). */
  oldest_new_play_at?: number | null;
  /** Saved tracks: the library changed during every read of its pages; a track may be missing or come twice. */
  changed_during_fetch?: boolean;
}

/** A listener a playlist belongs to, and why (docs/data-contracts.md, playlist_listeners). */
export interface PlaylistMember {
  /** The listener's configured name. */
  listener: string;
  spotify_user_id: string;
  /** `owner`: theirs; `collaborator`: they collaborate on it; `reader`: configured for them, neither of the two. */
  role: 'owner' | 'collaborator' | 'reader';
}

export interface ManifestError {
  /** `listener`: nothing could be read for that listener (e.g. a revoked refresh token); entity_id names them. */
  kind: DocumentKind | 'my_playlists' | 'listener';
  entity_id: string;
  /** null when there was no HTTP answer (timeout, connection reset). */
  http_status: number | null;
  message: string;
}

/** Why a run stopped before everything asked for was extracted. */
export interface StoppedEarly {
  /** `app_owner_premium_required`: every call answered 403 because the app owner's Premium lapsed. */
  reason: 'quota_exceeded' | 'retry_after_beyond_budget' | 'time_budget_exhausted' | 'app_owner_premium_required';
  message: string;
  /** The Retry-After Spotify asked for, when that was the cause. */
  retry_after_seconds: number | null;
}

/**
 * The counts of a run, one per count field of schemas/raw-documents.json (their meaning is described there).
 * Manifests written before a count existed lack it: read them with `?? 0`.
 */
export type ManifestCounts = Record<CountName, number>;

/** The count fields of a manifest, in declaration order. */
export const COUNT_NAMES: readonly CountName[] = COUNTS.map((c) => c.name);

/** A plays poll that may have missed plays: Spotify serves only the last 50, and more were played since the cursor. */
export interface PlaysGap {
  listener: string;
  spotify_user_id: string;
  /** The cursor the poll started from, and the oldest new play it still reached (ISO 8601, UTC). */
  cursor_before: string;
  oldest_new_play: string | null;
  message: string;
}

export interface RunManifest {
  manifest_version: typeof MANIFEST_VERSION;
  run_id: string;
  extract_date: string;
  started_at: string;
  finished_at: string;
  status: 'complete' | 'partial';
  stopped_early: StoppedEarly | null;
  source: { api_base_url: string; auth_mode: 'user' | 'client-credentials' };
  /** Invocations that worked on this run id (more than 1: it was resumed after a failed attempt). */
  attempts: number;
  objects: ManifestObject[];
  counts: ManifestCounts;
  errors: ManifestError[];
  /** `plays`: a plays poll (no playlists, no top lists, no library). Absent in manifests written before it existed. */
  mode?: RunMode;
  /** Plays polls that may have missed plays (also in the run report). */
  plays_gaps?: PlaysGap[];
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

/** `raw/extract_date=YYYY-MM-DD/`: every run of that UTC day lies below it (the run prefix up to the run's folder). */
export function extractDatePrefix(extractDate: string): string {
  const upToRun = BUCKET.run_prefix.slice(0, BUCKET.run_prefix.indexOf('{run_id}'));
  return fillTemplate(upToRun.slice(0, upToRun.lastIndexOf('/') + 1), { extract_date: extractDate });
}

/** `raw/extract_date=YYYY-MM-DD/run_id=<RUN_ID>/` (with the trailing slash). */
export function runPrefix(runId: string, extractDate: string): string {
  assertRunId(runId);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(extractDate)) {
    throw new Error(`extract date "${extractDate}" must be YYYY-MM-DD`);
  }
  return fillTemplate(BUCKET.run_prefix, { extract_date: extractDate, run_id: runId });
}

export function manifestKey(runId: string, extractDate: string): string {
  return `${runPrefix(runId, extractDate)}${MANIFEST_FILE}`;
}

export function checkpointKey(runId: string, extractDate: string): string {
  return `${runPrefix(runId, extractDate)}${CHECKPOINT_FILE}`;
}

/** The UTC start time a run id encodes (`20261125T060000Z-...` -> 2026-11-25T06:00:00Z). */
export function runIdStartedAt(runId: string): Date {
  assertRunId(runId);
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(runId)!;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

/** The parts of each document kind's key template; a listener document's key names the listener's Spotify user id. */
interface CatalogueKeyParts {
  playlist: { playlist_id: string };
  top: { item_type: TopItemType; time_range: TimeRange; spotify_user_id: string };
}
export type DocumentKeyParts<K extends DocumentKind> = K extends keyof CatalogueKeyParts ? CatalogueKeyParts[K] : { spotify_user_id: string };

/** A raw document's key: the run's prefix and the kind's key template (schemas/raw-documents.json) filled in. */
export function documentKey<K extends DocumentKind>(kind: K, runId: string, extractDate: string, parts: DocumentKeyParts<K>): string {
  return `${runPrefix(runId, extractDate)}${fillTemplate(documentOf(kind).key, { ...parts })}`;
}

export function playlistKey(runId: string, extractDate: string, playlistId: string): string {
  return documentKey('playlist', runId, extractDate, { playlist_id: playlistId });
}

/**
 * A listener's top list: `top/<item_type>_<time_range>.<spotify_user_id>.json`, one per listener (their own token,
 * their own list). Still one folder deep (the transform reads `<folder>/<file>`); runs from before listeners wrote
 * `top/<item_type>_<time_range>.json`, which the transform still reads.
 */
export function topKey(runId: string, extractDate: string, itemType: TopItemType, timeRange: TimeRange, spotifyUserId: string): string {
  return documentKey('top', runId, extractDate, { item_type: itemType, time_range: timeRange, spotify_user_id: spotifyUserId });
}

/** A listener document: `<kind>/<spotify_user_id>.json` under the run's prefix. */
export function listeningKey(runId: string, extractDate: string, kind: ListeningKind, spotifyUserId: string): string {
  return documentKey(kind, runId, extractDate, { spotify_user_id: spotifyUserId });
}

/**
 * A listener's plays cursor, beside the runs: `raw/_state/plays/<account_id>.json`, keyed by the immutable account id
 * (their user id when the server sends none, and in cursors stored before account ids were read).
 */
export function playsCursorStateKey(listenerKey: string): string {
  return fillTemplate(BUCKET.state.plays_cursor, { account_id: listenerKey });
}

/** Who a configured listener was last found to be (listener-state.ts): `raw/_state/listeners/<listener name>.json`. */
export function listenerStateKey(listenerName: string): string {
  return fillTemplate(BUCKET.state.listener, { listener_name: listenerName });
}

/** A listener's top list in the checkpoint and the manifest: `<listener name>/<item_type>_<time_range>`. */
export function topEntityId(listenerName: string, itemType: TopItemType, timeRange: TimeRange): string {
  return `${listenerName}/${itemType}_${timeRange}`;
}

const MANIFEST_KEY = templatePattern(BUCKET.run_prefix, { extract_date: '\\d{4}-\\d{2}-\\d{2}', run_id: '[^/]+' }, MANIFEST_FILE);

/** Parses a manifest key back into its parts; null when the key is not a run manifest. */
export function parseManifestKey(key: string): { extractDate: string; runId: string; prefix: string } | null {
  const parts = MANIFEST_KEY.exec(key)?.groups;
  if (!parts || !RUN_ID_PATTERN.test(parts.run_id)) return null;
  return { extractDate: parts.extract_date, runId: parts.run_id, prefix: runPrefix(parts.run_id, parts.extract_date) };
}

const IMPORT_MANIFEST_KEY = templatePattern(RAW_DOCUMENTS.imports.run_prefix, { listener: '[a-z][a-z0-9-]{0,29}', run_id: '[^/]+' }, MANIFEST_FILE);

/**
 * An import's manifest key (`imports/listener=<name>/run_id=<id>/_manifest.json`, `pipeline import`) back into its
 * parts; null when the key is not one. An import is transformed like a run: its prefix is the job's raw run prefix.
 */
export function parseImportManifestKey(key: string): { listener: string; runId: string; prefix: string } | null {
  const parts = IMPORT_MANIFEST_KEY.exec(key)?.groups;
  if (!parts || !RUN_ID_PATTERN.test(parts.run_id)) return null;
  return { listener: parts.listener, runId: parts.run_id, prefix: key.slice(0, key.length - MANIFEST_FILE.length) };
}
