/**
 * The listening rows of the two fixture runs (fixture-data.ts): three listeners, plays over four ISO weeks (UTC),
 * two of them polled by both runs, library snapshots in both runs. Every expected listening analysis
 * (expected-listening-analyses.ts) is worked out by hand from these rows.
 *
 *   listener  profile                      plays (run A: polled 2026-11-16 06:00, run B: 2026-11-23 06:00)
 *   u_sam     'sam' (configured name)      P0 Jul 28; P1-P5 week of Nov 9; P6-P12 week of Nov 16; P13 Nov 23
 *   u_mira    no name, display name Mira   M1 Nov 12; M2-M4 week of Nov 16 (run B only)
 *   u_teo     no profile at all            T1 Nov 22 (run B only)
 *
 * Track durations (fixture-data.ts): t1 200000, t2 180000, t3 240000, t4 210000, t5 190000, t6 230000 ms.
 * Credits: t1 ar1; t2 ar1, ar2; t3 ar2; t4 ar3; t5 ar1; t6 ar3, ar1.
 */

type Row = Record<string, unknown>;

const DURATION: Record<string, number> = { t1: 200000, t2: 180000, t3: 240000, t4: 210000, t5: 190000, t6: 230000 };
const NAME: Record<string, string> = { t1: 'One', t2: 'Two', t3: 'Three', t4: 'Four', t5: 'Five', t6: 'Six' };

/** A play as the transform writes it: timestamps as UTC wall time without zone. */
function play(user: string, playedAt: string, trackId: string | null, context: 'playlist' | 'album' | 'artist' | 'collection' | 'show' | null, contextId = ''): Row {
  const uri =
    context === null ? null : context === 'collection' ? `spotify:user:${user}:collection` : `spotify:${context}:${contextId}`;
  return {
    spotify_user_id: user,
    played_at: playedAt,
    item_type: trackId ? 'track' : 'missing',
    track_id: trackId,
    track_name: trackId ? NAME[trackId] : null,
    album_id: null,
    duration_ms: trackId ? DURATION[trackId] : null,
    context_type: context,
    context_uri: uri,
    context_playlist_id: context === 'playlist' ? contextId : null,
  };
}

// u_sam
const P0 = play('u_sam', '2026-07-28 19:00:00', 't4', null);
const P1 = play('u_sam', '2026-11-09 08:00:00', 't1', 'playlist', 'pl_morning');
const P2 = play('u_sam', '2026-11-09 08:04:00', 't2', 'playlist', 'pl_morning');
const P3 = play('u_sam', '2026-11-11 20:30:00', 't1', 'album', 'al1');
const P4 = play('u_sam', '2026-11-14 23:59:59.5', 't2', null);
const P5 = play('u_sam', '2026-11-15 22:00:00', 't3', 'artist', 'ar2');
const P6 = play('u_sam', '2026-11-16 05:30:00', 't1', 'collection');
const P7 = play('u_sam', '2026-11-17 07:45:00', 't5', 'playlist', 'pl_morning');
const P8 = play('u_sam', '2026-11-17 07:49:10', 't1', 'playlist', 'pl_morning');
const P9 = play('u_sam', '2026-11-20 18:00:00', 't6', null);
const P10 = play('u_sam', '2026-11-20 18:04:00', 't6', null);
const P11 = play('u_sam', '2026-11-21 10:00:00', null, null);
const P12 = play('u_sam', '2026-11-22 12:00:00', 't2', 'album', 'al1');
const P13 = play('u_sam', '2026-11-23 05:00:00', 't5', 'playlist', 'pl_night');
// u_mira
const M1 = play('u_mira', '2026-11-12 13:00:00', 't4', null);
const M2 = play('u_mira', '2026-11-18 21:00:00', 't4', 'playlist', 'pl_night');
const M3 = play('u_mira', '2026-11-18 21:03:30', 't4', 'playlist', 'pl_night');
const M4 = play('u_mira', '2026-11-19 09:00:00', 't6', 'show', 'sh1');
// u_teo
const T1 = play('u_teo', '2026-11-22 09:00:00', 't3', null);

/** A stream of an imported export (fixture-streams.ts has the imports themselves). */
const EPISODE_STREAM: Row = {
  listener_name: 'sam',
  ended_at: '2026-11-12 07:30:00',
  ms_played: 1500000,
  item_type: 'episode',
  item_key: 'spotify:episode:ep9',
  episode_name: 'Ep 9',
  show_name: 'Morning Show',
  export_kind: 'extended',
  export_file: 'Streaming_History_Audio_2026_1.json',
};

export const LISTENING_DATA: Record<'A' | 'B', Record<string, Row[]>> = {
  A: {
    plays: [P0, P1, P2, P3, P4, P5, P6],
    saved_tracks: [
      { spotify_user_id: 'u_sam', track_id: 't4', added_at: '2026-11-01 00:00:00', position: 0, track_name: 'Four' },
      { spotify_user_id: 'u_sam', track_id: 't3', added_at: '2026-10-01 00:00:00', position: 1, track_name: 'Three' },
      { spotify_user_id: 'u_sam', track_id: 't1', added_at: '2026-08-01 00:00:00', position: 2, track_name: 'One' },
    ],
    followed_artists: [
      { spotify_user_id: 'u_sam', artist_id: 'ar1', artist_name: 'Ada', position: 0 },
      { spotify_user_id: 'u_sam', artist_id: 'ar2', artist_name: 'Bo', position: 1 },
    ],
    // Sam's libraries were read to the end (Mira's and Teo's were not read in run A).
    library_snapshots: [
      { spotify_user_id: 'u_sam', library: 'saved_tracks', items: 3, items_total: 3 },
      { spotify_user_id: 'u_sam', library: 'followed_artists', items: 2, items_total: 2 },
    ],
    listener_profiles: [{ spotify_user_id: 'u_sam', listener_name: 'sam', display_name: 'Sam Ple' }],
    // An export file of Sam's that rode in the run (as an import's does): a podcast episode, not a listen of music.
    streams: [EPISODE_STREAM],
  },
  B: {
    // P5 and P6 were still among Sam's 50 most recent plays: polled again.
    plays: [P5, P6, P7, P8, P9, P10, P11, P12, P13, M1, M2, M3, M4, T1],
    saved_tracks: [
      { spotify_user_id: 'u_sam', track_id: 't6', added_at: '2026-11-20 18:10:00', position: 0, track_name: 'Six' },
      { spotify_user_id: 'u_sam', track_id: 't4', added_at: '2026-11-01 00:00:00', position: 1, track_name: 'Four' },
      { spotify_user_id: 'u_sam', track_id: 't3', added_at: '2026-10-01 00:00:00', position: 2, track_name: 'Three' },
      { spotify_user_id: 'u_sam', track_id: 't1', added_at: '2026-08-01 00:00:00', position: 3, track_name: 'One (Remastered)' },
      { spotify_user_id: 'u_mira', track_id: 't2', added_at: '2026-11-19 00:00:00', position: 0, track_name: 'Two' },
      { spotify_user_id: 'u_mira', track_id: 't4', added_at: '2026-10-15 00:00:00', position: 1, track_name: 'Four' },
    ],
    followed_artists: [
      { spotify_user_id: 'u_sam', artist_id: 'ar1', artist_name: 'Ada L', position: 0 },
      { spotify_user_id: 'u_sam', artist_id: 'ar3', artist_name: 'Cy', position: 1 },
      { spotify_user_id: 'u_mira', artist_id: 'ar3', artist_name: 'Cy', position: 0 },
    ],
    // Both listeners' libraries were read to the end.
    library_snapshots: [
      { spotify_user_id: 'u_sam', library: 'saved_tracks', items: 4, items_total: 4 },
      { spotify_user_id: 'u_sam', library: 'followed_artists', items: 2, items_total: 2 },
      { spotify_user_id: 'u_mira', library: 'saved_tracks', items: 2, items_total: 2 },
      { spotify_user_id: 'u_mira', library: 'followed_artists', items: 1, items_total: 1 },
    ],
    listener_profiles: [
      // Run B read Sam's account id; Mira's profile is one from before account ids were read.
      { spotify_user_id: 'u_sam', listener_name: 'sam', display_name: 'Sam Ple', account_id: 'acct_sam' },
      { spotify_user_id: 'u_mira', listener_name: null, display_name: 'Mira' },
    ],
    // And a 0 ms stream (started and stopped at once): in streams, not a listen in listening_history.
    streams: [{ ...EPISODE_STREAM, ended_at: '2026-11-19 07:00:00', ms_played: 0, item_type: 'track', item_key: 'spotify:track:t3', track_id: 't3', track_name: 'Three', episode_name: null, show_name: null }],
  },
};
