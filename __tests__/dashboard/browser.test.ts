/**
 * The dashboard as `make dashboard` starts it: `pipeline dashboard --port 0` (the real command, in its own process)
 * on known warehouse data (the playlists of the two weekly runs of fixture-data.ts, loaded by LocalWarehouse, and a
 * synthetic two-year listening history, dashboard/tests/history_fixture.py), in headless Chromium. Every view is
 * visited in ONE browser session: the listening life (opened by default; its screenshot is the README's picture),
 * the year in review with its PNG card, comparing listeners, an artist's detail, the week and playlists view with a
 * tooltip, and the listening life again at phone width. The numbers each view shows are the AppTest suite's
 * (dashboard/tests); here: that they draw, without errors, with the configured time zone, nothing cut.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDashboard } from '../../cli/dashboard-server';
import { DashboardSession, type DashboardPage } from '../../scripts/dashboard-browser';
import { buildFixtureWarehouse } from '../../dashboard/tests/fixture-warehouse';
import { tempDir } from '../warehouse/fixture-data';

const ROOT = resolve(__dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'build', 'test-results', 'dashboard.png');

/** Starts `pipeline dashboard` and resolves with its URL once it has printed it. */
function startCommand(configFile: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  // Its own process group, as a shell gives a foreground command: Ctrl-C is then SIGINT to that whole group.
  const child = spawn('npx', ['tsx', 'cli/index.ts', '-e', configFile, 'dashboard', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
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
  const views: Record<string, DashboardPage> = {};
  let card: Array<{ width: number; height: number }> = [];
  let phone: { cut: string[]; overflowing: number };
  let phoneWeek: { cut: string[]; overflowing: number };
  let tables: Array<{ width: number; right: number }> = [];

  beforeAll(async () => {
    dir = tempDir('dashboard-browser');
    // The playlist tables only: the page in a browser does not depend on which listening data exist.
    const warehouseFile = join(dir, 'warehouse.duckdb');
    await buildFixtureWarehouse('playlists', warehouseFile);
    execFileSync(join(ROOT, '.venv', 'bin', 'python'), [join(ROOT, 'dashboard', 'tests', 'history_fixture.py'), warehouseFile]);
    const base = JSON.parse(readFileSync(join(ROOT, 'config', 'environments', 'local.json'), 'utf8'));
    const configFile = join(dir, 'config.json');
    const listeners = [{ name: 'mira', timeZone: 'Europe/Berlin' }, { name: 'theo' }];
    writeFileSync(configFile, JSON.stringify({ ...base, spotify: { ...base.spotify, listeners }, local: { ...base.local, warehouseFile } }));

    rmSync(SCREENSHOT, { force: true });
    // The page's clock: Wed 2 Dec 2026, so the history (to 29 Nov) ends in the last complete week.
    command = await startCommand(configFile, { DASHBOARD_NOW: '2026-12-02T12:00:00Z' });
    const session = await DashboardSession.open(command.url);
    try {
      await session.settle(4);
      page = await session.snapshot();
      await session.screenshot(SCREENSHOT);
      views['Year in review'] = await session.view('Year in review', 3);
      card = await session.images();
      views['Compare listeners'] = await session.view('Compare listeners', 0);
      views['Track & artist'] = await session.view('Track & artist', 1);
      views['Week & playlists'] = await session.view('Week & playlists', 3);
      // Bar 1 of the release-year chart is 2024 (years run oldest to newest: 2019, 2024, unknown).
      views['Week & playlists'].tooltip = await session.hoverBar(1);
      tables = await session.tables();
      // Phone width: the week and playlists view (where bars were squeezed and axis titles cut), then the life view.
      await session.resize(390, 3);
      phoneWeek = await session.squeezed();
      await session.view('Listening life', 4);
      phone = await session.squeezed();
    } finally {
      await session.close();
    }
  }, 180_000);

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

  test('opens on the listening life: the last complete week, in the listener\'s time zone, every chart drawn', () => {
    expect(page.exceptions).toEqual([]);
    expect(page.headings).toEqual(expect.arrayContaining(['mira: Week of Mon 23 Nov 2026', 'Top artists', 'When I listen', 'What the history covers']));
    expect(page.charts).toBe(4); // top artists, top tracks, the clock, coverage
    expect(page.notices.join('\n')).not.toMatch(/No listening data yet/);
    expect(page.metrics.join(' | ')).toMatch(/^Minutes[\d,]+ \| Plays[\d,]+ \| Artists\d+ \| New tracks\d+/);
  });

  test('every other view draws without an error', () => {
    for (const [name, view] of Object.entries(views)) expect([name, view.exceptions]).toEqual([name, []]);
    expect(views['Year in review'].headings).toEqual(['Your Spotify, week by week', "mira's year in review: 2025", 'Minutes per month', 'Top 5 artists', 'Top 5 tracks']); // the last complete year
    expect(views['Compare listeners'].headings[1]).toMatch(/^Top 20 artists of mira, theo: All time/);
    expect(views['Track & artist'].metrics.join(' | ')).toMatch(/^Plays[\d,]+ \| Minutes[\d,]+ \| First heard\d\d \w{3} 20\d\d \| Longest streak\d+ days/);
    expect(views['Week & playlists'].headings).toEqual(expect.arrayContaining(['Playlist movers', 'Release years on your playlists']));
  });

  test('the year card is a PNG the page shows (its 360 px preview; the download is the 1080 x 1350 card)', () => {
    expect(card).toEqual([{ width: 360, height: 450 }]);
  });

  test('hovering a bar shows its numbers', () => {
    expect(views['Week & playlists'].tooltip?.replace(/\s+/g, ' ')).toBe('Release year 2024 Tracks 3 Share % 60.0');
  });

  test('the entries and drop-outs tables take the full width at 1400 px (side by side, drop-outs were cut off)', () => {
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.width).toBeGreaterThan(1000);
      expect(table.right).toBeLessThanOrEqual(1400);
    }
  });

  test('at phone width no axis title or label is cut and no chart runs off the screen', () => {
    expect(phoneWeek).toEqual({ cut: [], overflowing: 0 });
    expect(phone).toEqual({ cut: [], overflowing: 0 });
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
