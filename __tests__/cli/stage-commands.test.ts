/**
 * `pipeline load` and `pipeline check`: the load and check stages alone, as a user runs them, in a child process
 * under a non-UTC time zone (America/Los_Angeles) so the stored instants prove the warehouse session is UTC.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { writeCommitRecord } from '../../local/warehouse/parquet-writer';
import { TABLES } from '../../schemas/table-schemas';
import { RUN_A, RUN_B, tempDir, writeRun } from '../warehouse/fixture-data';

jest.setTimeout(120_000);
const ROOT = resolve(__dirname, '..', '..');

async function pipeline(configFile: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npx', ['tsx', 'cli/index.ts', '-e', configFile, ...args], {
      cwd: ROOT,
      env: { ...process.env, TZ: 'America/Los_Angeles' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pipeline load / pipeline check', () => {
  let dir: string;
  let configFile: string;
  let warehouseFile: string;

  beforeAll(async () => {
    dir = tempDir('stage-commands');
    const bucket = join(dir, 'bucket');
    await writeRun(bucket, 'A');
    await writeRun(bucket, 'B');
    // A run written the way Spark wrote timestamps before: UTC-adjusted instants (TIMESTAMPTZ in DuckDB). Read in a
    // session of the machine's zone, 06:00 UTC became 22:00 the day before in Los Angeles.
    const run = { runId: '20261130T060000Z-cccccc', extractDate: '2026-11-30', extractedAt: '2026-11-30T06:00:00Z' };
    const folder = join(bucket, `processed/playlist_snapshots/extract_date=2026-11-30/run_id=${run.runId}/attempt_id=attempt-1`);
    mkdirSync(folder, { recursive: true });
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    await connection.run(
      `COPY (SELECT 'pl_utc' AS playlist_id, 'UTC' AS playlist_name, '${run.runId}' AS run_id, DATE '2026-11-30' AS extract_date,
               TIMESTAMPTZ '2026-11-30 06:00:00+00' AS extracted_at, 'attempt-1' AS attempt_id)
       TO '${join(folder, 'part-00000.parquet')}' (FORMAT parquet)`,
    );
    connection.closeSync();
    duck.closeSync();
    await writeCommitRecord(bucket, run, { playlist_snapshots: 1 }, '2026-11-30T06:05:00Z');
    warehouseFile = join(dir, 'warehouse.duckdb');
    configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({ environment: 'local', project: 'spotify-pipeline', aws: { region: 'eu-west-1' }, spotify: { playlists: [] }, local: { bucketDir: bucket, warehouseFile } }),
    );
  });

  test('load says what it loaded and which attempt each run shows; a second load loads nothing', async () => {
    const first = await pipeline(configFile, 'load');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const files = 2 * TABLES.length + 2;
    expect(first.stdout).toMatch(new RegExp(`: ${files} files loaded \\(\\d+ rows\\), 0 already loaded\\n`));
    expect(first.stdout).toMatch(/20261130T060000Z-cccccc\s+attempt-1\s+2026-11-30\s+2026-11-30T06:05:00\.000Z/);
    expect(first.stdout).toMatch(new RegExp(`${RUN_B.runId}\\s+attempt-1\\s+2026-11-23`));

    const second = await pipeline(configFile, 'load', '--format', 'json');
    const report = JSON.parse(second.stdout);
    expect(report.loaded).toEqual([]);
    expect(report.skipped).toHaveLength(files);
    expect(report.visible.map((v: { runId: string }) => v.runId)).toEqual(['20261130T060000Z-cccccc', RUN_B.runId, RUN_A.runId]);
  });

  test('the instants stored under a non-UTC time zone are the UTC instants in the files', async () => {
    const warehouse = await LocalWarehouse.open(warehouseFile);
    try {
      const { rows } = await warehouse.query(`SELECT run_id, extracted_at FROM playlist_snapshots GROUP BY ALL ORDER BY run_id`);
      expect(rows).toEqual([
        [RUN_A.runId, '2026-11-16T06:00:00.000Z'],
        [RUN_B.runId, '2026-11-23T06:00:00.000Z'],
        ['20261130T060000Z-cccccc', '2026-11-30T06:00:00.000Z'],
      ]);
      const [[committedAt]] = (await warehouse.query(`SELECT DISTINCT committed_at FROM transform_commits WHERE run_id = '20261130T060000Z-cccccc'`)).rows;
      expect(committedAt).toBe('2026-11-30T06:05:00.000Z');
    } finally {
      await warehouse.close();
    }
  });

  test('check passes on every run, or names the failed check and exits non-zero', async () => {
    const all = await pipeline(configFile, 'check');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/\n\d+ passed, 0 failed \(all runs\)\n$/);
    const one = await pipeline(configFile, 'check', '--run-id', RUN_B.runId, '--attempt-id', 'attempt-7', '--format', 'json');
    expect(one.code).toBe(1);
    const failed = JSON.parse(one.stdout).checks.filter((c: { passed: boolean }) => !c.passed);
    expect(failed.map((c: { check: string }) => c.check)).toEqual(['visible_attempt']);
    expect(one.stderr).toContain(`check failed: committed_attempts: visible_attempt (run ${RUN_B.runId} shows attempt attempt-1, not attempt-7`);
    const usage = await pipeline(configFile, 'check', '--attempt-id', 'attempt-7');
    expect(usage.stderr).toContain('--attempt-id needs --run-id');
  });
});
