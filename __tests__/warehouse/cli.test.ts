/** `pipeline query`, `pipeline status` and `pipeline check`, run in-process through commander, on a fixture warehouse and on the Snowflake stand-in. */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import * as checkCommand from '../../cli/commands/check';
import * as queryCommand from '../../cli/commands/query';
import * as statusCommand from '../../cli/commands/status';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { startFakeSnowflake, type FakeSnowflake } from '../../local/fakes/snowflake/server';
import { TABLE_NAMES } from '../../schemas/table-schemas';
import { tempDir, writeRun } from './fixture-data';
import { EXPECTED } from './expected-analyses';

async function run(configFile: string, ...args: string[]): Promise<string> {
  const program = new Command().option('-e, --env <name|file>').exitOverride();
  queryCommand.register(program);
  statusCommand.register(program);
  checkCommand.register(program);
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'pipeline', '-e', configFile, ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('pipeline query / status', () => {
  let dir: string;
  let configFile: string;
  let fake: FakeSnowflake;
  let served: LocalWarehouse;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = tempDir('warehouse-cli');
    await writeRun(dir, 'A');
    await writeRun(dir, 'B');
    const warehouseFile = join(dir, 'warehouse.duckdb');
    const local = await LocalWarehouse.open(warehouseFile);
    await local.loadProcessed(dir);
    await local.close();

    const base = JSON.parse(readFileSync(join(__dirname, '../../config/environments/dev.json'), 'utf8'));
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ ...base, local: { bucketDir: dir, warehouseFile } }));

    // The stand-in serves a second warehouse file with the same data (DuckDB allows one writer per file).
    served = await LocalWarehouse.open(join(dir, 'served.duckdb'));
    await served.loadProcessed(dir);
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    fake = await startFakeSnowflake({
      warehouse: served,
      account: `${base.snowflake.organizationName}-${base.snowflake.accountName}`,
      user: base.snowflake.user,
      publicKeyPem: publicKey,
      database: base.snowflake.database,
      schema: 'RAW',
    });
    process.env.SNOWFLAKE_PRIVATE_KEY = privateKey;
    process.env.SNOWFLAKE_ACCESS_URL = fake.url;
  });

  afterAll(async () => {
    process.env = saved;
    await fake?.close();
    await served?.close();
  });

  test('without a name, lists every analysis with its whole question', async () => {
    const out = await run(configFile, 'query');
    expect(out).toContain("top_artists_across_playlists    Which artists appear on the most of each listener's playlists right now, and with how many tracks?");
    expect(out.trim().split('\n')).toHaveLength(Object.keys(EXPECTED).length);
  });

  test('prints an analysis as a readable table', async () => {
    const out = await run(configFile, 'query', 'explicit_share');
    expect(out).toBe(
      [
        "What share of the tracks on each listener's playlists is explicit right now, playlist by playlist?  (local)",
        '',
        'playlist          tracks  explicit_tracks  explicit_pct  spotify_user_id  listener_name',
        '----------------  ------  ---------------  ------------  ---------------  -------------',
        'Late Night Drive       3                2         66.70  u_mira           Mira',
        'Late Night Drive       3                2         66.70  u_sam            sam',
        'Morning Mix            3                1         33.30  u_sam            sam',
        '',
        '3 rows',
        '',
      ].join('\n'),
    );
  });

  test('CSV and JSON on request, the same rows on local and on Snowflake', async () => {
    for (const target of ['local', 'snowflake']) {
      expect(await run(configFile, 'query', 'new_entries_this_week', '--format', 'csv', '--target', target)).toBe(
        'playlist,chart_week,chart_rank,track,artist_names,spotify_user_id,listener_name\r\n' +
          'Late Night Drive,2026-11-23,2,Six,"Cy, Ada L",u_mira,Mira\r\nLate Night Drive,2026-11-23,2,Six,"Cy, Ada L",u_sam,sam\r\n' +
          'Morning Mix,2026-11-23,3,Five,Ada L,u_sam,sam\r\n',
      );
      expect(JSON.parse(await run(configFile, 'query', 'release_year_mix', '--format', 'json', '--limit', '1', '--target', target))).toEqual([
        { release_year: '2024', tracks: 2, share_pct: 66.7, spotify_user_id: 'u_mira', listener_name: 'Mira' },
      ]);
    }
  });

  test('status on Snowflake shows tables, pipes and COPY errors', async () => {
    const report = JSON.parse(await run(configFile, 'status', '--target', 'snowflake', '--format', 'json'));
    expect(report.target).toBe('snowflake');
    expect(report.tables.find((t: { table: string }) => t.table === 'playlist_tracks')).toMatchObject({ rows: 13, files: 2 });
    expect(report.pipes.map((p: { table: string }) => p.table).sort()).toEqual([...TABLE_NAMES].sort());
    expect(report.copyErrors).toEqual([]);
    // The health view from what the warehouse shows: every configured listener, their stages, pipes all running.
    expect(report.health).toMatchObject({ target: 'snowflake', where: 'MYORG-MYACCOUNT SPOTIFY_DEV.RAW' });
    // The fixture's listeners as the warehouse names them (the configuration names none, so no implicit "me").
    expect(report.health.listeners.map((l: { listener: string }) => l.listener)).toEqual(['Mira', 'sam', 'u_teo']);
    expect(report.health.listeners[0]).toEqual({
      listener: 'Mira',
      spotifyUserId: 'u_mira',
      stages: [
        { stage: 'weekly extract', lastSuccess: '2026-11-23T06:00:00.000Z', runId: null },
        { stage: 'plays poll', lastSuccess: '2026-11-23T06:00:00.000Z', runId: null },
        { stage: 'load', lastSuccess: '2026-11-23T06:00:00.000Z', runId: null },
      ],
      lastPlayAt: '2026-11-19T09:00:00.000Z',
      gaps: [],
    });
    // u_teo has plays but no weekly data: their weekly stage is empty, not borrowed from another listener.
    expect(report.health.listeners[2].stages[0]).toEqual({ stage: 'weekly extract', lastSuccess: null, runId: null });
    expect(report.health.problems.filter((p: { kind: string }) => p.kind === 'pipe-not-running')).toEqual([]);
    // The same SQL checks as `pipeline check --target snowflake`, all passing on this data.
    expect(report.health.checks.length).toBeGreaterThan(20);
    expect(report.health.checks.filter((c: { passed: boolean }) => !c.passed)).toEqual([]);
    const text = await run(configFile, 'status', '--target', 'snowflake');
    expect(text).toContain('Warehouse (snowflake): MYORG-MYACCOUNT SPOTIFY_DEV.RAW');
    expect(text).toMatch(/SPOTIFY_DEV\.RAW\.PLAYLIST_TRACKS_PIPE\s+RUNNING\s+0/);
    expect(text).toContain('COPY errors in the last 168 h\n  none');
    // This stand-in's pipes have no ERROR_INTEGRATION (the deployed stack sets one): status says so.
    expect(report.errorRouting).toHaveLength(TABLE_NAMES.length);
    expect(text).toMatch(/SPOTIFY_DEV\.RAW\.TRACKS_PIPE\s+RUNNING.*nowhere/);
    expect(text).toMatch(
      new RegExp(`warning: ${TABLE_NAMES.length} pipe\\(s\\) report load errors nowhere \\(no ERROR_INTEGRATION\\).*pipeline deploy --stacks warehouse`, 's'),
    );
  });

  test('check on Snowflake runs the same SQL checks as the local warehouse, with the same verdicts', async () => {
    const remote = JSON.parse(await run(configFile, 'check', '--target', 'snowflake', '--format', 'json'));
    expect(remote).toMatchObject({ target: 'snowflake', account: 'MYORG-MYACCOUNT', database: 'SPOTIFY_DEV', schema: 'RAW' });
    expect(remote.checks).toEqual(await served.runChecks());
    expect(remote.checks.length).toBeGreaterThan(TABLE_NAMES.length * 3);
    expect(fake.queries.some((q) => /'key_unique' AS check_name/.test(q))).toBe(true);
    await expect(
      run(configFile, 'check', '--target', 'snowflake', '--run-id', '20261123T060000Z-bbbbbb', '--attempt-id', 'attempt-9'),
    ).rejects.toThrow(/check failed: committed_attempts: visible_attempt \(run 20261123T060000Z-bbbbbb shows attempt attempt-1, not attempt-9/);
  });

  test('status on the local warehouse shows tables and failed files', async () => {
    const text = await run(configFile, 'status');
    expect(text).toMatch(/^Health \(local\) at \d{4}-\d\d-\d\dT[^:]+:\d\d:\d\d\.\d{3}Z: .*warehouse\.duckdb\n/);
    expect(text).toMatch(/Checks: \d+ passed, 0 failing/);
    expect(text).toMatch(/playlist_tracks\s+13\s+2\s+\d{4}-\d{2}-\d{2}T/);
    expect(text).toContain('Files that failed to load (not retried until they change)\n  none');
  });

  test('bad input is refused with the problem named', async () => {
    await expect(run(configFile, 'query', 'nope')).rejects.toThrow(/No analysis "nope"\. Available: /);
    await expect(run(configFile, 'query', 'explicit_share', '--format', 'xml')).rejects.toThrow('--format must be table, csv or json (got "xml")');
    await expect(run(configFile, 'status', '--target', 'cloud')).rejects.toThrow('--target must be local, aws or snowflake (got "cloud")');
    await expect(run(configFile, 'status', '--days', '0')).rejects.toThrow('--days must be a whole number of days from 1 to 366 (got "0")');
    const missing = join(dir, 'missing.json');
    writeFileSync(missing, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), local: { warehouseFile: join(dir, 'none.duckdb') } }));
    await expect(run(missing, 'status')).rejects.toThrow(/No local warehouse at .*none\.duckdb\. Run `pipeline run` first/);
  });
});
