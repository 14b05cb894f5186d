/**
 * Plays poll benchmark (run: `npx tsx bench/plays-bench.ts [listeners] [polls] [latencyMs]`): a day of hourly
 * polls of N listeners against the embedded fake Spotify, each API call delayed by `latencyMs` to stand in for the
 * network between Lambda and Spotify. Prints per poll: wall time, API and token calls, raw bytes written, new
 * plays; and what a month of hourly polls costs in AWS and Snowflake at list prices (docs/benchmarks.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractListener } from '../handlers/extract/listener-extract';
import { advancePlaysCursor, type StateObjects } from '../handlers/extract/plays-cursor';
import { SpotifyClient } from '../handlers/extract/spotify-client';
import { LocalFolderWriter } from '../handlers/shared/raw-writer';
import { startFakeSpotify, type FakeListenerSpec, type FakeSpotifyServer } from '../local/fake-spotify/server';

function clientFor(fake: FakeSpotifyServer, refreshToken: string): SpotifyClient {
  return new SpotifyClient({
    apiBaseUrl: fake.apiBaseUrl,
    accountsBaseUrl: fake.accountsBaseUrl,
    authMode: 'user',
    credentials: { clientId: fake.credentials.clientId, clientSecret: fake.credentials.clientSecret, refreshToken },
    maxConcurrentRequests: 4,
    requestTimeoutMs: 10_000,
    maxRetries: 5,
    deadline: Date.now() + 120_000,
  });
}

const LISTENERS = Number(process.argv[2] ?? 5);
const POLLS = Number(process.argv[3] ?? 24);
const LATENCY_MS = Number(process.argv[4] ?? 120);
const HOUR = 3_600_000;

(async () => {
  const specs: FakeListenerSpec[] = Array.from({ length: LISTENERS }, (_, i) => ({
    userId: `bench-listener-${i + 1}`,
    displayName: `Listener ${i + 1}`,
    refreshToken: `AQDbench-${i + 1}`,
    seed: 500 + i,
    savedTracks: 20,
    followedArtists: 10,
    plays: { perHour: 14 },
  }));
  const fake = await startFakeSpotify({
    listeners: specs,
    asOf: new Date('2026-11-24T00:30:00Z'),
    clock: 'frozen',
    faults: { rules: [{ path: '/**', action: { kind: 'delay', ms: LATENCY_MS } }] },
  });
  const root = mkdtempSync(join(tmpdir(), 'plays-bench-'));
  const writer = new LocalFolderWriter(root);
  const state: StateObjects = { put: (k, b, t) => writer.put(k, b, t), get: (k) => readFile(join(root, k)).catch(() => null) };
  const rows: Array<{ wall: number; api: number; token: number; bytes: number; plays: number; gaps: number }> = [];
  try {
    for (let poll = 0; poll <= POLLS; poll += 1) {
      const at = new Date(fake.now());
      const runId = `${at.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-bench${String(poll % 10)}`;
      const t0 = performance.now();
      const clients = specs.map((s) => clientFor(fake, s.refreshToken));
      const outcomes = await Promise.all(
        specs.map((s, i) =>
          extractListener({
            listener: s.displayName!,
            client: clients[i],
            runId,
            extractDate: at.toISOString().slice(0, 10),
            writer,
            state,
            what: { plays: true, savedTracks: false, followedArtists: false },
          }),
        ),
      );
      const manifestBytes = 600 + 400 * LISTENERS; // the manifest lists one object per listener
      for (const o of outcomes) if (o.plays?.cursorAfter) await advancePlaysCursor(state, o.profile!.spotifyUserId, o.plays.cursorAfter, runId);
      const wall = (performance.now() - t0) / 1000;
      if (poll > 0) {
        // Poll 0 takes each listener's whole reachable history (50 plays): the steady state is the hourly polls.
        rows.push({
          wall,
          api: clients.reduce((s, c) => s + c.stats.api_calls, 0),
          token: clients.reduce((s, c) => s + c.stats.token_calls, 0),
          bytes: outcomes.flatMap((o) => o.objects).reduce((s, o) => s + o.bytes, 0) + manifestBytes,
          plays: outcomes.reduce((s, o) => s + (o.plays?.newPlays ?? 0), 0),
          gaps: outcomes.filter((o) => o.gap).length,
        });
      }
      fake.advanceClock(HOUR);
    }
  } finally {
    await fake.close();
    rmSync(root, { recursive: true, force: true });
  }
  const sum = (k: keyof (typeof rows)[number]) => rows.reduce((s, r) => s + r[k], 0);
  const n = rows.length;
  const walls = rows.map((r) => r.wall).sort((a, b) => a - b);
  console.log(`plays polls: ${LISTENERS} listeners, ${n} hourly polls, ${LATENCY_MS} ms per API call`);
  console.log(`  per poll: wall median ${walls[Math.floor(n / 2)].toFixed(2)} s (max ${walls[n - 1].toFixed(2)} s), ` +
    `${(sum('api') / n).toFixed(1)} API + ${(sum('token') / n).toFixed(1)} token calls, ${(sum('bytes') / n / 1024).toFixed(1)} KiB raw, ` +
    `${(sum('plays') / n).toFixed(1)} new plays; ${sum('gaps')} possible gaps in the day`);

  // A month of hourly polls (730 h) at list prices (docs/benchmarks.md says where each price comes from).
  const polls = 730;
  const lambdaGbSeconds = polls * Math.max(walls[Math.floor(n / 2)], 0.001) * 0.5; // 512 MB function
  const lambdaCost = lambdaGbSeconds * 0.0000166667 + (polls / 1e6) * 0.2;
  // S3 per poll: one PUT per listener document, the manifest, the checkpoint (written and finished), one cursor PUT
  // and one cursor GET per listener, the manifest GET of the start-transform function.
  const puts = polls * (LISTENERS * 2 + 3);
  const gets = polls * (LISTENERS + 2);
  const s3Cost = (puts / 1000) * 0.005 + (gets / 1000) * 0.0004;
  const processedGb = (polls * (sum('bytes') / n) * 0.6) / 1024 ** 3; // Parquet of the plays and their tracks
  console.log(`  month of hourly polls: Lambda ${lambdaGbSeconds.toFixed(0)} GB-s = $${lambdaCost.toFixed(3)}; ` +
    `S3 ${puts} PUT + ${gets} GET = $${s3Cost.toFixed(3)}; Snowpipe ~${(processedGb * 1024).toFixed(1)} MB loaded`);
})();
