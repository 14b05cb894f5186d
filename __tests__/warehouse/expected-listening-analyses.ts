/** Every listening analysis on the fixture runs, worked out by hand from fixture-listening.ts. */
const L = ['spotify_user_id', 'listener_name', 'week_start'];
const SAM = ['u_sam', 'sam'];
const MIRA = ['u_mira', 'Mira'];
const TEO = ['u_teo', 'u_teo'];
const W0 = '2026-07-27';
const W1 = '2026-11-09';
const W2 = '2026-11-16';
const W3 = '2026-11-23';

/** The Mondays from `first` to `last`, latest first. */
function silentWeeks(first: string, last: string): string[] {
  const weeks: string[] = [];
  for (let at = Date.parse(`${last}T00:00:00Z`); at >= Date.parse(`${first}T00:00:00Z`); at -= 7 * 86_400_000) {
    weeks.push(new Date(at).toISOString().slice(0, 10));
  }
  return weeks;
}

export const LISTENING_EXPECTED: Record<string, { columns: string[]; rows: unknown[][] }> = {
  listening_time_per_week: {
    columns: [...L, 'plays', 'minutes_played'],
    rows: [
      [...MIRA, W3, 0, 0],
      [...SAM, W3, 1, 3.2], // t5 190000 ms
      [...TEO, W3, 0, 0],
      [...MIRA, W2, 3, 10.8], // 210000 + 210000 + 230000
      [...SAM, W2, 7, 20.5], // 200000 + 190000 + 200000 + 230000 + 230000 + (a play without a track) + 180000
      [...TEO, W2, 1, 4],
      [...MIRA, W1, 1, 3.5],
      [...SAM, W1, 5, 16.7], // 1000000 ms
      // Sam was silent from the week after W0 to the week before W1 (his first poll reached back to July): 0.
      ...silentWeeks('2026-08-03', '2026-11-02').map((week) => [...SAM, week, 0, 0]),
      [...SAM, W0, 1, 3.5],
    ],
  },
  top_artists_by_plays_per_week: {
    columns: [...L, 'artist_id', 'artist', 'plays', 'plays_previous_week', 'rank_this_week'],
    rows: [
      [...SAM, W3, 'ar1', 'Ada L', 1, 6, 1],
      [...MIRA, W2, 'ar3', 'Cy', 3, 1, 1],
      [...MIRA, W2, 'ar1', 'Ada L', 1, 0, 2],
      [...SAM, W2, 'ar1', 'Ada L', 6, 4, 1],
      [...SAM, W2, 'ar3', 'Cy', 2, 0, 2],
      [...SAM, W2, 'ar2', 'Bo', 1, 3, 3],
      [...TEO, W2, 'ar2', 'Bo', 1, 0, 1],
      [...MIRA, W1, 'ar3', 'Cy', 1, 0, 1],
      [...SAM, W1, 'ar1', 'Ada L', 4, 0, 1],
      [...SAM, W1, 'ar2', 'Bo', 3, 0, 2],
      [...SAM, W0, 'ar3', 'Cy', 1, 0, 1],
    ],
  },
  top_tracks_by_plays_per_week: {
    columns: [...L, 'track_id', 'track', 'artist_names', 'plays', 'plays_previous_week', 'rank_this_week'],
    rows: [
      [...SAM, W3, 't5', 'Five', 'Ada L', 1, 1, 1],
      [...MIRA, W2, 't4', 'Four', 'Cy', 2, 1, 1],
      [...MIRA, W2, 't6', 'Six', 'Cy, Ada L', 1, 0, 2],
      [...SAM, W2, 't1', 'One (Remastered)', 'Ada L', 2, 2, 1],
      [...SAM, W2, 't6', 'Six', 'Cy, Ada L', 2, 0, 1],
      [...SAM, W2, 't5', 'Five', 'Ada L', 1, 0, 3],
      [...SAM, W2, 't2', 'Two', 'Ada L, Bo', 1, 2, 3],
      [...TEO, W2, 't3', 'Three', 'Bo', 1, 0, 1],
      [...MIRA, W1, 't4', 'Four', 'Cy', 1, 0, 1],
      [...SAM, W1, 't1', 'One (Remastered)', 'Ada L', 2, 0, 1],
      [...SAM, W1, 't2', 'Two', 'Ada L, Bo', 2, 0, 1],
      [...SAM, W1, 't3', 'Three', 'Bo', 1, 0, 3],
      [...SAM, W0, 't4', 'Four', 'Cy', 1, 0, 1],
    ],
  },
  discovery_rate_per_week: {
    columns: [...L, 'plays', 'discovery_plays', 'discovery_pct'],
    rows: [
      [...SAM, W3, 1, 0, 0],
      [...MIRA, W2, 3, 1, 33.3],
      [...SAM, W2, 7, 3, 42.9], // t5 once, t6 twice
      [...TEO, W2, 1, 1, 100],
      [...MIRA, W1, 1, 1, 100],
      [...SAM, W1, 5, 5, 100],
      [...SAM, W0, 1, 1, 100],
    ],
  },
  listening_by_hour_and_weekday: {
    columns: [...L, 'iso_weekday', 'hour_of_day', 'plays'],
    rows: [
      [...SAM, W3, 1, 5, 1],
      [...MIRA, W2, 3, 21, 2],
      [...MIRA, W2, 4, 9, 1],
      [...SAM, W2, 1, 5, 1],
      [...SAM, W2, 2, 7, 2],
      [...SAM, W2, 5, 18, 2],
      [...SAM, W2, 6, 10, 1],
      [...SAM, W2, 7, 12, 1],
      [...TEO, W2, 7, 9, 1],
      [...MIRA, W1, 4, 13, 1],
      [...SAM, W1, 1, 8, 2],
      [...SAM, W1, 3, 20, 1],
      [...SAM, W1, 6, 23, 1],
      [...SAM, W1, 7, 22, 1],
      [...SAM, W0, 2, 19, 1],
    ],
  },
  saved_not_played_90_days: {
    columns: ['spotify_user_id', 'listener_name', 'track_id', 'track', 'artist_names', 'saved_at'],
    rows: [
      // Mira's latest play is Nov 19: she played t4 (Nov 18) but never t2.
      [...MIRA, 't2', 'Two', 'Ada L, Bo', '2026-11-19T00:00:00.000Z'],
      // Sam's latest play is Nov 23: t4 only on Jul 28, more than 90 days before.
      [...SAM, 't4', 'Four', 'Cy', '2026-11-01T00:00:00.000Z'],
    ],
  },
  plays_by_context: {
    columns: [...L, 'context', 'plays', 'share_pct'],
    rows: [
      [...SAM, W3, 'playlist', 1, 100],
      [...MIRA, W2, 'other', 1, 33.3],
      [...MIRA, W2, 'playlist', 2, 66.7],
      [...SAM, W2, 'album', 1, 14.3],
      [...SAM, W2, 'none', 3, 42.9],
      [...SAM, W2, 'other', 1, 14.3], // Liked Songs
      [...SAM, W2, 'playlist', 2, 28.6],
      [...TEO, W2, 'none', 1, 100],
      [...MIRA, W1, 'none', 1, 100],
      [...SAM, W1, 'album', 1, 20],
      [...SAM, W1, 'artist', 1, 20],
      [...SAM, W1, 'none', 1, 20],
      [...SAM, W1, 'playlist', 2, 40],
      [...SAM, W0, 'none', 1, 100],
    ],
  },
};
