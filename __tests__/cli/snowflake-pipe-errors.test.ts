/** Where each pipe reports its load errors, read from SHOW PIPES (as snowflake-sdk returns it: lower-case columns). */
import { pipeErrorRouting } from '../../cli/snowflake-pipe-errors';
import { TABLE_NAMES } from '../../schemas/table-schemas';

const showPipes = (rows: [string, string | null][]) => async (sql: string) => {
  expect(sql).toBe('SHOW PIPES IN SCHEMA SPOTIFY.RAW');
  return { columns: ['created_on', 'name', 'database_name', 'schema_name', 'error_integration'], rows: rows.map(([n, e]) => ['2026-11-30', n, 'SPOTIFY', 'RAW', e]) };
};

test('names the integration of each pipe the stack created, and "none" for a missing pipe or integration', async () => {
  const rows = TABLE_NAMES.filter((t) => t !== 'albums').map((t): [string, string | null] => [`${t.toUpperCase()}_PIPE`, t === 'tracks' ? null : 'SPOTIFY_PIPELINE_PROD_PIPE_ERRORS']);
  const routing = await pipeErrorRouting(showPipes(rows), 'SPOTIFY', 'RAW');
  expect(routing).toHaveLength(TABLE_NAMES.length);
  expect(routing.find((r) => r.table === 'artists')).toEqual({ table: 'artists', pipe: 'SPOTIFY.RAW.ARTISTS_PIPE', errorIntegration: 'SPOTIFY_PIPELINE_PROD_PIPE_ERRORS', exists: true });
  expect(routing.find((r) => r.table === 'tracks')).toMatchObject({ errorIntegration: null, exists: true });
  expect(routing.find((r) => r.table === 'albums')).toMatchObject({ errorIntegration: null, exists: false });
});

test('an unexpected SHOW PIPES answer is an error, not a silent "nowhere"', async () => {
  await expect(pipeErrorRouting(async () => ({ columns: ['name'], rows: [] }), 'SPOTIFY', 'RAW')).rejects.toThrow(/without name\/error_integration/);
});
