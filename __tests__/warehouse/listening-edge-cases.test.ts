/**
 * The listening analyses on the edges: ISO weeks across a year boundary (2026 has 53 ISO weeks: the week of Monday
 * 2026-12-28 runs to Sunday 2027-01-03), a week in which the listener was silent, ties in ranks, a track played the
 * week before last but not last week, a listener's very first week, a listener with plays but no profile and one
 * with saved tracks but no plays. Every number below is worked out by hand from these rows. Hours are UTC.
 *
 *   listener  plays (track: duration)                                   weeks (Monday)
 *   u_ana     Q1 2026-12-21 10:00 k1   Q2 2026-12-27 23:59:59.999 k2     2026-12-21
 *             Q3 2026-12-28 00:00 k1   Q4 2027-01-01 00:30 k3            2026-12-28 (53rd ISO week of 2026)
 *             Q5 2027-01-03 23:00 k2   Q6 2027-01-03 23:30 k4
 *             (silent in the week of 2027-01-04)
 *             Q7 2027-01-11 07:00 k1   Q8 2027-01-11 07:05 k5            2027-01-11
 *   u_bo      B1 2027-01-01 12:00 k3   (no profile)                      2026-12-28
 *   u_cy      no plays; saved tracks k1 and k5 (run R)
 *
 * Durations: k1 60000, k2 120000, k3 180000, k4 240000, k5 30000 ms. Credits: k1 a1; k2 a2; k3 a1, a2; k4 a3; k5 a3.
 */
import { join } from 'node:path';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { writeCommitRecord, writeProcessedParquet, type ProcessedRun } from '../../local/warehouse/parquet-writer';
import { tempDir } from './fixture-data';

const RUN: ProcessedRun = { runId: '20270112T060000Z-eeeeee', extractDate: '2027-01-12', extractedAt: '2027-01-12T06:00:00Z' };
const DURATION: Record<string, number> = { k1: 60000, k2: 120000, k3: 180000, k4: 240000, k5: 30000 };
const CREDITS: Record<string, string[]> = { k1: ['a1'], k2: ['a2'], k3: ['a1', 'a2'], k4: ['a3'], k5: ['a3'] };

const play = (user: string, playedAt: string, trackId: string) => ({
  spotify_user_id: user,
  played_at: playedAt,
  item_type: 'track',
  track_id: trackId,
  track_name: trackId.toUpperCase(),
  duration_ms: DURATION[trackId],
  context_type: null,
});

const DATA: Record<string, Array<Record<string, unknown>>> = {
  plays: [
    play('u_ana', '2026-12-21 10:00:00', 'k1'),
    play('u_ana', '2026-12-27 23:59:59.999', 'k2'),
    play('u_ana', '2026-12-28 00:00:00', 'k1'),
    play('u_ana', '2027-01-01 00:30:00', 'k3'),
    play('u_ana', '2027-01-03 23:00:00', 'k2'),
    play('u_ana', '2027-01-03 23:30:00', 'k4'),
    play('u_ana', '2027-01-11 07:00:00', 'k1'),
    play('u_ana', '2027-01-11 07:05:00', 'k5'),
    play('u_bo', '2027-01-01 12:00:00', 'k3'),
  ],
  tracks: Object.keys(DURATION).map((id) => ({ track_id: id, track_name: id.toUpperCase(), duration_ms: DURATION[id] })),
  artists: ['a1', 'a2', 'a3'].map((id) => ({ artist_id: id, artist_name: id.toUpperCase() })),
  track_artists: Object.entries(CREDITS).flatMap(([track_id, ids]) => ids.map((artist_id, artist_position) => ({ track_id, artist_id, artist_position }))),
  saved_tracks: [
    { spotify_user_id: 'u_cy', track_id: 'k1', added_at: '2026-12-01 00:00:00', position: 0, track_name: 'K1' },
    { spotify_user_id: 'u_cy', track_id: 'k5', added_at: null, position: 1, track_name: 'K5' },
  ],
  library_snapshots: [{ spotify_user_id: 'u_cy', library: 'saved_tracks', items: 2, items_total: 2 }],
  listener_profiles: [
    { spotify_user_id: 'u_ana', listener_name: 'ana', display_name: 'Ana' },
    { spotify_user_id: 'u_cy', listener_name: null, display_name: null },
  ],
};

describe('listening analyses on the edges', () => {
  let warehouse: LocalWarehouse;
  const rows = async (name: string) => (await warehouse.runAnalysis(name)).rows;

  beforeAll(async () => {
    const bucket = tempDir('listening-edges');
    for (const [table, tableRows] of Object.entries(DATA)) await writeProcessedParquet(bucket, table, RUN, tableRows);
    await writeCommitRecord(bucket, RUN, Object.fromEntries(Object.entries(DATA).map(([t, r]) => [t, r.length])));
    warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
    await warehouse.loadProcessed(bucket);
  });
  afterAll(() => warehouse.close());

  test('weeks are ISO weeks in UTC across the year boundary', async () => {
    const weeks = await warehouse.query(`SELECT played_at, week_start FROM current_plays WHERE spotify_user_id = 'u_ana' ORDER BY 1`);
    expect(weeks.rows.map((r) => r[1])).toEqual([
      '2026-12-21', '2026-12-21', '2026-12-28', '2026-12-28', '2026-12-28', '2026-12-28', '2027-01-11', '2027-01-11',
    ]);
  });

  test('listening_time_per_week: every week from the listener\'s first, a silent one too (0), latest first', async () => {
    expect(await rows('listening_time_per_week')).toEqual([
      ['u_ana', 'ana', '2027-01-11', 2, 1.5], // 60000 + 30000 ms
      ['u_bo', 'u_bo', '2027-01-11', 0, 0],
      ['u_ana', 'ana', '2027-01-04', 0, 0], // nobody listened that week: still a week of each listener
      ['u_bo', 'u_bo', '2027-01-04', 0, 0],
      ['u_ana', 'ana', '2026-12-28', 4, 10], // 60000 + 180000 + 120000 + 240000
      ['u_bo', 'u_bo', '2026-12-28', 1, 3],
      ['u_ana', 'ana', '2026-12-21', 2, 3], // 60000 + 120000
    ]);
  });

  test('top artists and tracks: ties share a rank, the order ends on the id, last week with none is 0', async () => {
    expect(await rows('top_artists_by_plays_per_week')).toEqual([
      ['u_ana', 'ana', '2027-01-11', 'a1', 'A1', 1, 0, 1], // the week before was silent
      ['u_ana', 'ana', '2027-01-11', 'a3', 'A3', 1, 0, 1],
      ['u_ana', 'ana', '2026-12-28', 'a1', 'A1', 2, 1, 1], // k1, k3
      ['u_ana', 'ana', '2026-12-28', 'a2', 'A2', 2, 1, 1], // k3, k2
      ['u_ana', 'ana', '2026-12-28', 'a3', 'A3', 1, 0, 3],
      ['u_bo', 'u_bo', '2026-12-28', 'a1', 'A1', 1, 0, 1],
      ['u_bo', 'u_bo', '2026-12-28', 'a2', 'A2', 1, 0, 1],
      ['u_ana', 'ana', '2026-12-21', 'a1', 'A1', 1, 0, 1],
      ['u_ana', 'ana', '2026-12-21', 'a2', 'A2', 1, 0, 1],
    ]);
    expect((await rows('top_tracks_by_plays_per_week')).map((r) => [r[0], r[2], r[3], r[6], r[7], r[8]])).toEqual([
      ['u_ana', '2027-01-11', 'k1', 1, 0, 1], // k1 was played two weeks before, not the week before
      ['u_ana', '2027-01-11', 'k5', 1, 0, 1],
      ['u_ana', '2026-12-28', 'k1', 1, 1, 1],
      ['u_ana', '2026-12-28', 'k2', 1, 1, 1],
      ['u_ana', '2026-12-28', 'k3', 1, 0, 1],
      ['u_ana', '2026-12-28', 'k4', 1, 0, 1],
      ['u_bo', '2026-12-28', 'k3', 1, 0, 1],
      ['u_ana', '2026-12-21', 'k1', 1, 0, 1],
      ['u_ana', '2026-12-21', 'k2', 1, 0, 1],
    ]);
  });

  test('discovery: a listener\'s first week is all discovery; a track counts as discovered once', async () => {
    expect(await rows('discovery_rate_per_week')).toEqual([
      ['u_ana', 'ana', '2027-01-11', 2, 1, 50], // k5 new, k1 not
      ['u_ana', 'ana', '2026-12-28', 4, 2, 50], // k3 and k4 new; k1 and k2 heard the week before
      ['u_bo', 'u_bo', '2026-12-28', 1, 1, 100],
      ['u_ana', 'ana', '2026-12-21', 2, 2, 100],
    ]);
  });

  test('hours and weekdays in UTC: Friday 1 January 2027 is weekday 5 of the week of 28 December', async () => {
    expect((await rows('listening_by_hour_and_weekday')).map((r) => [r[0], r[2], r[3], r[4], r[5]])).toEqual([
      ['u_ana', '2027-01-11', 1, 7, 2],
      ['u_ana', '2026-12-28', 1, 0, 1],
      ['u_ana', '2026-12-28', 5, 0, 1],
      ['u_ana', '2026-12-28', 7, 23, 2],
      ['u_bo', '2026-12-28', 5, 12, 1],
      ['u_ana', '2026-12-21', 1, 10, 1],
      ['u_ana', '2026-12-21', 7, 23, 1],
    ]);
  });

  test('saved but not played: a listener with no plays has played none of their saved tracks', async () => {
    expect(await rows('saved_not_played_90_days')).toEqual([
      ['u_cy', 'u_cy', 'k1', 'K1', 'A1', '2026-12-01T00:00:00.000Z'],
      ['u_cy', 'u_cy', 'k5', 'K5', 'A3', null],
    ]);
  });

  test('listeners: plays without a profile name the listener by their id', async () => {
    expect((await warehouse.query(`SELECT spotify_user_id, listener_name FROM listeners ORDER BY 1`)).rows).toEqual([
      ['u_ana', 'ana'],
      ['u_bo', 'u_bo'],
      ['u_cy', 'u_cy'],
    ]);
  });
});
