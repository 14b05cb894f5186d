/**
 * Loads the dashboard in a real browser (Debian's headless `chromium`, driven by playwright-core, which never
 * downloads a browser of its own), waits until every chart has drawn, reads what the page shows, hovers one bar
 * to read its tooltip, and saves a screenshot of the whole page.
 *
 *   npm run dashboard:screenshot   # on the configured local warehouse (after `make run`) -> docs/images/dashboard.png
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';

// The functions passed to page.evaluate run in the page; this is all of the DOM they use (no DOM lib in tsconfig).
declare const document: {
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
  querySelector(selector: string): { scrollHeight: number } | null;
};

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface DashboardPage {
  /** Charts drawn on the page (Vega-Lite, rendered as SVG). */
  charts: number;
  headings: string[];
  /** Text of the info and warning boxes. */
  notices: string[];
  /** Streamlit's exception boxes: a healthy page has none. */
  exceptions: string[];
  /** The tooltip shown while hovering the hovered bar (see `hover`). */
  tooltip: string | null;
}

export interface BrowseOptions {
  /** Wait until at least this many charts have drawn. */
  minCharts: number;
  screenshot?: string;
  /** Hover the n-th bar of the last chart on the page (release years) and read the tooltip. */
  hoverBar?: number;
  width?: number;
  timeoutMs?: number;
}

export async function browseDashboard(url: string, options: BrowseOptions): Promise<DashboardPage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (\`apt-get install -y chromium\`; \`make test\` does it when run as root), or set CHROMIUM_PATH.`);
  }
  const timeout = options.timeoutMs ?? 60_000;
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage({ viewport: { width: options.width ?? 1400, height: 900 } });
    await page.goto(url, { timeout });
    await page.waitForFunction(
      (min) => document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks').length >= min,
      options.minCharts,
      { timeout },
    );
    // Streamlit shows a "running" status widget while the script runs; the page is complete once it is gone and
    // every chart element on it has drawn its SVG.
    await page.waitForFunction(
      () =>
        !document.querySelector('[data-testid="stStatusWidget"]') &&
        document.querySelectorAll('[data-testid="stVegaLiteChart"]').length ===
          document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks').length,
      null,
      { timeout },
    );
    const read = (selector: string) =>
      page.evaluate((s) => Array.from(document.querySelectorAll(s)).map((e) => (e.textContent ?? '').trim()), selector);
    const result: DashboardPage = {
      charts: (await read('[data-testid="stVegaLiteChart"] svg.marks')).length,
      headings: await read('h1, h2, h3'),
      notices: await read('[data-testid="stAlert"]'),
      exceptions: await read('[data-testid="stException"]'),
      tooltip: null,
    };
    if (options.hoverBar !== undefined) {
      const bar = page.locator('[data-testid="stVegaLiteChart"]').last().locator('g.mark-rect path').nth(options.hoverBar);
      await bar.hover({ timeout });
      await page.waitForSelector('#vg-tooltip-element.visible', { timeout });
      result.tooltip = await page.locator('#vg-tooltip-element').innerText();
      await page.mouse.move(0, 0);
      await page.waitForSelector('#vg-tooltip-element.visible', { state: 'detached', timeout }).catch(() => undefined);
    }
    if (options.screenshot) {
      // The app scrolls inside its main container, so a "full page" shot needs a viewport as tall as that content.
      const height = await page.evaluate(() => document.querySelector('[data-testid="stMain"]')?.scrollHeight ?? 900);
      await page.setViewportSize({ width: options.width ?? 1400, height: Math.min(height + 40, 6000) });
      await page.waitForTimeout(500); // charts re-layout to the new size
      mkdirSync(dirname(resolve(options.screenshot)), { recursive: true });
      await page.screenshot({ path: options.screenshot, fullPage: true });
    }
    return result;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const { loadConfig } = await import('../config/pipeline-config');
  const { startDashboard } = await import('../cli/dashboard-server');
  const out = process.argv[2] ?? 'docs/images/dashboard.png';
  const warehouseFile = resolve(loadConfig(process.env.PIPELINE_ENV ?? 'local').local.warehouseFile);
  if (!existsSync(warehouseFile)) throw new Error(`No local warehouse at ${warehouseFile}: run \`make run\` first.`);
  const server = await startDashboard({ warehouseFile });
  try {
    const page = await browseDashboard(server.url, { minCharts: 3, screenshot: out });
    if (page.exceptions.length) throw new Error(`The page shows errors: ${page.exceptions.join('\n')}`);
    process.stdout.write(`${page.charts} charts; screenshot: ${out}\n`);
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
