/**
 * The dashboard as `make dashboard` starts it: `pipeline dashboard --port 0` (the real command, in its own process)
 * on known warehouse data (the playlists of the two weekly runs of fixture-data.ts, loaded by LocalWarehouse), loaded in headless
 * Chromium. It prints its loopback URL, every chart draws, the page shows no error, a bar's tooltip shows its
 * numbers, the screenshot lands in build/test-results/, and Ctrl-C stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDashboard } from '../../cli/dashboard-server';
import { browseDashboard, type DashboardPage } from '../../scripts/dashboard-browser';
import { buildFixtureWarehouse } from '../../dashboard/tests/fixture-warehouse';
import { tempDir } from '../warehouse/fixture-data';

const ROOT = resolve(__dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'build', 'test-results', 'dashboard.png');

/** Starts `pipeline dashboard` and resolves with its URL once it has printed it. */
function startCommand(configFile: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  // Its own process group, as a shell gives a foreground command: Ctrl-C is then SIGINT to that whole group.
  const child = spawn('npx', ['tsx', 'cli/index.ts', '-e', configFile, 'dashboard', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const match = /Dashboard: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, url: match[1], output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`pipeline dashboard exited (${code}) before printing its URL:\n${output}`)));
  });
}

describe('pipeline dashboard in headless Chromium', () => {
  let dir: string;
  let command: { child: ChildProcess; url: string; output: () => string };
  let page: DashboardPage;

  beforeAll(async () => {
    dir = tempDir('dashboard-browser');
    // The playlist tables only: the page in a browser does not depend on which listening data exist.
    const warehouseFile = join(dir, 'warehouse.duckdb');
    await buildFixtureWarehouse('playlists', warehouseFile);
    const base = JSON.parse(readFileSync(join(ROOT, 'config', 'environments', 'local.json'), 'utf8'));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ ...base, local: { ...base.local, warehouseFile } }));

    rmSync(SCREENSHOT, { force: true });
    command = await startCommand(configFile);
    // Bar 1 of the release-year chart is 2024 (years run oldest to newest: 2019, 2024, unknown).
    page = await browseDashboard(command.url, { minCharts: 3, screenshot: SCREENSHOT, hoverBar: 1 });
  }, 120_000);

  afterAll(async () => {
    // Whatever of the command's process group is left (nothing, once the Ctrl-C test has run).
    try {
      if (command) process.kill(-command.child.pid!, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints a loopback URL and the warehouse it reads', () => {
    expect(command.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(command.output()).toContain(join(dir, 'warehouse.duckdb'));
  });

  test('every chart draws, without an error on the page', () => {
    expect(page.exceptions).toEqual([]);
    expect(page.charts).toBe(3); // what changed on each playlist, biggest moves, release years
    expect(page.headings).toEqual(expect.arrayContaining(['Your Spotify, week by week', 'Playlist movers', 'Release years on your playlists']));
  });

  test('the listening part says what to run instead of failing', () => {
    expect(page.notices.join('\n')).toMatch(/No listening data yet.*make run/s);
  });

  test('hovering a bar shows its numbers', () => {
    expect(page.tooltip?.replace(/\s+/g, ' ')).toBe('Release year 2024 Tracks 3 Share % 60.0');
  });

  test('saves the screenshot', () => {
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  test('Ctrl-C stops the server', async () => {
    const exited = new Promise<number | null>((r) => command.child.once('exit', (code) => r(code)));
    process.kill(-command.child.pid!, 'SIGINT');
    await exited; // npx itself dies of the signal; what matters is that nothing keeps serving
    let serving = true;
    for (let i = 0; i < 50 && serving; i++) {
      serving = await fetch(`${command.url}/_stcore/health`, { signal: AbortSignal.timeout(1000) }).then(() => true, () => false);
      if (serving) await new Promise((r) => setTimeout(r, 200));
    }
    expect(serving).toBe(false);
  });
});

describe('startDashboard', () => {
  test('a port in use is an error that names it, not a hang', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startDashboard({ warehouseFile: '/nonexistent.duckdb', port })).rejects.toThrow(
        new RegExp(`Port ${port} is in use .*pick another port with --port`),
      );
    } finally {
      blocker.close();
    }
  }, 30_000);
});
