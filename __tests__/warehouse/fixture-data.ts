/**
 * Known data for the warehouse tests: two weekly runs of two playlists, written as processed Parquet the way the
 * Glue job writes it. Every expected analysis result in the tests is worked out by hand from these rows.
 *
 * Week 1 (2026-11-16)  Morning Mix: One, Two, Three       Late Night: Four, One, <episode>
 * Week 2 (2026-11-23)  Morning Mix: Two, One, Five        Late Night Drive: Four, Six, One, <local file>
 * Whose playlists: both Sam's in week 1; in week 2 Late Night Drive is Mira's, and Sam collaborates on it.
 * Plus the listening rows of fixture-listening.ts (plays, saved tracks, followed artists, listener profiles).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCommitRecord, writeProcessedParquet, type ProcessedRun } from '../../local/warehouse/parquet-writer';
import { LISTENING_DATA } from './fixture-listening';

export const RUN_A: ProcessedRun = { runId: '20261116T060000Z-aaaaaa', extractDate: '2026-11-16', extractedAt: '2026-11-16T06:00:00Z' };
export const RUN_B: ProcessedRun = { runId: '20261123T060000Z-bbbbbb', extractDate: '2026-11-23', extractedAt: '2026-11-23T06:00:00Z' };

const TRACKS: Record<string, Record<string, unknown>> = {
  t1: { track_id: 't1', track_name: 'One', album_id: 'al1', duration_ms: 200000, explicit: true, track_number: 1, disc_number: 1 },
  t2: { track_id: 't2', track_name: 'Two', album_id: 'al1', duration_ms: 180000, explicit: false, track_number: 2, disc_number: 1 },
  t3: { track_id: 't3', track_name: 'Three', album_id: 'al2', duration_ms: 240000, explicit: true, track_number: 1, disc_number: 1 },
  t4: { track_id: 't4', track_name: 'Four', album_id: 'al2', duration_ms: 210000, explicit: false, track_number: 2, disc_number: 1 },
  t5: { track_id: 't5', track_name: 'Five', album_id: 'al3', duration_ms: 190000, explicit: false, track_number: 1, disc_number: 1 },
  t6: { track_id: 't6', track_name: 'Six', album_id: 'al1', duration_ms: 230000, explicit: true, track_number: 3, disc_number: 1 },
};
const ALBUMS: Record<string, Record<string, unknown>> = {
  al1: { album_id: 'al1', album_name: 'First Light', album_type: 'album', release_date: '2024-05-10', release_date_precision: 'day', release_date_raw: '2024-05-10', total_tracks: 10 },
  al2: { album_id: 'al2', album_name: 'Old Times', album_type: 'album', release_date: '2019-01-01', release_date_precision: 'year', release_date_raw: '2019', total_tracks: 8 },
  al3: { album_id: 'al3', album_name: 'Mystery', album_type: 'single', release_date: null, release_date_precision: 'year', release_date_raw: '0000', total_tracks: 1 },
};
const CREDITS: Record<string, string[]> = { t1: ['ar1'], t2: ['ar1', 'ar2'], t3: ['ar2'], t4: ['ar3'], t5: ['ar1'], t6: ['ar3', 'ar1'] };

const track = (id: string, overrides: Record<string, unknown> = {}) => ({ ...TRACKS[id], uri: `spotify:track:${id}`, ...overrides });
const credits = (ids: string[]) =>
  ids.flatMap((id) => CREDITS[id].map((artist_id, artist_position) => ({ track_id: id, artist_id, artist_position })));
const item = (playlist_id: string, position: number, trackId: string | null, itemType = 'track') => ({
  playlist_id,
  position,
  item_type: itemType,
  item_id: trackId ?? (itemType === 'episode' ? 'ep1' : null),
  item_name: trackId ? String(TRACKS[trackId].track_name) : itemType === 'episode' ? 'A Podcast Episode' : 'My Local File',
  track_id: itemType === 'track' ? trackId : null,
  is_local: itemType === 'local_track',
  added_at: '2026-11-01 10:00:00',
  added_by_id: 'me',
});

/** The rows of each table per run. */
export const DATA: Record<'A' | 'B', Record<string, Array<Record<string, unknown>>>> = {
  A: {
    playlist_snapshots: [
      { playlist_id: 'pl_morning', playlist_name: 'Morning Mix', owner_id: 'me', is_public: true, is_collaborative: false, snapshot_id: 's1', items_total: 3 },
      { playlist_id: 'pl_night', playlist_name: 'Late Night', owner_id: 'me', is_public: false, is_collaborative: false, snapshot_id: 's2', items_total: 3 },
    ],
    playlist_tracks: [
      item('pl_morning', 0, 't1'), item('pl_morning', 1, 't2'), item('pl_morning', 2, 't3'),
      item('pl_night', 0, 't4'), item('pl_night', 1, 't1'), item('pl_night', 2, null, 'episode'),
    ],
    playlist_listeners: [
      { playlist_id: 'pl_morning', spotify_user_id: 'u_sam', listener_name: 'sam', role: 'owner' },
      { playlist_id: 'pl_night', spotify_user_id: 'u_sam', listener_name: 'sam', role: 'owner' },
    ],
    tracks: ['t1', 't2', 't3', 't4'].map((id) => track(id)),
    albums: [ALBUMS.al1, ALBUMS.al2],
    artists: [
      { artist_id: 'ar1', artist_name: 'Ada' },
      { artist_id: 'ar2', artist_name: 'Bo' },
      { artist_id: 'ar3', artist_name: 'Cy' },
    ],
    track_artists: credits(['t1', 't2', 't3', 't4']),
    // Each listener's own lists; Mira's are only in run A (her token was revoked before run B), so they stay current.
    user_top_items: [
      { spotify_user_id: 'u_sam', item_type: 'track', time_range: 'short_term', rank: 1, item_id: 't1', item_name: 'One' },
      { spotify_user_id: 'u_sam', item_type: 'track', time_range: 'short_term', rank: 2, item_id: 't2', item_name: 'Two' },
      { spotify_user_id: 'u_sam', item_type: 'track', time_range: 'medium_term', rank: 1, item_id: 't3', item_name: 'Three' },
      { spotify_user_id: 'u_sam', item_type: 'artist', time_range: 'short_term', rank: 1, item_id: 'ar1', item_name: 'Ada' },
      { spotify_user_id: 'u_mira', item_type: 'track', time_range: 'short_term', rank: 1, item_id: 't2', item_name: 'Two' },
      { spotify_user_id: 'u_mira', item_type: 'track', time_range: 'short_term', rank: 2, item_id: 't4', item_name: 'Four' },
      { spotify_user_id: 'u_mira', item_type: 'artist', time_range: 'short_term', rank: 1, item_id: 'ar2', item_name: 'Bo' },
    ],
    ...LISTENING_DATA.A,
  },
  B: {
    playlist_snapshots: [
      { playlist_id: 'pl_morning', playlist_name: 'Morning Mix', owner_id: 'me', is_public: true, is_collaborative: false, snapshot_id: 's3', items_total: 3 },
      { playlist_id: 'pl_night', playlist_name: 'Late Night Drive', owner_id: 'me', is_public: false, is_collaborative: false, snapshot_id: 's4', items_total: 4 },
    ],
    playlist_tracks: [
      item('pl_morning', 0, 't2'), item('pl_morning', 1, 't1'), item('pl_morning', 2, 't5'),
      item('pl_night', 0, 't4'), item('pl_night', 1, 't6'), item('pl_night', 2, 't1'), item('pl_night', 3, null, 'local_track'),
    ],
    playlist_listeners: [
      { playlist_id: 'pl_morning', spotify_user_id: 'u_sam', listener_name: 'sam', role: 'owner' },
      { playlist_id: 'pl_night', spotify_user_id: 'u_sam', listener_name: 'sam', role: 'collaborator' },
      { playlist_id: 'pl_night', spotify_user_id: 'u_mira', listener_name: 'mira', role: 'owner' },
    ],
    tracks: [track('t1', { track_name: 'One (Remastered)' }), track('t2'), track('t4'), track('t5'), track('t6')],
    albums: [ALBUMS.al1, ALBUMS.al2, ALBUMS.al3],
    artists: [
      { artist_id: 'ar1', artist_name: 'Ada L' },
      { artist_id: 'ar2', artist_name: 'Bo' },
      { artist_id: 'ar3', artist_name: 'Cy' },
    ],
    track_artists: credits(['t1', 't2', 't4', 't5', 't6']),
    user_top_items: [
      { spotify_user_id: 'u_sam', item_type: 'track', time_range: 'short_term', rank: 1, item_id: 't6', item_name: 'Six' },
      { spotify_user_id: 'u_sam', item_type: 'track', time_range: 'short_term', rank: 2, item_id: 't1', item_name: 'One (Remastered)' },
      { spotify_user_id: 'u_sam', item_type: 'track', time_range: 'long_term', rank: 1, item_id: 't4', item_name: 'Four' },
      { spotify_user_id: 'u_sam', item_type: 'artist', time_range: 'short_term', rank: 1, item_id: 'ar3', item_name: 'Cy' },
    ],
    ...LISTENING_DATA.B,
  },
};

export function expectedRows(run: 'A' | 'B'): Record<string, number> {
  return Object.fromEntries(Object.entries(DATA[run]).map(([table, rows]) => [table, rows.length]));
}

/**
 * Writes one run as the Glue job does: every table with rows (one file each) in the attempt's folder, then the
 * commit record, which lists every table of the run.
 * `data` replaces the run's rows (a re-run with changed content); `commit: false` leaves the attempt uncommitted
 * (a publish that died before its commit record).
 */
export async function writeRun(
  bucketDir: string,
  run: 'A' | 'B',
  opts: { attemptId?: string; data?: Record<string, Array<Record<string, unknown>>>; commit?: boolean; committedAt?: string } = {},
): Promise<string[]> {
  const meta = { ...(run === 'A' ? RUN_A : RUN_B), ...(opts.attemptId ? { attemptId: opts.attemptId } : {}) };
  const data = opts.data ?? DATA[run];
  const keys: string[] = [];
  // Like the Glue job: no file for a table without rows (the commit record lists it with 0 rows).
  for (const [table, rows] of Object.entries(data)) if (rows.length) keys.push(await writeProcessedParquet(bucketDir, table, meta, rows));
  if (opts.commit !== false) {
    const counts = Object.fromEntries(Object.entries(data).map(([table, rows]) => [table, rows.length]));
    keys.push(await writeCommitRecord(bucketDir, meta, counts, opts.committedAt ?? meta.extractedAt));
  }
  return keys;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}
