/**
 * Extract benchmark on the embedded fake Spotify (run: `npx tsx bench/extract-bench.ts [playlists] [items]`).
 *
 * 1. Call count for N playlists of M items against the minimum the API allows:
 *    N metadata calls + N * ceil(M / 50) item pages + 1 token call. Goal: exactly the minimum.
 * 2. Wall time of the same extract with 429s (Retry-After 1 s) injected on 10% of requests, against the sum of
 *    the Retry-After waits it was told to honour. Goal: under 1.2x.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineConfigSchema } from '../config/pipeline-config';
import { extractRun, newRunId } from '../handlers/extract/extract-run';
import { LocalFolderWriter } from '../handlers/shared/raw-writer';
import { generateCatalog } from '../local/fake-spotify/catalog';
import { startFakeSpotify, type FaultPlan } from '../local/fake-spotify/server';

const PLAYLISTS = Number(process.argv[2] ?? 50);
const ITEMS = Number(process.argv[3] ?? 1000);

async function extractOnce(faults?: FaultPlan) {
  const catalog = generateCatalog({ playlists: PLAYLISTS, itemsPerPlaylist: ITEMS });
  const fake = await startFakeSpotify({ catalog, faults });
  const dir = mkdtempSync(join(tmpdir(), 'extract-bench-'));
  try {
    const ids = catalog.playlists.slice(0, PLAYLISTS).map((p) => p.id);
    const config = PipelineConfigSchema.parse({
      environment: 'local',
      project: 'spotify-pipeline',
      aws: { region: 'eu-west-1' },
      spotify: { apiBaseUrl: fake.apiBaseUrl, accountsBaseUrl: fake.accountsBaseUrl, playlists: ids, topItems: { enabled: false } },
    });
    const at = new Date();
    const t0 = performance.now();
    const { manifest } = await extractRun({
      spotify: config.spotify,
      timeBudgetSeconds: 780,
      credentials: { ...fake.credentials },
      writer: new LocalFolderWriter(dir),
      runId: newRunId(at),
      startedAt: at,
    });
    const seconds = (performance.now() - t0) / 1000;
    return { manifest, seconds, stats: fake.stats(), requests: fake.requests() };
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const minimum = PLAYLISTS + PLAYLISTS * Math.ceil(ITEMS / 50) + 1;
  const clean = await extractOnce();
  const c = clean.manifest.counts;
  console.log(`extract: ${PLAYLISTS} playlists x ${ITEMS} items (status ${clean.manifest.status}, ${c.playlist_items} items)`);
  console.log(`  calls: ${c.api_calls} API + ${c.token_calls} token = ${c.api_calls + c.token_calls}; minimum ${minimum}` +
    ` -> ${c.api_calls + c.token_calls === minimum ? 'exactly the minimum' : 'ABOVE the minimum'}`);
  console.log(`  wall time without faults: ${clean.seconds.toFixed(2)} s`);

  const limited = await extractOnce({ randomRateLimit: { fraction: 0.1, seed: 7, retryAfterSeconds: 1 } });
  const told = limited.requests.filter((r) => r.status === 429).length * 1;
  const l = limited.manifest.counts;
  console.log(`with 10% 429s (Retry-After 1 s): ${l.rate_limited} x 429, status ${limited.manifest.status}, ${l.playlist_items} items`);
  console.log(`  wall time ${limited.seconds.toFixed(2)} s vs ${told} s of Retry-After told -> ratio ${(limited.seconds / told).toFixed(2)}x (goal < 1.2x)`);
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
