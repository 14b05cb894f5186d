/**
 * The extract over many fault seeds (run: `npx tsx bench/extract-fault-sweep.ts [fromSeed=1] [toSeed=40]
 * [fraction=0.3] [--no-hold]`): the fault mix of __tests__/handlers/extract-faults.test.ts (a `fraction` of Web API
 * and of token calls answered with 429, 503, resets or malformed bodies; tokens living 1 s or 12 calls; the refresh
 * token rotated on every refresh; Retry-After windows held unless --no-hold), on the sample catalog, with 1 to 4
 * concurrent requests by seed. A run passes when it completes with exactly the catalog's items and top items, only
 * the 404/403 ids as errors, and the last rotated refresh token kept. Prints each failure and the tally.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineConfigSchema } from '../config/pipeline-config';
import { extractRun, newRunId } from '../handlers/extract/extract-run';
import { LocalFolderWriter } from '../handlers/shared/raw-writer';
import { loadSampleCatalog, SAMPLE_PLAYLIST_IDS } from '../local/fakes/spotify/catalog';
import { startFakeSpotify } from '../local/fakes/spotify/server';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [from, to, fraction] = [Number(args[0] ?? 1), Number(args[1] ?? 40), Number(args[2] ?? 0.3)];
const hold = !process.argv.includes('--no-hold');
/** The sample catalog's readable items and top items (tracks 40/75/99, artists 20/35/50). */
const ITEMS = 546;
const TOP_ITEMS = 319;

async function sweep(): Promise<void> {
  let failures = 0;
  const t0 = performance.now();
  for (let seed = from; seed <= to; seed += 1) {
    const fake = await startFakeSpotify({
      catalog: loadSampleCatalog(),
      tokenTtlSeconds: 1,
      rotateRefreshToken: true,
      faults: {
        expireTokenAfterApiCalls: 12,
        holdRetryAfter: hold,
        randomFaults: [
          { fraction, seed, retryAfterSeconds: 0.25 },
          { fraction, seed: seed + 1000, path: '/api/token', kinds: ['rateLimit', 'serverError', 'reset'], retryAfterSeconds: 0.25 },
        ],
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'fault-sweep-'));
    const stored: string[] = [];
    try {
      const { owned, notFound, forbidden } = SAMPLE_PLAYLIST_IDS;
      const config = PipelineConfigSchema.parse({
        environment: 'local',
        project: 'spotify-pipeline',
        aws: { region: 'eu-west-1' },
        spotify: {
          apiBaseUrl: fake.apiBaseUrl,
          accountsBaseUrl: fake.accountsBaseUrl,
          playlists: [owned[0], notFound, forbidden],
          includeMyPlaylists: true,
          maxRetries: 5,
          requestTimeoutMs: 2_000,
          maxConcurrentRequests: 1 + (seed % 4),
        },
      });
      const at = new Date('2026-11-25T06:00:00Z');
      const { manifest } = await extractRun({
        spotify: config.spotify,
        timeBudgetSeconds: 300,
        credentials: { ...fake.credentials },
        onRefreshTokenRotated: async (token) => void stored.push(token),
        writer: new LocalFolderWriter(dir),
        runId: newRunId(at),
        startedAt: at,
        backoff: { baseMs: 20, capMs: 100 },
      });
      const errorIds = manifest.errors.map((e) => `${e.entity_id}:${e.http_status}`).sort();
      const exact =
        JSON.stringify(errorIds) === JSON.stringify([`${notFound}:404`, `${forbidden}:403`].sort()) &&
        manifest.counts.playlist_items === ITEMS &&
        manifest.counts.top_items === TOP_ITEMS &&
        stored[stored.length - 1] === fake.credentials.refreshToken;
      if (!exact) {
        failures += 1;
        console.log(`seed ${seed}: inexact: errors ${errorIds.join(', ')}; ${manifest.counts.playlist_items} items, ${manifest.counts.top_items} top items`);
      }
    } catch (error) {
      failures += 1;
      console.log(`seed ${seed}: the run failed: ${(error as Error).message}`);
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const runs = to - from + 1;
  console.log(
    `${runs} runs at ${Math.round(fraction * 100)}% faults (${hold ? 'windows held' : 'windows not held'}): ` +
      `${runs - failures} complete and exact, ${failures} not, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  if (failures > 0) process.exitCode = 1;
}

sweep().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
