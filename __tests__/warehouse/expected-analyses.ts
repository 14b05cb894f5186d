import { LISTENING_EXPECTED } from './expected-listening-analyses';

/** Every analysis on the fixture runs, worked out by hand (see fixture-data.ts). */
export const EXPECTED: Record<string, { columns: string[]; rows: unknown[][] }> = {
  top_artists_across_playlists: {
    columns: ['artist', 'playlists', 'tracks', 'placements', 'best_rank'],
    rows: [
      ['Ada L', 2, 4, 5, 1],
      ['Cy', 1, 2, 2, 1],
      ['Bo', 1, 1, 1, 1],
    ],
  },
  new_entries_this_week: {
    columns: ['playlist', 'chart_week', 'chart_rank', 'track', 'artist_names'],
    rows: [
      ['Late Night Drive', '2026-11-23', 2, 'Six', 'Cy, Ada L'],
      ['Morning Mix', '2026-11-23', 3, 'Five', 'Ada L'],
    ],
  },
  drop_outs_and_movers_this_week: {
    columns: ['playlist', 'chart_week', 'movement', 'track', 'previous_rank', 'current_rank', 'rank_change'],
    rows: [
      ['Morning Mix', '2026-11-23', 'drop_out', 'Three', 3, null, null],
      ['Morning Mix', '2026-11-23', 'down', 'One (Remastered)', 1, 2, -1],
      ['Morning Mix', '2026-11-23', 'up', 'Two', 2, 1, 1],
    ],
  },
  playlist_movers_per_week: {
    columns: ['chart_week', 'playlist_id', 'playlist', 'movement', 'track_id', 'track', 'artist_names', 'previous_rank', 'current_rank', 'rank_change'],
    rows: [
      ['2026-11-23', 'pl_night', 'Late Night Drive', 'entry', 't6', 'Six', 'Cy, Ada L', null, 2, null],
      ['2026-11-23', 'pl_morning', 'Morning Mix', 'entry', 't5', 'Five', 'Ada L', null, 3, null],
      ['2026-11-23', 'pl_morning', 'Morning Mix', 'drop_out', 't3', 'Three', 'Bo', 3, null, null],
      ['2026-11-23', 'pl_morning', 'Morning Mix', 'down', 't1', 'One (Remastered)', 'Ada L', 1, 2, -1],
      ['2026-11-23', 'pl_morning', 'Morning Mix', 'up', 't2', 'Two', 'Ada L, Bo', 2, 1, 1],
    ],
  },
  longest_running_tracks: {
    columns: ['playlist', 'track', 'weeks_on_chart', 'first_week', 'last_week', 'best_rank'],
    rows: [
      ['Late Night Drive', 'Four', 2, '2026-11-16', '2026-11-23', 1],
      ['Morning Mix', 'One (Remastered)', 2, '2026-11-16', '2026-11-23', 1],
      ['Morning Mix', 'Two', 2, '2026-11-16', '2026-11-23', 1],
      ['Late Night Drive', 'One (Remastered)', 2, '2026-11-16', '2026-11-23', 2],
      ['Late Night Drive', 'Six', 1, '2026-11-23', '2026-11-23', 2],
      ['Morning Mix', 'Five', 1, '2026-11-23', '2026-11-23', 3],
      ['Morning Mix', 'Three', 1, '2026-11-16', '2026-11-16', 3],
    ],
  },
  release_year_mix: {
    columns: ['release_year', 'tracks', 'share_pct'],
    rows: [
      ['2024', 3, 60],
      ['2019', 1, 20],
      ['unknown', 1, 20],
    ],
  },
  explicit_share: {
    columns: ['playlist', 'tracks', 'explicit_tracks', 'explicit_pct'],
    rows: [
      ['Late Night Drive', 3, 2, 66.7],
      ['Morning Mix', 3, 1, 33.3],
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
