/**
 * The listening views and the contract the dashboard relies on (LISTENING-CONTRACT): plays counted once however
 * often polled, the latest library snapshot per listener, listener names, and analyses that a caller can wrap
 * and filter by listener and week.
 */
import { join } from 'node:path';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { tempDir, writeRun } from './fixture-data';
import { LISTENING_EXPECTED } from './expected-listening-analyses';
import { analysisSql } from '../../warehouse/snowflake-sql';

/** Columns that identify one row of each listening analysis (its ORDER BY ends on them). */
const ROW_KEYS: Record<string, string[]> = {
  listening_time_per_week: ['spotify_user_id', 'week_start'],
  top_artists_by_plays_per_week: ['spotify_user_id', 'week_start', 'artist_id'],
  top_tracks_by_plays_per_week: ['spotify_user_id', 'week_start', 'track_id'],
  discovery_rate_per_week: ['spotify_user_id', 'week_start'],
  listening_by_hour_and_weekday: ['spotify_user_id', 'week_start', 'iso_weekday', 'hour_of_day'],
  saved_not_played_90_days: ['spotify_user_id', 'track_id'],
  plays_by_context: ['spotify_user_id', 'week_start', 'context'],
};

describe('listening views and analyses', () => {
  let warehouse: LocalWarehouse;

  beforeAll(async () => {
    const bucket = tempDir('listening-views');
    await writeRun(bucket, 'A');
    await writeRun(bucket, 'B');
    warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
    await warehouse.loadProcessed(bucket);
  });
  afterAll(() => warehouse.close());

  test('current_plays holds each play once, from its latest poll', async () => {
    const loaded = await warehouse.query(`SELECT COUNT(*) FROM plays`);
    const current = await warehouse.query(
      `SELECT spotify_user_id, COUNT(*), COUNT(DISTINCT played_at) FROM current_plays GROUP BY spotify_user_id ORDER BY 1`,
    );
    expect(loaded.rows).toEqual([[21]]); // 7 + 14 polled rows
    expect(current.rows).toEqual([
      ['u_mira', 4, 4],
      ['u_sam', 14, 14], // P5 and P6 were polled by both runs
      ['u_teo', 1, 1],
    ]);
    const twice = await warehouse.query(
      `SELECT played_at, run_id, week_start FROM current_plays WHERE spotify_user_id = 'u_sam' AND played_at IN ('2026-11-15 22:00:00', '2026-11-16 05:30:00') ORDER BY 1`,
    );
    expect(twice.rows).toEqual([
      ['2026-11-15T22:00:00.000Z', '20261123T060000Z-bbbbbb', '2026-11-09'],
      ['2026-11-16T05:30:00.000Z', '20261123T060000Z-bbbbbb', '2026-11-16'],
    ]);
  });

  test('current_saved_tracks and current_followed_artists are each listener\'s latest snapshot', async () => {
    const saved = await warehouse.query(`SELECT spotify_user_id, track_id FROM current_saved_tracks ORDER BY 1, position`);
    expect(saved.rows).toEqual([
      ['u_mira', 't2'],
      ['u_mira', 't4'],
      ['u_sam', 't6'],
      ['u_sam', 't4'],
      ['u_sam', 't3'],
      ['u_sam', 't1'],
    ]);
    const followed = await warehouse.query(`SELECT spotify_user_id, artist_id, artist_name FROM current_followed_artists ORDER BY 1, position`);
    expect(followed.rows).toEqual([
      ['u_mira', 'ar3', 'Cy'],
      ['u_sam', 'ar1', 'Ada L'],
      ['u_sam', 'ar3', 'Cy'], // ar2 was unfollowed between the runs
    ]);
  });

  test('listeners: the configured name, else the display name, else the user id', async () => {
    const listeners = await warehouse.query(`SELECT spotify_user_id, listener_name FROM listeners ORDER BY 1`);
    expect(listeners.rows).toEqual([
      ['u_mira', 'Mira'],
      ['u_sam', 'sam'],
      ['u_teo', 'u_teo'],
    ]);
  });

  test('listeners: the account id of the latest profile that has one; NULL for listeners never read with one', async () => {
    const listeners = await warehouse.query(`SELECT spotify_user_id, account_id FROM listeners ORDER BY 1`);
    expect(listeners.rows).toEqual([
      ['u_mira', null],
      ['u_sam', 'acct_sam'],
      ['u_teo', null],
    ]);
  });

  test.each(Object.keys(ROW_KEYS))('%s: one row per key, and a caller can wrap it to filter listener and week', async (name) => {
    const all = await warehouse.runAnalysis(name);
    const keyIndexes = ROW_KEYS[name].map((k) => all.columns.indexOf(k));
    expect(keyIndexes).not.toContain(-1);
    const keys = all.rows.map((row) => JSON.stringify(keyIndexes.map((i) => row[i])));
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(all.rows.map((row) => row[0]))).toEqual(new Set(['u_sam', 'u_mira', ...(name === 'saved_not_played_90_days' ? [] : ['u_teo'])]));

    const hasWeek = all.columns.includes('week_start');
    const filtered = await warehouse.query(
      `SELECT * FROM (${analysisSql(name)}) AS a WHERE a.spotify_user_id = $1${hasWeek ? ' AND a.week_start = $2' : ''}`,
      hasWeek ? ['u_sam', '2026-11-16'] : ['u_sam'],
    );
    const weekIndex = all.columns.indexOf('week_start');
    const expected = LISTENING_EXPECTED[name].rows.filter((row) => row[0] === 'u_sam' && (!hasWeek || row[weekIndex] === '2026-11-16'));
    expect(filtered.columns).toEqual(all.columns);
    expect(new Set(filtered.rows.map((r) => JSON.stringify(r)))).toEqual(new Set(expected.map((r) => JSON.stringify(r))));
    expect(filtered.rows.length).toBeGreaterThan(0);
  });

  test('every listening analysis runs on a warehouse without listening data and answers no rows', async () => {
    const empty = await LocalWarehouse.open(':memory:');
    try {
      for (const name of Object.keys(ROW_KEYS)) expect((await empty.runAnalysis(name)).rows).toEqual([]);
    } finally {
      await empty.close();
    }
  });
});
