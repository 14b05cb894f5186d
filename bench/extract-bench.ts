/**
 * Extract benchmark on the embedded fake Spotify (run: `npx tsx bench/extract-bench.ts [playlists] [items]`).
 *
 * 1. API calls per run against the physical minimum, for N playlists of M items (the user's own, so their
 *    snapshot ids come with /v1/me/playlists):
 *    - first run: /me + ceil(N/50) listing pages + N x ceil(M/50) item pages + N metadata calls (followers are
 *      not in the listing) + 1 token call;
 *    - the same library unchanged: /me + the listing + 1 token call, zero item pages;
 *    - 1 of N playlists changed: that playlist's pages and metadata on top.
 * 2. Rate limits and faults (10 playlists of 500 items, Retry-After 1 s as Spotify sends, the fake holding each
 *    Retry-After window as Spotify's per-app window does): wall time against the Retry-After the run was told
 *    (summed, and the union of the windows, which bounds the wall time from below), and the requests the
 *    server saw arrive inside a window: in flight when the 429 went out (within 50 ms), or sent during the
 *    pause (goal: zero). At 10 % and 30 % of requests answered 429, and at 10 % and 30 % mixed faults (429,
 *    503, connection resets, malformed bodies).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineConfigSchema } from '../config/pipeline-config';
import { extractRun, newRunId } from '../handlers/extract/extract-run';
import { LocalFolderWriter } from '../handlers/shared/raw-writer';
import { generateCatalog, type FakeCatalog } from '../local/fakes/spotify/catalog';
import { startFakeSpotify, type FakeSpotifyRequestLogEntry, type FaultPlan } from '../local/fakes/spotify/server';

const PLAYLISTS = Number(process.argv[2] ?? 50);
const ITEMS = Number(process.argv[3] ?? 1000);
const IN_FLIGHT_GRACE_MS = 50;

async function extractOnce(catalog: FakeCatalog, dir: string, day: number, faults?: FaultPlan) {
  const fake = await startFakeSpotify({ catalog, faults });
  try {
    const config = PipelineConfigSchema.parse({
      environment: 'local',
      project: 'spotify-pipeline',
      aws: { region: 'eu-west-1' },
      spotify: { apiBaseUrl: fake.apiBaseUrl, accountsBaseUrl: fake.accountsBaseUrl, includeMyPlaylists: true, topItems: { enabled: false } },
    });
    const at = new Date(Date.UTC(2026, 10, 23 + day, 6));
    const t0 = performance.now();
    const { manifest } = await extractRun({
      spotify: config.spotify,
      timeBudgetSeconds: 780,
      credentials: { ...fake.credentials },
      writer: new LocalFolderWriter(dir),
      runId: newRunId(at),
      startedAt: at,
    });
    return { manifest, seconds: (performance.now() - t0) / 1000, requests: fake.requests() };
  } finally {
    await fake.close();
  }
}

/** Seconds covered by the union of the Retry-After windows the server sent. */
function pausedSeconds(log: FakeSpotifyRequestLogEntry[]): number {
  const windows = log
    .filter((r) => r.status === 429 && r.retryAfterSeconds !== undefined)
    .map((r) => [r.respondedAt, r.respondedAt + r.retryAfterSeconds! * 1000] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of windows) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total / 1000;
}

/** Requests that arrived inside a window: in flight when its 429 went out, or sent during the pause. */
function arrivalsDuringPauses(log: FakeSpotifyRequestLogEntry[]) {
  const windows = log.filter((r) => r.status === 429 && r.retryAfterSeconds !== undefined).map((r) => [r.respondedAt, r.respondedAt + r.retryAfterSeconds! * 1000]);
  let inFlight = 0;
  let sent = 0;
  for (const r of log) {
    if (!r.path.startsWith('/v1/')) continue;
    const hits = windows.filter(([from, to]) => r.at > from && r.at < to);
    if (hits.length === 0) continue;
    if (hits.every(([from]) => r.at <= from + IN_FLIGHT_GRACE_MS)) inFlight += 1;
    else sent += 1;
  }
  return { inFlight, sent };
}

async function callCounts() {
  const catalog = generateCatalog({ playlists: PLAYLISTS, itemsPerPlaylist: ITEMS });
  const dir = mkdtempSync(join(tmpdir(), 'extract-bench-'));
  try {
    const pages = Math.ceil(ITEMS / 50);
    const listing = 1 + Math.ceil(PLAYLISTS / 50);
    const first = await extractOnce(catalog, dir, 0);
    const unchanged = await extractOnce(catalog, dir, 1);
    const changed = catalog.playlists[Math.floor(PLAYLISTS / 2)];
    changed.entries = changed.entries.slice(1);
    changed.snapshotId = Buffer.from(`AAAAchanged-${changed.id}`).toString('base64');
    const oneChanged = await extractOnce(catalog, dir, 2);
    const rows: Array<[string, typeof first, number, number]> = [
      ['first run', first, listing + PLAYLISTS * (pages + 1) + 1, PLAYLISTS * pages],
      ['unchanged library', unchanged, listing + 1, 0],
      ['1 of N changed', oneChanged, listing + Math.ceil(changed.entries.length / 50) + 1 + 1, Math.ceil(changed.entries.length / 50)],
    ];
    console.log(`calls per run: ${PLAYLISTS} playlists x ${ITEMS} items (the user's own playlists)`);
    for (const [label, run, minimum, minimumPages] of rows) {
      const c = run.manifest.counts;
      const total = c.api_calls + c.token_calls;
      console.log(
        `  ${label.padEnd(18)} ${String(total).padStart(5)} calls (${c.api_calls} API + ${c.token_calls} token), ` +
          `${String(c.item_page_calls).padStart(4)} item pages, minimum ${minimum} / ${minimumPages} -> ` +
          `${total === minimum && c.item_page_calls === minimumPages ? 'the minimum' : 'ABOVE the minimum'}; ` +
          `${c.playlists_reused}/${c.playlists} reused, ${c.playlist_items} items, ${run.seconds.toFixed(2)} s`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function underFaults(label: string, faults: FaultPlan) {
  const catalog = generateCatalog({ playlists: 10, itemsPerPlaylist: 500 });
  const dir = mkdtempSync(join(tmpdir(), 'extract-bench-'));
  try {
    const run = await extractOnce(catalog, dir, 0, { holdRetryAfter: true, ...faults });
    const told = run.requests.filter((r) => r.status === 429).reduce((s, r) => s + (r.retryAfterSeconds ?? 0), 0);
    const paused = pausedSeconds(run.requests);
    const during = arrivalsDuringPauses(run.requests);
    const c = run.manifest.counts;
    console.log(
      `  ${label.padEnd(22)} ${run.manifest.status}, ${c.playlist_items} items, ${c.api_calls} API calls, ${c.rate_limited} x 429, ` +
        `${c.retries} retries; wall ${run.seconds.toFixed(1)} s vs Retry-After told ${told.toFixed(0)} s (union of windows ` +
        `${paused.toFixed(1)} s, wall/union ${(run.seconds / paused).toFixed(2)}x); arrivals inside a window: ` +
        `${during.inFlight} already in flight, ${during.sent} sent during the pause`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  await callCounts();
  console.log('under rate limits and faults: 10 playlists x 500 items, Retry-After 1 s, windows held');
  await underFaults('10% 429', { randomRateLimit: { fraction: 0.1, seed: 7, retryAfterSeconds: 1 } });
  await underFaults('30% 429', { randomRateLimit: { fraction: 0.3, seed: 7, retryAfterSeconds: 1 } });
  await underFaults('10% mixed faults', { randomFaults: { fraction: 0.1, seed: 7, retryAfterSeconds: 1 } });
  await underFaults('30% mixed faults', { randomFaults: { fraction: 0.3, seed: 7, retryAfterSeconds: 1 } });
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
