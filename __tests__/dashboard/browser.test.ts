/**
 * The dashboard in a real browser: `pipeline dashboard`'s server started on known warehouse data (the two weekly
 * runs of fixture-data.ts, loaded by LocalWarehouse), loaded in headless Chromium. Every chart draws, the page
 * shows no error, a bar's tooltip shows its numbers, and the screenshot lands in build/test-results/.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDashboard, type DashboardServer } from '../../cli/dashboard-server';
import { LocalWarehouse } from '../../local/warehouse/local-warehouse';
import { browseDashboard, type DashboardPage } from '../../scripts/dashboard-browser';
import { tempDir, writeRun } from '../warehouse/fixture-data';

const SCREENSHOT = resolve(__dirname, '..', '..', 'build', 'test-results', 'dashboard.png');

describe('dashboard in headless Chromium', () => {
  let dir: string;
  let server: DashboardServer;
  let page: DashboardPage;

  beforeAll(async () => {
    dir = tempDir('dashboard-browser');
    await writeRun(join(dir, 'bucket'), 'A');
    await writeRun(join(dir, 'bucket'), 'B');
    const warehouse = await LocalWarehouse.open(join(dir, 'warehouse.duckdb'));
    await warehouse.loadProcessed(join(dir, 'bucket'));
    await warehouse.close();
    rmSync(SCREENSHOT, { force: true });
    server = await startDashboard({ warehouseFile: join(dir, 'warehouse.duckdb') });
    // Bar 1 of the release-year chart is 2024 (years run oldest to newest: 2019, 2024, unknown).
    page = await browseDashboard(server.url, { minCharts: 3, screenshot: SCREENSHOT, hoverBar: 1 });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves on loopback and every chart draws without an error on the page', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
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
});
