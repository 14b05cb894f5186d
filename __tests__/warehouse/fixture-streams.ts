/**
 * Imported exports (the streams table) beside the polled plays of the fixture runs (fixture-listening.ts), for the
 * listening_history view. Every expected row is worked out by hand from the matching rule of docs/data-contracts.md
 * ("Listening history"): a poll an export holds (same listener, same track, stream end within 30 s of played_at, or
 * 90 s for Account data's minute) is counted once, as the export's; 0 ms streams, podcasts and audiobooks are not
 * listens of music; a stream in two imports is one; Account data an Extended import also holds is one.
 *
 *   import  listener  export       streams (ended_at, what, ms)                           against the polls of u_sam ('sam')
 *   I1      sam       extended     E1 11-09 08:00:03 t1      -> P1 08:00:00 (3 s): one listen
 *                                  E2 11-09 08:04:40 t2      -> P2 08:04:00 (40 s): two listens (beyond 30 s)
 *                                  E3 11-11 20:30:29 t1      -> P3 20:30:00 (29 s): one
 *                                  E4 11-14 23:59:59 t2 skipped 100000 ms -> P4 23:59:59.5: one, skipped
 *                                  E5 11-15 21:00:00 t5 0 ms -> not a listen
 *                                  E6 11-15 21:10:00 an episode -> not music
 *                                  E7 11-15 21:20:00 local file "Tape" (no track id)
 *                                  E8 11-15 21:30:00 t6 incognito
 *                                  E9 11-15 22:00:10 t3      -> P5 22:00:00: one
 *                                  E10 11-01 10:00:00 t4 (before any poll)
 *   I2      sam       extended     E7, E8, E9 again (a newer export overlapping I1), and
 *                                  E11 11-16 05:30:05 t1     -> P6
 *                                  E12 11-20 18:00:02 t6, E13 11-20 18:04:01 t6 -> P9, P10 (the same track twice)
 *   I3      sam       account data A1 11-15 21:30 Six / Cy 230000 ms  = E8: one listen
 *                                  A2 11-17 07:49 One / Ada 200000 ms -> P8 07:49:10 by name: one
 *                                  A3 10-20 12:00 Old Song / Nobody
 *   I4      kai       extended     K1 11-02 09:00:00 t2 (kai has no profile: their name stands for the id)
 *
 *   u_sam: exports E1-E4, E7-E13, A2, A3 (13) + polls P0, P2, P7, P12, P13 (5; P11 played nothing) = 18
 *   u_mira 4 polls, u_teo 1 poll, kai 1 export.
 */
import { writeCommitRecord, writeProcessedParquet, type ProcessedRun } from '../../local/warehouse/parquet-writer';

type Row = Record<string, unknown>;

export const IMPORT_RUNS: Record<'I1' | 'I2' | 'I3' | 'I4', ProcessedRun> = {
  I1: { runId: '20261116T000000Z-111111', extractDate: '2026-11-16', extractedAt: '2026-11-16T00:00:00Z' },
  I2: { runId: '20261123T000000Z-222222', extractDate: '2026-11-23', extractedAt: '2026-11-23T00:00:00Z' },
  I3: { runId: '20261117T074900Z-333333', extractDate: '2026-11-17', extractedAt: '2026-11-17T07:49:00Z' },
  I4: { runId: '20261102T090000Z-444444', extractDate: '2026-11-02', extractedAt: '2026-11-02T09:00:00Z' },
};

const NAMES: Record<string, [string, string, string]> = {
  t1: ['One', 'Ada', 'Album One'],
  t2: ['Two', 'Ada', 'Album One'],
  t3: ['Three', 'Bo', 'Album Two'],
  t4: ['Four', 'Cy', 'Album Three'],
  t5: ['Five', 'Ada', 'Album One'],
  t6: ['Six', 'Cy', 'Album Three'],
};

function extended(listener: string, endedAt: string, trackId: string | null, ms: number, extra: Row = {}): Row {
  const [track, artist, album] = trackId ? NAMES[trackId] : [null, null, null];
  return {
    listener_name: listener,
    ended_at: endedAt,
    ms_played: ms,
    item_type: 'track',
    item_key: `spotify:track:${trackId}`,
    track_id: trackId,
    track_name: track,
    artist_name: artist,
    album_name: album,
    reason_start: 'trackdone',
    reason_end: 'trackdone',
    shuffle: false,
    skipped: false,
    offline: false,
    incognito_mode: false,
    platform: 'android',
    conn_country: 'DE',
    export_kind: 'extended',
    export_file: 'Streaming_History_Audio_2026_0.json',
    ...extra,
  };
}

function accountData(endedAt: string, track: string, artist: string, ms: number): Row {
  return {
    listener_name: 'sam',
    ended_at: endedAt,
    ms_played: ms,
    item_type: 'track',
    item_key: `names:${artist} - ${track}`,
    track_name: track,
    artist_name: artist,
    export_kind: 'account_data',
    export_file: 'StreamingHistory_music_0.json',
  };
}

const E7 = extended('sam', '2026-11-15 21:20:00', null, 90000, { item_type: 'local_track', item_key: 'spotify:local:Me:Tapes:Tape:90', track_name: 'Tape', artist_name: 'Me', album_name: 'Tapes' });
const E8 = extended('sam', '2026-11-15 21:30:00', 't6', 230000, { incognito_mode: true });
const E9 = extended('sam', '2026-11-15 22:00:10', 't3', 240000);

export const STREAMS: Record<keyof typeof IMPORT_RUNS, Row[]> = {
  I1: [
    extended('sam', '2026-11-09 08:00:03', 't1', 200000),
    extended('sam', '2026-11-09 08:04:40', 't2', 180000),
    extended('sam', '2026-11-11 20:30:29', 't1', 200000),
    extended('sam', '2026-11-14 23:59:59', 't2', 100000, { skipped: true, reason_end: 'fwdbtn' }),
    extended('sam', '2026-11-15 21:00:00', 't5', 0, { skipped: true }),
    extended('sam', '2026-11-15 21:10:00', null, 1200000, { item_type: 'episode', item_key: 'spotify:episode:ep1', episode_name: 'Ep 1', show_name: 'Show' }),
    E7,
    E8,
    E9,
    extended('sam', '2026-11-01 10:00:00', 't4', 210000),
  ],
  I2: [
    E7,
    E8,
    E9,
    extended('sam', '2026-11-16 05:30:05', 't1', 200000),
    extended('sam', '2026-11-20 18:00:02', 't6', 230000),
    extended('sam', '2026-11-20 18:04:01', 't6', 230000),
  ],
  I3: [
    accountData('2026-11-15 21:30:00', 'Six', 'Cy', 230000),
    accountData('2026-11-17 07:49:00', 'One', 'Ada', 200000),
    accountData('2026-10-20 12:00:00', 'Old Song', 'Nobody', 150000),
  ],
  I4: [extended('kai', '2026-11-02 09:00:00', 't2', 180000)],
};

/** Writes each import as the Glue job does (its streams, then its commit record); `attemptId` for a re-transform. */
export async function writeImports(bucketDir: string, which = Object.keys(STREAMS) as Array<keyof typeof STREAMS>, attemptId?: string): Promise<void> {
  for (const name of which) {
    const run = { ...IMPORT_RUNS[name], ...(attemptId ? { attemptId } : {}) };
    await writeProcessedParquet(bucketDir, 'streams', run, STREAMS[name]);
    await writeCommitRecord(bucketDir, run, { streams: STREAMS[name].length }, attemptId ? '2026-12-01T00:00:00Z' : run.extractedAt);
  }
}
