/**
 * Plays poll benchmark (run: `npx tsx bench/plays-bench.ts [listeners] [polls] [latencyMs]`, or `npm run
 * bench:plays`): a day of hourly plays runs (`extractRun` in `plays` mode, as the hourly schedule invokes it) of N
 * listeners against the embedded fake Spotify, every API and token call delayed by `latencyMs` to stand in for the
 * network between Lambda and Spotify. Prints per run: wall time, API and token calls, S3 writes and bytes, new
 * plays; and a month of hourly runs at list prices (docs/benchmarks.md says where each price comes from).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineConfigSchema } from '../config/pipeline-config';
import { extractRun, newRunId } from '../handlers/extract/extract-run';
import { LocalFolderWriter } from '../handlers/shared/raw-writer';
import { startFakeSpotify, type FakeListenerSpec } from '../local/fakes/spotify/server';

const LISTENERS = Number(process.argv[2] ?? 5);
const POLLS = Number(process.argv[3] ?? 24);
const LATENCY_MS = Number(process.argv[4] ?? 120);
const HOUR = 3_600_000;
const LAMBDA_GB = 0.5; // the extract function's 512 MB

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
  const config = PipelineConfigSchema.parse({
    environment: 'local',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { apiBaseUrl: fake.apiBaseUrl, accountsBaseUrl: fake.accountsBaseUrl, topItems: { enabled: false } },
  });
  const rows: Array<{ wall: number; api: number; token: number; puts: number; bytes: number; plays: number; gaps: number }> = [];
  try {
    for (let poll = 0; poll <= POLLS; poll += 1) {
      const at = new Date(fake.now());
      const writer = new LocalFolderWriter(root);
      let puts = 0;
      let bytes = 0;
      const put = writer.put.bind(writer);
      writer.put = async (key, body, type) => {
        const written = await put(key, body, type);
        puts += 1;
        bytes += written.bytes;
        return written;
      };
      const t0 = performance.now();
      const { manifest } = await extractRun({
        spotify: config.spotify,
        timeBudgetSeconds: config.extract.playsTimeBudgetSeconds,
        credentials: { ...fake.credentials },
        listeners: specs.map((s, i) => ({ name: `listener-${i + 1}`, credentials: { ...fake.credentials, refreshToken: s.refreshToken } })),
        mode: 'plays',
        writer,
        runId: newRunId(at, `plays-${poll}`),
        startedAt: at,
      });
      const wall = (performance.now() - t0) / 1000;
      // Poll 0 takes each listener's whole reachable history (50 plays): the steady state is the hourly polls.
      if (poll > 0) {
        const c = manifest.counts;
        rows.push({ wall, api: c.api_calls, token: c.token_calls, puts, bytes, plays: c.plays ?? 0, gaps: manifest.plays_gaps?.length ?? 0 });
      }
      fake.advanceClock(HOUR);
    }
  } finally {
    await fake.close();
    rmSync(root, { recursive: true, force: true });
  }
  const n = rows.length;
  const mean = (k: keyof (typeof rows)[number]) => rows.reduce((s, r) => s + r[k], 0) / n;
  const walls = rows.map((r) => r.wall).sort((a, b) => a - b);
  const median = walls[Math.floor(n / 2)];
  console.log(`plays runs: ${LISTENERS} listeners, ${n} hourly runs, ${LATENCY_MS} ms per call (${new Date().toISOString().slice(0, 10)})`);
  console.log(
    `  per run: wall median ${median.toFixed(2)} s (max ${walls[n - 1].toFixed(2)} s); ${mean('api').toFixed(1)} API + ${mean('token').toFixed(1)} token calls; ` +
      `${mean('puts').toFixed(1)} S3 PUTs, ${(mean('bytes') / 1024).toFixed(1)} KiB written; ${mean('plays').toFixed(1)} new plays; ` +
      `${rows.reduce((s, r) => s + r.gaps, 0)} possible gaps in the day`,
  );
  // A month of hourly runs (730 h). S3 GETs per run: the manifest and checkpoint lookups, one cursor per listener.
  const runs = 730;
  const gbSeconds = runs * median * LAMBDA_GB;
  const lambda = gbSeconds * 0.0000133334 + (runs / 1e6) * 0.2;
  const puts = runs * mean('puts');
  const gets = runs * (2 + LISTENERS);
  const s3 = (puts / 1000) * 0.005 + (gets / 1000) * 0.0004;
  const rawGb = (runs * mean('bytes')) / 1024 ** 3;
  console.log(
    `  a month of hourly runs: Lambda ${gbSeconds.toFixed(0)} GB-s ($${lambda.toFixed(4)} at arm64 list price, inside the free tier); ` +
      `S3 ${Math.round(puts)} PUTs + ${gets} GETs ($${s3.toFixed(3)}); ${(rawGb * 1024).toFixed(1)} MB of raw JSON`,
  );
})();
