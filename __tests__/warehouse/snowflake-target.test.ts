/**
 * The Snowflake path of the warehouse commands, over snowflake-sdk's real protocol (HTTP, gzip bodies, key-pair
 * JWT login, JSON rowsets) against the local stand-in in local/fakes/snowflake/, which runs the SQL on DuckDB.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { SnowflakeWarehouse, snowflakeSettingsFromConfig, type SnowflakeSettings } from '../../warehouse/snowflake-warehouse';
import { startFakeSnowflake, type FakeSnowflake } from '../../local/fakes/snowflake/server';
import { loadConfig } from '../../config/pipeline-config';
import { TABLE_NAMES } from '../../schemas/table-schemas';
import { RUN_B, tempDir, writeRun } from './fixture-data';
import { EXPECTED } from './expected-analyses';

const keys = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

describe('SnowflakeWarehouse through snowflake-sdk against the local stand-in', () => {
  const { publicKey, privateKey } = keys();
  let bucket: string;
  let local: LocalWarehouse;
  let fake: FakeSnowflake;
  let settings: SnowflakeSettings;
  let snowflake: SnowflakeWarehouse;

  beforeAll(async () => {
    bucket = tempDir('snowflake-target');
    await writeRun(bucket, 'A');
    await writeRun(bucket, 'B');
    // One broken file, so COPY_HISTORY has an error to report.
    const broken = join(bucket, `processed/albums/extract_date=2026-11-23/run_id=${RUN_B.runId}/attempt_id=attempt-1`);
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'part-00001.parquet'), 'truncated upload');
    local = await LocalWarehouse.open(join(bucket, 'warehouse.duckdb'));
    await local.loadProcessed(bucket);
    fake = await startFakeSnowflake({
      warehouse: local,
      account: 'MYORG-MYACCOUNT',
      user: 'PIPELINE_READER',
      publicKeyPem: publicKey,
      database: 'SPOTIFY',
      schema: 'RAW',
    });
    const keyFile = join(bucket, 'rsa_key.p8');
    writeFileSync(keyFile, privateKey);
    settings = snowflakeSettingsFromConfig(
      loadConfig('dev'),
      { SNOWFLAKE_PRIVATE_KEY_PATH: keyFile, SNOWFLAKE_ACCESS_URL: fake.url } as NodeJS.ProcessEnv,
    );
    settings = { ...settings, account: 'MYORG-MYACCOUNT', username: 'PIPELINE_READER', database: 'SPOTIFY', schema: 'RAW' };
    snowflake = await SnowflakeWarehouse.connect(settings);
  });

  afterAll(async () => {
    await snowflake?.close();
    await fake?.close();
    await local?.close();
  });

  test.each(Object.keys(EXPECTED))('analysis %s gives the same answer as on DuckDB', async (name) => {
    expect(await snowflake.runAnalysis(name)).toEqual(EXPECTED[name]);
  });

  test('table status matches the local warehouse', async () => {
    expect(await snowflake.tableStatus()).toEqual(await local.tableStatus());
  });

  test('pipe status per table, fully qualified pipe names', async () => {
    const pipes = await snowflake.pipeStatus();
    expect(pipes.map((p) => p.pipe)).toEqual(TABLE_NAMES.map((t) => `SPOTIFY.RAW.${t.toUpperCase()}_PIPE`));
    for (const pipe of pipes) {
      expect(pipe).toMatchObject({ executionState: 'RUNNING', pendingFileCount: 0, error: null });
      expect(pipe.lastIngestedFile).toMatch(new RegExp(`^processed/${pipe.table}/`));
    }
  });

  test('copy errors come from COPY_HISTORY', async () => {
    const errors = await snowflake.copyErrors(24);
    expect(errors).toEqual([
      {
        table: 'albums',
        file: `processed/albums/extract_date=2026-11-23/run_id=${RUN_B.runId}/attempt_id=attempt-1/part-00001.parquet`,
        status: 'Load failed',
        lastLoadTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        rowsLoaded: 0,
        errorCount: 1,
        firstError: expect.any(String),
      },
    ]);
  });

  test('a SQL error comes back as a Snowflake error naming the problem', async () => {
    await expect(snowflake.query('SELECT * FROM no_such_table')).rejects.toThrow(/Snowflake query failed: SQL compilation error:.*no_such_table/s);
  });

  test('a key the user is not registered with is refused at login', async () => {
    const other = keys();
    await expect(SnowflakeWarehouse.connect({ ...settings, privateKeyPath: undefined, privateKey: other.privateKey })).rejects.toThrow(
      /Cannot log in to Snowflake account MYORG-MYACCOUNT as PIPELINE_READER .*JWT token is invalid/,
    );
  });
});

describe('snowflakeSettingsFromConfig', () => {
  test('builds the account from organization and account name, the key from the environment', () => {
    const settings = snowflakeSettingsFromConfig(loadConfig('prod'), { SNOWFLAKE_PRIVATE_KEY: 'line1\\nline2' } as NodeJS.ProcessEnv);
    expect(settings).toMatchObject({
      account: 'MYORG-MYACCOUNT',
      username: 'SPOTIFY_PIPELINE_DEPLOYER',
      database: 'SPOTIFY',
      schema: 'RAW',
      warehouse: 'SPOTIFY_WH',
      privateKey: 'line1\nline2',
    });
  });

  test('says what is missing', () => {
    expect(() => snowflakeSettingsFromConfig(loadConfig('local'), {} as NodeJS.ProcessEnv)).toThrow(
      /local configuration has no snowflake\.organizationName, snowflake\.accountName, snowflake\.user/,
    );
    expect(() => snowflakeSettingsFromConfig(loadConfig('dev'), {} as NodeJS.ProcessEnv)).toThrow(/set SNOWFLAKE_PRIVATE_KEY_PATH/);
    expect(() => snowflakeSettingsFromConfig(loadConfig('dev'), { SNOWFLAKE_PRIVATE_KEY_PATH: '/nope.p8' } as NodeJS.ProcessEnv)).toThrow(
      'SNOWFLAKE_PRIVATE_KEY_PATH points to /nope.p8, which does not exist.',
    );
  });
});
