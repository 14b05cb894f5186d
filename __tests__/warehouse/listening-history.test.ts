/**
 * listening_history on the local warehouse: imported exports (fixture-streams.ts) merged with the fixture runs'
 * polled plays, each listen once, by the matching rule of docs/data-contracts.md ("Listening history"). Every
 * number is worked out by hand in fixture-streams.ts.
 */
import { join } from 'node:path';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { tempDir, writeRun } from './fixture-data';
import { writeImports } from './fixture-streams';

describe('listening_history', () => {
  let warehouse: LocalWarehouse;
  let bucket: string;

  beforeAll(async () => {
    bucket = tempDir('listening-history');
    await writeRun(bucket, 'A');
    await writeRun(bucket, 'B');
    await writeImports(bucket);
    warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
    await warehouse.loadProcessed(bucket);
  });
  afterAll(() => warehouse.close());

  const sam = async () =>
    (
      await warehouse.query(
        `SELECT strftime(ended_at, '%Y-%m-%d %H:%M:%S'), source, track_id, track_name, ms_played, skipped
         FROM listening_history WHERE spotify_user_id = 'u_sam' ORDER BY ended_at, source`,
      )
    ).rows;

  const SAM = [
    ['2026-07-28 19:00:00', 'poll', 't4', 'Four', 210000, null],
    ['2026-10-20 12:00:00', 'export', null, 'Old Song', 150000, null], // Account data: names only
    ['2026-11-01 10:00:00', 'export', 't4', 'Four', 210000, false],
    ['2026-11-09 08:00:03', 'export', 't1', 'One', 200000, false], // P1, 3 s earlier, is this listen
    ['2026-11-09 08:04:00', 'poll', 't2', 'Two', 180000, null], // 40 s from E2: beyond the tolerance, two listens
    ['2026-11-09 08:04:40', 'export', 't2', 'Two', 180000, false],
    ['2026-11-11 20:30:29', 'export', 't1', 'One', 200000, false], // P3, 29 s earlier
    ['2026-11-14 23:59:59', 'export', 't2', 'Two', 100000, true], // P4 at .5 s; the export says it was skipped
    ['2026-11-15 21:20:00', 'export', null, 'Tape', 90000, false], // a local file
    ['2026-11-15 21:30:00', 'export', 't6', 'Six', 230000, false], // incognito; also in Account data (A1): once
    ['2026-11-15 22:00:10', 'export', 't3', 'Three', 240000, false], // in I1 and I2, and P5: once
    ['2026-11-16 05:30:05', 'export', 't1', 'One', 200000, false],
    ['2026-11-17 07:45:00', 'poll', 't5', 'Five', 190000, null],
    ['2026-11-17 07:49:00', 'export', null, 'One', 200000, null], // A2 holds P8 (07:49:10) by name
    ['2026-11-20 18:00:02', 'export', 't6', 'Six', 230000, false], // the same track twice: P9 and P10, each once
    ['2026-11-20 18:04:01', 'export', 't6', 'Six', 230000, false],
    ['2026-11-22 12:00:00', 'poll', 't2', 'Two', 180000, null],
    ['2026-11-23 05:00:00', 'poll', 't5', 'Five', 190000, null],
  ];

  test("merges a listener's exports and polls, each listen once, music only", async () => {
    expect(await sam()).toEqual(SAM);
    const counts = await warehouse.query(`SELECT spotify_user_id, source, COUNT(*) FROM listening_history GROUP BY 1, 2 ORDER BY 1, 2`);
    expect(counts.rows).toEqual([
      ['kai', 'export', 1], // no profile yet: the listener name stands for the id
      ['u_mira', 'poll', 4],
      ['u_sam', 'export', 13],
      ['u_sam', 'poll', 5],
      ['u_teo', 'poll', 1],
    ]);
    // The streams table keeps what the view leaves out: the 0 ms streams and the episodes (two of each ride in the
    // fixture runs themselves).
    const left = await warehouse.query(`SELECT item_type, ms_played FROM committed_streams WHERE item_type = 'episode' OR ms_played = 0 ORDER BY 1, 2`);
    expect(left.rows).toEqual([['episode', 1200000], ['episode', 1500000], ['track', 0], ['track', 0]]);
  });

  test("a poll's artist is the track's first credit and its album the current album name", async () => {
    const poll = await warehouse.query(
      `SELECT artist_name, album_name FROM listening_history WHERE spotify_user_id = 'u_sam' AND source = 'poll' AND track_id = 't2' ORDER BY ended_at LIMIT 1`,
    );
    const expected = await warehouse.query(
      `SELECT a.artist_name, al.album_name FROM current_track_artists AS ta JOIN current_artists AS a ON a.artist_id = ta.artist_id
       JOIN current_tracks AS t ON t.track_id = ta.track_id LEFT JOIN current_albums AS al ON al.album_id = t.album_id
       WHERE ta.track_id = 't2' ORDER BY ta.artist_position LIMIT 1`,
    );
    expect(poll.rows).toEqual([[expected.rows[0][0], null]]); // the fixture plays carry no album id
    expect(expected.rows[0][0]).toBe('Ada L');
  });

  test('importing the same export again (a new attempt of the same import) adds nothing', async () => {
    await writeImports(bucket, ['I1', 'I2'], 'attempt-2');
    await warehouse.loadProcessed(bucket);
    expect(await sam()).toEqual(SAM);
  });
});
