/**
 * Loads the dashboard in a real browser (Debian's headless `chromium`, driven by playwright-core, which never
 * downloads a browser of its own), waits until every chart has drawn, reads what the page shows, hovers one bar
 * to read its tooltip, and saves a screenshot of the whole page.
 *
 *   npm run dashboard:screenshot   # on the configured local warehouse (after `make run`) -> docs/images/dashboard.png
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

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
  /** Each figure's text (label, value, delta). */
  metrics: string[];
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

/** One headless Chromium tab on the dashboard: every view is visited in this one session (the test budget). */
export class DashboardSession {
  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly timeout: number,
    private width: number,
  ) {}

  static async open(url: string, options: { width?: number; timeoutMs?: number } = {}): Promise<DashboardSession> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (\`apt-get install -y chromium\`; \`make test\` does it when run as root), or set CHROMIUM_PATH.`);
    }
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const width = options.width ?? 1400;
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const session = new DashboardSession(browser, page, options.timeoutMs ?? 60_000, width);
    await page.goto(url, { timeout: session.timeout });
    return session;
  }

  /** Waits until the script has finished and every chart on the page (at least `minCharts`) has drawn. */
  async settle(minCharts: number): Promise<void> {
    const { page, timeout } = this;
    await page.waitForFunction(
      (min) => document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks').length >= min,
      minCharts,
      { timeout },
    );
    // Streamlit shows a "running" status widget while the script runs; the page is complete once it is gone and
    // every chart element on it has drawn its SVG.
    await page.waitForFunction(
      () =>
        !document.querySelector('[data-testid="stStatusWidget"]') &&
        // Elements of the previous run stay on the page, marked stale, until the new run has finished.
        !document.querySelector('[data-stale="true"]') &&
        document.querySelectorAll('[data-testid="stVegaLiteChart"]').length ===
          document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks').length,
      null,
      { timeout },
    );
  }

  private read(selector: string): Promise<string[]> {
    return this.page.evaluate((s) => Array.from(document.querySelectorAll(s)).map((e) => (e.textContent ?? '').trim()), selector);
  }

  async snapshot(): Promise<DashboardPage> {
    return {
      charts: (await this.read('[data-testid="stVegaLiteChart"] svg.marks')).length,
      headings: await this.read('h1, h2, h3'),
      notices: await this.read('[data-testid="stAlert"]'),
      exceptions: await this.read('[data-testid="stException"]'),
      metrics: await this.read('[data-testid="stMetric"]'),
      tooltip: null,
    };
  }

  /** Clicks a view of the page's view switch and waits for it to draw. */
  async view(name: string, minCharts: number): Promise<DashboardPage> {
    const before = await this.page.locator('h2').first().textContent({ timeout: this.timeout });
    await this.page.locator('[data-testid="stRadio"] label').filter({ hasText: name }).first().click({ timeout: this.timeout });
    await this.page.waitForFunction((old) => document.querySelectorAll('h2').length > 0 && document.querySelectorAll('h2')[0].textContent !== old, before, { timeout: this.timeout }).catch(() => undefined);
    await this.settle(minCharts);
    return this.snapshot();
  }

  /** Hovers the n-th bar of the last chart on the page and reads its tooltip. */
  async hoverBar(n: number): Promise<string> {
    const { page, timeout } = this;
    const bar = page.locator('[data-testid="stVegaLiteChart"]').last().locator('g.mark-rect path').nth(n);
    await bar.hover({ timeout });
    await page.waitForSelector('#vg-tooltip-element.visible', { timeout });
    const tooltip = await page.locator('#vg-tooltip-element').innerText();
    await page.mouse.move(0, 0);
    await page.waitForSelector('#vg-tooltip-element.visible', { state: 'detached', timeout }).catch(() => undefined);
    return tooltip;
  }

  /** The natural size of each image on the page (the PNG cards), once loaded. */
  async images(): Promise<Array<{ width: number; height: number }>> {
    await this.page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="stImage"] img')).every((i) => (i as unknown as { complete: boolean }).complete), null, { timeout: this.timeout });
    return this.page.evaluate(() =>
      Array.from(document.querySelectorAll('[data-testid="stImage"] img')).map((i) => {
        const img = i as unknown as { naturalWidth: number; naturalHeight: number };
        return { width: img.naturalWidth, height: img.naturalHeight };
      }),
    );
  }

  /** Width and right edge (px) of each table on the page. */
  async tables(): Promise<Array<{ width: number; right: number }>> {
    return this.page.evaluate(() =>
      (Array.from(document.querySelectorAll('[data-testid="stDataFrame"]')) as unknown as Array<{ getBoundingClientRect(): { width: number; right: number } }>).map(
        (t) => {
          const box = t.getBoundingClientRect();
          return { width: Math.round(box.width), right: Math.round(box.right) };
        },
      ),
    );
  }

  /** Text of every axis title and label Vega cut short ("…"), and charts wider than the window. */
  async squeezed(): Promise<{ cut: string[]; overflowing: number }> {
    return this.page.evaluate((viewport) => {
      const texts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"] svg text')).map((t) => t.textContent ?? '');
      const svgs = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks')) as unknown as Array<{ getBoundingClientRect(): { right: number } }>;
      return { cut: texts.filter((t) => t.includes('…')), overflowing: svgs.filter((s) => s.getBoundingClientRect().right > viewport + 1).length };
    }, this.width);
  }

  async resize(width: number, minCharts: number): Promise<void> {
    this.width = width;
    await this.page.setViewportSize({ width, height: 900 });
    await this.page.waitForTimeout(300); // charts re-layout to the new width
    await this.settle(minCharts);
  }

  /** A shot of the whole page: the app scrolls inside its main container, so the viewport grows to its content. */
  async screenshot(path: string): Promise<void> {
    const height = await this.page.evaluate(() => document.querySelector('[data-testid="stMain"]')?.scrollHeight ?? 900);
    await this.page.setViewportSize({ width: this.width, height: Math.min(height + 40, 6000) });
    await this.page.waitForTimeout(500); // charts re-layout to the new size
    mkdirSync(dirname(resolve(path)), { recursive: true });
    await this.page.screenshot({ path, fullPage: true });
    await this.page.setViewportSize({ width: this.width, height: 900 });
  }

  close(): Promise<void> {
    return this.browser.close();
  }
}

/** Loads the page, waits for its charts, reads it, optionally hovers a bar and saves a screenshot (one view). */
export async function browseDashboard(url: string, options: BrowseOptions): Promise<DashboardPage> {
  const session = await DashboardSession.open(url, { width: options.width, timeoutMs: options.timeoutMs });
  try {
    await session.settle(options.minCharts);
    const result = await session.snapshot();
    if (options.hoverBar !== undefined) result.tooltip = await session.hoverBar(options.hoverBar);
    if (options.screenshot) await session.screenshot(options.screenshot);
    return result;
  } finally {
    await session.close();
  }
}

async function main(): Promise<void> {
  const { loadConfig } = await import('../config/pipeline-config');
  const { startDashboard } = await import('../cli/dashboard-server');
  const out = process.argv[2] ?? 'docs/images/dashboard.png';
  const { dashboardTimeZones } = await import('../config/listeners');
  const config = loadConfig(process.env.PIPELINE_ENV ?? 'local');
  const warehouseFile = resolve(config.local.warehouseFile);
  if (!existsSync(warehouseFile)) throw new Error(`No local warehouse at ${warehouseFile}: run \`make run\` first.`);
  const server = await startDashboard({ warehouseFile, timeZones: dashboardTimeZones(config.spotify.listeners) });
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
