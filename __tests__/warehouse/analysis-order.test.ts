/**
 * Every analysis orders its rows completely: each ORDER BY ends on a unique key, so the same data gives the same
 * rows in the same order whatever order the rows were loaded in, and run after run (names repeat: two playlists
 * called "Mix", every track called "Intro", two artists called "Band").
 *
 * Speed: planning an analysis over the layered views costs DuckDB ~100 ms of CPU, running it on this little data
 * a fraction of that; each analysis is prepared once per warehouse and run from the plan, and each analysis and
 * load order is a test of its own, so no single test nears the timeout on a loaded machine.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { LocalWarehouse, SESSION_SETTINGS } from '../../local/warehouse/local-warehouse';
import { analysisSql, listAnalysisFiles } from '../../warehouse/snowflake-sql';
import type { ProcessedRun } from '../../local/warehouse/parquet-writer';
import { writeCommitRecord, writeProcessedParquet } from '../../local/warehouse/parquet-writer';
import { tempDir } from './fixture-data';

const WEEK1: ProcessedRun = { runId: '20261116T060000Z-aaaaaa', extractDate: '2026-11-16', extractedAt: '2026-11-16T06:00:00Z' };
const WEEK2: ProcessedRun = { runId: '20261123T060000Z-bbbbbb', extractDate: '2026-11-23', extractedAt: '2026-11-23T06:00:00Z' };
const PLAYLISTS: Record<string, string> = { p1: 'Mix', p2: 'Mix', p3: 'Solo' };
const CONTENT: Record<string, Record<string, string[]>> = {
  [WEEK1.runId]: { p1: ['x1', 'x2', 'x3', 'x4'], p2: ['x5', 'x6', 'x7', 'x8'], p3: ['x1', 'x5'] },
  [WEEK2.runId]: { p1: ['x2', 'x1', 'x4', 'x9'], p2: ['x6', 'x5', 'x8', 'x10'], p3: ['x5', 'x1'] },
};

function runData(run: ProcessedRun): Record<string, Array<Record<string, unknown>>> {
  const content = CONTENT[run.runId];
  const trackIds = [...new Set(Object.values(content).flat())].sort();
  return {
    playlist_snapshots: Object.keys(content).map((id) => ({ playlist_id: id, playlist_name: PLAYLISTS[id], items_total: content[id].length })),
    playlist_tracks: Object.entries(content).flatMap(([playlist, tracks]) =>
      tracks.map((track, position) => ({ playlist_id: playlist, position, item_type: 'track', item_id: track, item_name: 'Intro', track_id: track, is_local: false })),
    ),
    tracks: trackIds.map((id, n) => ({ track_id: id, track_name: 'Intro', album_id: `al${n % 2}`, explicit: n % 2 === 0 })),
    albums: [0, 1].map((n) => ({ album_id: `al${n}`, album_name: 'Album', release_date: '2020-01-01' })),
    artists: [
      { artist_id: 'a1', artist_name: 'Band' },
      { artist_id: 'a2', artist_name: 'Band' },
    ],
    track_artists: trackIds.map((id, n) => ({ track_id: id, artist_id: n % 2 === 0 ? 'a1' : 'a2', artist_position: 0 })),
    // Both listeners (named alike) have top lists, and a run from before listeners (no user id) one too.
    user_top_items: [null, 'u1', 'u2'].flatMap((user) =>
      trackIds.map((id, n) => ({ spotify_user_id: user, item_type: 'track', time_range: 'short_term', rank: n + 1, item_id: id, item_name: 'Intro' })),
    ),
    ...listening(run, trackIds),
  };
}

/** Two listeners with the same name playing tracks all called "Intro" by artists all called "Band", tied counts. */
function listening(run: ProcessedRun, trackIds: string[]): Record<string, Array<Record<string, unknown>>> {
  const day = run.extractDate; // a Monday: plays on the Saturday and Sunday before, and that morning
  const at = (offsetHours: number) => new Date(Date.parse(`${day}T06:00:00Z`) - offsetHours * 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
  const users = ['u1', 'u2'];
  return {
    plays: users.flatMap((user) =>
      trackIds.map((track, n) => ({
        spotify_user_id: user,
        played_at: at(n * 7 + 1),
        item_type: 'track',
        track_id: track,
        track_name: 'Intro',
        duration_ms: 200_000,
        context_type: n % 3 === 0 ? 'playlist' : n % 3 === 1 ? 'album' : null,
      })),
    ),
    saved_tracks: users.flatMap((user) => ['x1', 'x3', 'x11', 'x12'].map((track, position) => ({ spotify_user_id: user, track_id: track, added_at: '2026-01-01 00:00:00', position, track_name: 'Intro' }))),
    followed_artists: users.flatMap((user) => ['a1', 'a2'].map((artist, position) => ({ spotify_user_id: user, artist_id: artist, artist_name: 'Band', position }))),
    listener_profiles: users.map((user) => ({ spotify_user_id: user, listener_name: 'twin', display_name: 'Twin' })),
  };
}

/** Writes both weeks, every file's rows in the given order or reversed, loads them, and returns the warehouse file. */
async function warehouseWith(reversed: boolean): Promise<string> {
  const bucket = tempDir(`analysis-order-${reversed ? 'reversed' : 'forward'}`);
  for (const run of reversed ? [WEEK2, WEEK1] : [WEEK1, WEEK2]) {
    const data = runData(run);
    for (const [table, rows] of Object.entries(data)) await writeProcessedParquet(bucket, table, run, reversed ? [...rows].reverse() : rows);
    await writeCommitRecord(bucket, run, Object.fromEntries(Object.entries(data).map(([t, rows]) => [t, rows.length])), run.extractedAt);
  }
  const warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
  await warehouse.loadProcessed(bucket);
  await warehouse.close();
  return warehouse.file;
}

/** The warehouse file with the session the local warehouse sets (UTC, Snowflake's null order). */
async function connect(file: string): Promise<{ connection: DuckDBConnection; close(): void }> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  for (const setting of SESSION_SETTINGS) await connection.run(setting);
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

interface Answer {
  columns: string[];
  rows: unknown[][];
}

/** Runs an analysis `times` times from one prepared plan (the same SQL the warehouse runs). */
async function runRepeatedly(connection: DuckDBConnection, name: string, times: number): Promise<Answer[]> {
  const prepared = await connection.prepare(analysisSql(name));
  const answers: Answer[] = [];
  for (let n = 0; n < times; n += 1) {
    const reader = await prepared.runAndReadAll();
    answers.push({ columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] });
  }
  prepared.destroySync();
  return answers;
}

const ANALYSES = listAnalysisFiles().map((a) => a.name);
// Loading both warehouses is the slow part of the file: on a loaded machine it gets longer than a test.
const SETUP_TIMEOUT_MS = 300_000;

describe('analysis row order', () => {
  const files: Record<'forward' | 'reversed', string> = { forward: '', reversed: '' };
  beforeAll(async () => {
    files.forward = await warehouseWith(false);
    files.reversed = await warehouseWith(true);
  }, SETUP_TIMEOUT_MS);

  test('the test data has the ties that matter: repeated names in the rows of the analyses', async () => {
    const forward = await LocalWarehouse.open(files.forward);
    try {
      const drops = await forward.runAnalysis('drop_outs_and_movers_this_week');
      expect(drops.rows.filter((r) => r[0] === 'Mix' && r[2] === 'drop_out')).toHaveLength(2);
      expect((await forward.runAnalysis('new_entries_this_week')).rows).toHaveLength(2);
      // Two listeners named alike and a run from before listeners, each with the same top list.
      const top = await forward.runAnalysis('my_top_tracks_now');
      expect(top.rows.filter((r) => r[2] === 'short_term' && r[3] === 1).map((r) => [r[0], r[1]])).toEqual([['u1', 'twin'], ['u2', 'twin'], [null, null]]);
      expect(forward.listAnalyses().map((a) => a.name)).toEqual(ANALYSES);
    } finally {
      await forward.close();
    }
  });

  describe('every analysis gives the same rows in the same order, whatever the load order, run after run', () => {
    const warehouses: Partial<Record<'forward' | 'reversed', Awaited<ReturnType<typeof connect>>>> = {};
    const expected = new Map<string, Answer>();
    beforeAll(async () => {
      warehouses.forward = await connect(files.forward);
      warehouses.reversed = await connect(files.reversed);
    }, SETUP_TIMEOUT_MS);
    afterAll(() => {
      warehouses.forward?.close();
      warehouses.reversed?.close();
    });

    /** The forward warehouse's first answer: what every run of either warehouse must give. */
    async function expectedAnswer(name: string): Promise<Answer> {
      if (!expected.has(name)) {
        const [answer] = await runRepeatedly(warehouses.forward!.connection, name, 1);
        expect(answer.rows.length).toBeGreaterThan(0);
        expected.set(name, answer);
      }
      return expected.get(name)!;
    }

    test.each(ANALYSES.flatMap((name) => [[name, 'forward'] as const, [name, 'reversed'] as const]))('%s (%s)', async (name, which) => {
      const want = await expectedAnswer(name);
      for (const answer of await runRepeatedly(warehouses[which]!.connection, name, 5)) {
        expect({ analysis: name, ...answer }).toEqual({ analysis: name, ...want });
      }
    });
  });
});
