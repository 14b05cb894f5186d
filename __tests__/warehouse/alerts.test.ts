/**
 * The Snowflake alerts' conditions (warehouse/alerts.ts), run where they can run: the checks' union and the weekly
 * commit's silence on the local warehouse (DuckDB), on the fixture's two weekly runs. The scheduling functions
 * (SNOWFLAKE.ALERT.*) exist only in Snowflake, so the run scope is given here as a plain query.
 */
import { join } from 'node:path';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { duckdbSpelling } from '../../local/warehouse/snowflake-on-duckdb';
import { checksCondition, notifyAction, pipeFreshnessCondition, runsCommittedSinceLastAlert, weeklyCommitCondition } from '../../warehouse/alerts';
import { RUN_A, RUN_B, tempDir, writeRun } from './fixture-data';

describe('alert conditions on the local warehouse', () => {
  let warehouse: LocalWarehouse;
  const rows = async (sql: string) => (await warehouse.query(duckdbSpelling(sql))).rows;

  beforeAll(async () => {
    const bucket = tempDir('alerts');
    await writeRun(bucket, 'A');
    await writeRun(bucket, 'B');
    warehouse = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
    await warehouse.loadProcessed(bucket);
  });
  afterAll(async () => warehouse.close());

  test('the checks condition answers nothing when every check passes, and each failed check with its run otherwise', async () => {
    expect(await rows(checksCondition('SELECT DISTINCT run_id FROM transform_commits'))).toEqual([]);
    const failed = await rows(checksCondition(`SELECT '${RUN_B.runId}' AS run_id UNION ALL SELECT '20261130T060000Z-cccccc'`));
    expect(failed).toEqual([
      [
        'committed_attempts',
        'visible_attempt',
        'run 20261130T060000Z-cccccc shows no attempt: no commit record loaded, or not all rows its commit lists',
        `${RUN_B.runId}, 20261130T060000Z-cccccc`,
      ],
    ]);
  });

  test('the checks look at the runs committed since the alert last ran, less the time Snowpipe needs', () => {
    expect(runsCommittedSinceLastAlert(60)).toBe(
      'SELECT DISTINCT run_id FROM transform_commits WHERE loaded_at >= DATEADD(minute, -60, ' +
        'COALESCE(SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME(), DATEADD(day, -7, SNOWFLAKE.ALERT.SCHEDULED_TIME()))) ' +
        'AND loaded_at < DATEADD(minute, -60, SNOWFLAKE.ALERT.SCHEDULED_TIME())',
    );
    expect(checksCondition()).toContain(runsCommittedSinceLastAlert());
  });

  test('the weekly commit condition is silent within the limit and names the last commit after it', async () => {
    expect(await rows(weeklyCommitCondition(192, "TIMESTAMP '2026-11-30 06:00:00'"))).toEqual([]);
    const [[table, check, detail]] = await rows(weeklyCommitCondition(192, "TIMESTAMP '2026-12-07 06:00:00'"));
    expect([table, check]).toEqual(['committed_attempts', 'weekly_commit']);
    expect(detail).toMatch(/^the last weekly run committed and loaded was committed at 2026-11-23.*, more than 192 hours ago$/);
    // A plays poll's commit is not a weekly run; no commit at all is an alarm (missing data counts as breaching).
    expect(RUN_A.runId).not.toMatch(/-p/);
    const empty = await LocalWarehouse.open(':memory:');
    try {
      expect((await empty.query(duckdbSpelling(weeklyCommitCondition(192, "TIMESTAMP '2026-12-07 06:00:00'")))).rows).toEqual([
        ['committed_attempts', 'weekly_commit', 'no weekly run has been committed and loaded yet'],
      ]);
    } finally {
      await empty.close();
    }
  });

  test('the pipe condition asks SYSTEM$PIPE_STATUS of every pipe, fully qualified', () => {
    const sql = pipeFreshnessCondition({ database: 'SPOTIFY', schema: 'RAW', tables: ['tracks', 'plays'], idleHours: 192, pendingMinutes: 120 });
    expect(sql).toContain("PARSE_JSON(SYSTEM$PIPE_STATUS('SPOTIFY.RAW.TRACKS_PIPE'))");
    expect(sql).toContain("PARSE_JSON(SYSTEM$PIPE_STATUS('SPOTIFY.RAW.PLAYS_PIPE'))");
    expect(sql).toContain("WHEN table_name = 'transform_commits' AND last_ingested_at IS NULL");
    expect(sql).toContain("WHEN table_name = 'transform_commits' AND last_ingested_at < DATEADD(hour, -192, CURRENT_TIMESTAMP())");
    expect(() => pipeFreshnessCondition({ database: 'SPOTIFY', schema: 'RAW', tables: [], idleHours: 0, pendingMinutes: 1 })).toThrow(
      'idleHours must be a whole number above 0 (got 0)',
    );
  });

  test('the action sends the rows as one JSON message through the integration', () => {
    const action = notifyAction({ alert: 'DATA_QUALITY_CHECKS', database: 'SPOTIFY', schema: 'RAW', summary: 'checks failed', integration: 'X_ALERTS' });
    expect(action).toMatch(/^EXECUTE IMMEDIATE \$\$/);
    expect(action).toContain("'alert', 'DATA_QUALITY_CHECKS'");
    expect(action).toContain('RESULT_SCAN(SNOWFLAKE.ALERT.GET_CONDITION_QUERY_UUID())');
    expect(action).toContain("SNOWFLAKE.NOTIFICATION.INTEGRATION('X_ALERTS')");
    expect(() => notifyAction({ alert: 'A', database: 'D', schema: 'S', summary: "it's", integration: 'I' })).toThrow(/no quote/);
  });
});
