import { LISTENING_EXPECTED } from './expected-listening-analyses';

/**
 * Every analysis on the fixture runs, worked out by hand (see fixture-data.ts). The per-playlist analyses answer per
 * listener: Sam's are both playlists (the answers from before listeners), Mira's only Late Night Drive, which Sam
 * collaborates on; she comes first ('M' sorts before 's').
 */
export const EXPECTED: Record<string, { columns: string[]; rows: unknown[][] }> = {
  top_artists_across_playlists: {
    columns: ['artist', 'playlists', 'tracks', 'placements', 'best_rank', 'spotify_user_id', 'listener_name'],
    rows: [
      ['Cy', 1, 2, 2, 1, 'u_mira', 'Mira'],
      ['Ada L', 1, 2, 2, 2, 'u_mira', 'Mira'],
      ['Ada L', 2, 4, 5, 1, 'u_sam', 'sam'],
      ['Cy', 1, 2, 2, 1, 'u_sam', 'sam'],
      ['Bo', 1, 1, 1, 1, 'u_sam', 'sam'],
    ],
  },
  new_entries_this_week: {
    columns: ['playlist', 'chart_week', 'chart_rank', 'track', 'artist_names', 'spotify_user_id', 'listener_name'],
    rows: [
      ['Late Night Drive', '2026-11-23', 2, 'Six', 'Cy, Ada L', 'u_mira', 'Mira'],
      ['Late Night Drive', '2026-11-23', 2, 'Six', 'Cy, Ada L', 'u_sam', 'sam'],
      ['Morning Mix', '2026-11-23', 3, 'Five', 'Ada L', 'u_sam', 'sam'],
    ],
  },
  drop_outs_and_movers_this_week: {
    columns: ['playlist', 'chart_week', 'movement', 'track', 'previous_rank', 'current_rank', 'rank_change', 'spotify_user_id', 'listener_name'],
    rows: [
      ['Morning Mix', '2026-11-23', 'drop_out', 'Three', 3, null, null, 'u_sam', 'sam'],
      ['Morning Mix', '2026-11-23', 'down', 'One (Remastered)', 1, 2, -1, 'u_sam', 'sam'],
      ['Morning Mix', '2026-11-23', 'up', 'Two', 2, 1, 1, 'u_sam', 'sam'],
    ],
  },
  playlist_movers_per_week: {
    columns: ['chart_week', 'playlist_id', 'playlist', 'movement', 'track_id', 'track', 'artist_names', 'previous_rank', 'current_rank', 'rank_change', 'spotify_user_id', 'listener_name'],
    rows: [
      ['2026-11-23', 'pl_night', 'Late Night Drive', 'entry', 't6', 'Six', 'Cy, Ada L', null, 2, null, 'u_mira', 'Mira'],
      ['2026-11-23', 'pl_night', 'Late Night Drive', 'entry', 't6', 'Six', 'Cy, Ada L', null, 2, null, 'u_sam', 'sam'],
      ['2026-11-23', 'pl_morning', 'Morning Mix', 'entry', 't5', 'Five', 'Ada L', null, 3, null, 'u_sam', 'sam'],
      ['2026-11-23', 'pl_morning', 'Morning Mix', 'drop_out', 't3', 'Three', 'Bo', 3, null, null, 'u_sam', 'sam'],
      ['2026-11-23', 'pl_morning', 'Morning Mix', 'down', 't1', 'One (Remastered)', 'Ada L', 1, 2, -1, 'u_sam', 'sam'],
      ['2026-11-23', 'pl_morning', 'Morning Mix', 'up', 't2', 'Two', 'Ada L, Bo', 2, 1, 1, 'u_sam', 'sam'],
    ],
  },
  longest_running_tracks: {
    columns: ['playlist', 'track', 'weeks_on_chart', 'first_week', 'last_week', 'best_rank', 'spotify_user_id', 'listener_name'],
    rows: [
      ['Late Night Drive', 'Four', 2, '2026-11-16', '2026-11-23', 1, 'u_mira', 'Mira'],
      ['Late Night Drive', 'One (Remastered)', 2, '2026-11-16', '2026-11-23', 2, 'u_mira', 'Mira'],
      ['Late Night Drive', 'Six', 1, '2026-11-23', '2026-11-23', 2, 'u_mira', 'Mira'],
      ['Late Night Drive', 'Four', 2, '2026-11-16', '2026-11-23', 1, 'u_sam', 'sam'],
      ['Morning Mix', 'One (Remastered)', 2, '2026-11-16', '2026-11-23', 1, 'u_sam', 'sam'],
      ['Morning Mix', 'Two', 2, '2026-11-16', '2026-11-23', 1, 'u_sam', 'sam'],
      ['Late Night Drive', 'One (Remastered)', 2, '2026-11-16', '2026-11-23', 2, 'u_sam', 'sam'],
      ['Late Night Drive', 'Six', 1, '2026-11-23', '2026-11-23', 2, 'u_sam', 'sam'],
      ['Morning Mix', 'Five', 1, '2026-11-23', '2026-11-23', 3, 'u_sam', 'sam'],
      ['Morning Mix', 'Three', 1, '2026-11-16', '2026-11-16', 3, 'u_sam', 'sam'],
    ],
  },
  release_year_mix: {
    columns: ['release_year', 'tracks', 'share_pct', 'spotify_user_id', 'listener_name'],
    rows: [
      ['2024', 2, 66.7, 'u_mira', 'Mira'],
      ['2019', 1, 33.3, 'u_mira', 'Mira'],
      ['2024', 3, 60, 'u_sam', 'sam'],
      ['2019', 1, 20, 'u_sam', 'sam'],
      ['unknown', 1, 20, 'u_sam', 'sam'],
    ],
  },
  explicit_share: {
    columns: ['playlist', 'tracks', 'explicit_tracks', 'explicit_pct', 'spotify_user_id', 'listener_name'],
    rows: [
      ['Late Night Drive', 3, 2, 66.7, 'u_mira', 'Mira'],
      ['Late Night Drive', 3, 2, 66.7, 'u_sam', 'sam'],
      ['Morning Mix', 3, 1, 33.3, 'u_sam', 'sam'],
    ],
  },
  artists_with_most_tracks: {
    columns: ['artist', 'tracks', 'albums'],
    rows: [
      ['Ada L', 4, 2],
      ['Bo', 2, 2],
      ['Cy', 2, 2],
    ],
  },
  my_top_tracks_now: {
    columns: ['spotify_user_id', 'listener_name', 'time_range', 'rank', 'track', 'artist_names'],
    rows: [
      // Mira's lists from run A (none in run B), named by her display name; Sam's latest per time range.
      ['u_mira', 'Mira', 'short_term', 1, 'Two', 'Ada L, Bo'],
      ['u_mira', 'Mira', 'short_term', 2, 'Four', 'Cy'],
      ['u_sam', 'sam', 'short_term', 1, 'Six', 'Cy, Ada L'],
      ['u_sam', 'sam', 'short_term', 2, 'One (Remastered)', 'Ada L'],
      ['u_sam', 'sam', 'medium_term', 1, 'Three', 'Bo'],
      ['u_sam', 'sam', 'long_term', 1, 'Four', 'Cy'],
    ],
  },
};

// The listening analyses on the same runs (fixture-listening.ts).
Object.assign(EXPECTED, LISTENING_EXPECTED);
