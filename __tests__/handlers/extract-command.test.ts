/**
 * `pipeline extract` as a user runs it (a child process, the real CLI): a new run prints its manifest key on
 * stdout; `--run-id` of a complete run reports it and changes nothing; `--run-id` of a run that failed resumes it
 * and fetches only what is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { extractRun, ExtractFailedError, newRunId } from '../../handlers/extract/extract-run';
import { bucketDir, fake, input, listFiles, OWNED, readJson } from './extract-helpers';

const ROOT = resolve(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);

jest.setTimeout(60_000);

async function pipeline(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['cli/index.ts', ...args], { cwd: ROOT, env: { ...process.env, SPOTIFY_CLIENT_ID: '' }, timeout: 45_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const dir = bucketDir();
const configFile = join(dir, 'config.json');
const playlists = OWNED.slice(0, 3);
writeFileSync(
  configFile,
  JSON.stringify({
    environment: 'local',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { playlists, includeMyPlaylists: false, topItems: { enabled: true, timeRanges: ['short_term'] } },
    local: { bucketDir: join(dir, 'bucket'), warehouseFile: join(dir, 'warehouse.duckdb'), secretsFile: join(dir, 'no-secrets.json') },
  }),
);

test('a new run prints its manifest key on stdout, and the same run id again finds it complete', async () => {
  const first = await pipeline(['--env', configFile, 'extract', '--spotify', 'fake', '--as-of', '2026-11-23']);
  expect(first.code).toBe(0);
  const key = first.stdout.trim();
  expect(key).toMatch(/^raw\/extract_date=2026-11-23\/run_id=20261123T060000Z-[0-9a-f]{6}\/_manifest\.json$/);
  expect(existsSync(join(dir, 'bucket', key))).toBe(true);
  expect(first.stderr).toMatch(/Extracted 3 playlists, 340 items, 100 top items, 0 errors \(complete\)/);
  // Each listener's refresh token lifetime: the fake's listeners authorised as it started, six months ago at most.
  expect(first.stderr).toMatch(/^ {2}token sam: 1[89]\d days of token left \(expires \d{4}-\d{2}-\d{2}\)$/m);

  const runId = /run_id=([^/]+)/.exec(key)![1];
  const files = listFiles(join(dir, 'bucket'));
  const again = await pipeline(['extract', '--spotify', 'fake', '--run-id', runId, '--env', configFile]);
  expect(again.code).toBe(0);
  expect(again.stdout.trim()).toBe(key);
  expect(again.stderr).toContain(`Run ${runId} already has its manifest: nothing was extracted.`);
  expect(listFiles(join(dir, 'bucket'))).toEqual(files);
});

test('--run-id of a run that failed resumes it and fetches only what is missing', async () => {
  const bucket = join(dir, 'bucket');
  const startedAt = new Date('2026-11-30T06:00:00Z');
  const runId = newRunId(startedAt, 'failed-run');
  const server = await fake({ asOf: startedAt });
  let closing: Promise<void> | null = null;
  const error = await extractRun(
    input(server, bucket, { playlists, maxConcurrentRequests: 1, maxRetries: 0 }, {
      runId,
      startedAt,
      onProgress: (event) => {
        if (event.type === 'playlist-done') closing ??= server.close();
      },
    }),
  ).catch((e: unknown) => e);
  await closing;
  expect(error).toBeInstanceOf(ExtractFailedError);
  expect((error as Error).message).toContain(`pipeline extract --run-id ${runId}`);

  const resumed = await pipeline(['--env', configFile, 'extract', '--spotify', 'fake', '--run-id', runId]);
  expect(resumed.code).toBe(0);
  expect(resumed.stderr).toMatch(/Resuming: attempt 2; 1 playlists and top lists were finished before/);
  const key = resumed.stdout.trim();
  const manifest = readJson(bucket, key);
  expect(manifest).toMatchObject({ run_id: runId, status: 'complete', attempts: 2 });
  expect(manifest.objects.filter((o: { kind: string }) => o.kind === 'playlist')).toHaveLength(3);
});

test('a malformed run id is refused with an example', async () => {
  const result = await pipeline(['--env', configFile, 'extract', '--run-id', 'yesterday']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/--run-id "yesterday" is not a run id \(e\.g\. 20261125T060000Z-a1b2c3\)/);
  expect(result.stdout).toBe('');
});

test('`pipeline extract --plays` polls each configured listener with their own token, from their cursor', async () => {
  const server = await fake({ asOf: new Date('2026-11-25T18:30:00Z'), clock: 'frozen' });
  const [sam, mira] = server.listeners();
  const home = bucketDir();
  const secretsFile = join(home, 'spotify-secrets.json');
  // Mira's token from `pipeline authorize --listener mira`; Sam's from the environment.
  writeFileSync(secretsFile, JSON.stringify({ clientId: server.credentials.clientId, listeners: { mira: { refreshToken: mira.refreshToken } } }));
  const listenersConfig = join(home, 'config.json');
  writeFileSync(
    listenersConfig,
    JSON.stringify({
      environment: 'local',
      project: 'spotify-pipeline',
      aws: { region: 'eu-west-1' },
      spotify: { apiBaseUrl: server.apiBaseUrl, accountsBaseUrl: server.accountsBaseUrl, listeners: [{ name: 'sam' }, { name: 'mira' }] },
      local: { bucketDir: join(home, 'bucket'), warehouseFile: join(home, 'warehouse.duckdb'), secretsFile },
    }),
  );
  const poll = async () => {
    const { stdout, stderr } = await run(TSX, ['cli/index.ts', '--env', listenersConfig, 'extract', '--plays', '--spotify', 'real'], {
      cwd: ROOT,
      env: { ...process.env, SPOTIFY_CLIENT_ID: server.credentials.clientId, SPOTIFY_CLIENT_SECRET: server.credentials.clientSecret, SPOTIFY_REFRESH_TOKEN_SAM: sam.refreshToken },
      timeout: 45_000,
    });
    return { manifest: readJson(join(home, 'bucket'), stdout.trim()), stderr };
  };
  const first = await poll();
  expect(first.manifest).toMatchObject({ mode: 'plays', status: 'complete', counts: { listeners: 2, plays: 100, playlists: 0 } });
  expect(first.stderr).toMatch(/Polled 2 listeners: 100 new plays, 0 errors \(complete\)/);
  expect(first.stderr).toMatch(/ {2}sam: 50 new plays\n {2}mira: 50 new plays|  mira: 50 new plays\n  sam: 50 new plays/);
  server.advanceClock(3 * 3_600_000);
  const second = await poll();
  const newPlays = second.manifest.objects.map((o: { entity_id: string; items: number; cursor_before: number }) => [o.entity_id, o.items > 0, o.cursor_before > 0]);
  expect(newPlays.sort()).toEqual([['mira', true, true], ['sam', true, true]]);
  expect(listFiles(join(home, 'bucket')).filter((f) => f.startsWith('raw/_state/plays/'))).toHaveLength(2);
});
