/**
 * The simulated year (`npm run soak`): the extract Lambda's handler polls the fake Spotify every simulated hour
 * and runs the weekly extract on Mondays, into a local bucket folder, while the fake's clock moves through 52 weeks
 * with 10% API faults, one listener's token dying at month six, and a three-day Spotify outage (scenario.ts).
 * Every six simulated hours the health view (cli/health) is judged at that instant, as the deployed alarms would
 * be; a problem that starts is an alert raised.
 *
 * What it counts, per listener, from the fake's own model of each listener's history (an oracle the pipeline
 * never sees):
 * - P, plays reachable: plays that were among the newest 50 at some poll Spotify answered;
 * - S, stored: distinct plays in the raw plays documents of the runs that finished (their manifest written);
 * - L, lost: reachable but not stored (must be 0);
 * - G, beyond reach: plays of the year that were never reachable by an answered poll (the dead token, the outage).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineConfigSchema, type PipelineConfig } from '../../config/pipeline-config';
import { createExtractHandler, type ExtractLogger, type ExtractMetrics } from '../../handlers/extract/index';
import { newRunId, type ExtractListenerInput } from '../../handlers/extract/extract-run';
import type { RunManifest } from '../../handlers/shared/manifest';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { InMemoryCredentialStore } from '../../handlers/shared/spotify-secret';
import { listenerStages } from '../../cli/health/listener-stages';
import { DEFAULT_THRESHOLDS, healthReport } from '../../cli/health/health-report';
import { tokenHealth } from '../../cli/health/token-health';
import { startFakeSpotify, type FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { FakeListener, FULL_LISTENER_SCOPE, sampleListenerSpecs } from '../../local/fakes/spotify/listening';
import { loadSampleCatalog } from '../../local/fakes/spotify/catalog';
import { DAY_MS, HOUR_MS, authorisedAt, buildScenario, expectedAlerts, type Scenario } from './scenario';
import { warehouseSample, type SampleResult } from './warehouse-sample';

type Name = 'sam' | 'mira';
const NAMES: Name[] = ['sam', 'mira'];
const HEALTH_EVERY_HOURS = 6;
const WINDOW_MS = 14 * DAY_MS;

const quiet = () => {};
const silentLogger: ExtractLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet, appendKeys: quiet, addContext: quiet };
const noMetrics: ExtractMetrics = { addDimension: quiet, addMetric: quiet, publishStoredMetrics: quiet };

export interface SoakResult {
  weeks: number;
  reachable: number;
  stored: number;
  lost: number;
  beyondReach: number;
  /** Beyond reach outside the outage and mira's dead token: a loss the scenario does not explain (must be 0). */
  unexplainedBeyondReach: number;
  alertsRaised: string[];
  alertsExpected: string[];
  runs: { finished: number; failed: number };
  bucketDir: string;
  /** The runs around mira's return through the Glue job and the warehouse (warehouse-sample.ts); null with --no-warehouse. */
  sample: SampleResult | null;
}

function soakConfig(): PipelineConfig {
  return PipelineConfigSchema.parse({
    environment: 'local',
    project: 'soak',
    aws: { region: 'eu-west-1' },
    spotify: { authMode: 'user', playlists: [], includeMyPlaylists: false, topItems: { enabled: true }, listeners: [{ name: 'sam' }, { name: 'mira' }] },
  });
}

/** The plays stored by a finished run: (listener, played_at ms) from its raw plays documents. */
function storedPlays(bucketDir: string, manifest: RunManifest): Array<[Name, number]> {
  return manifest.objects
    .filter((o) => o.kind === 'plays' && o.fetched_in_run === manifest.run_id)
    .flatMap((o) => {
      const doc = JSON.parse(readFileSync(join(bucketDir, ...o.key.split('/')), 'utf8')) as { pages: Array<{ items: Array<{ played_at: string }> }> };
      return doc.pages.flatMap((p) => p.items.map((i) => [o.entity_id as Name, Date.parse(i.played_at)] as [Name, number]));
    });
}

class Soak {
  readonly bucketDir = mkdtempSync(join(tmpdir(), 'soak-bucket-'));
  private readonly writer = new LocalFolderWriter(this.bucketDir);
  private readonly config = soakConfig();
  private readonly manifests: RunManifest[] = [];
  private readonly stored = new Set<string>();
  private readonly reachable = new Set<string>();
  private readonly active = new Set<string>();
  readonly alerts: string[] = [];
  /** The runs of the warehouse sample (a few hours from mira's return) and the plays they stored. */
  readonly sampleRuns: RunManifest[] = [];
  readonly samplePlays = new Set<string>();
  readonly runs = { finished: 0, failed: 0 };
  private listeners: ExtractListenerInput[] = [];

  constructor(
    /** The simulated instant: the fake Spotify's wall clock reads it too (token ages). */
    private readonly sim: { now: number },
    readonly scenario: Scenario,
    private readonly fake: FakeSpotifyServer,
    private readonly oracle: Record<Name, FakeListener>,
    private readonly userIds: Record<Name, string>,
  ) {
    const app = { clientId: fake.credentials.clientId, clientSecret: fake.credentials.clientSecret };
    const tokens = new Map(fake.listeners().map((l) => [l.userId, l.refreshToken]));
    this.listeners = NAMES.map((name) => ({ name, credentials: new InMemoryCredentialStore({ ...app, refreshToken: tokens.get(userIds[name]) }) }));
  }

  private async extract(mode: 'full' | 'plays', seed: string): Promise<RunManifest | null> {
    const handler = createExtractHandler({
      config: { ...this.config, spotify: { ...this.config.spotify, apiBaseUrl: this.fake.apiBaseUrl, accountsBaseUrl: this.fake.accountsBaseUrl } },
      writer: this.writer,
      secrets: new InMemoryCredentialStore({ ...this.fake.credentials }),
      listeners: this.listeners,
      logger: silentLogger,
      metrics: noMetrics,
      // Backoffs of a few ms: the simulated hour does not wait on the machine's clock.
      backoff: { baseMs: 2, capMs: 10 },
    });
    const runId = newRunId(new Date(this.sim.now), seed, { plays: mode === 'plays' });
    // As Lambda retries a failed asynchronous invocation twice, each resuming the same run id.
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        const result = await handler({ runId, mode });
        const bytes = await this.writer.get(result.manifestKey);
        return JSON.parse(Buffer.from(bytes!).toString('utf8')) as RunManifest;
      } catch {
        // the run has no manifest: the next attempt resumes it
      }
    }
    return null;
  }

  private record(manifest: RunManifest | null): void {
    if (!manifest) {
      this.runs.failed += 1;
      return;
    }
    this.runs.finished += 1;
    this.manifests.push(manifest);
    const started = Date.parse(manifest.started_at);
    const [, back] = this.scenario.miraDead;
    const inSample = manifest.mode === 'plays' && started >= back - 2 * HOUR_MS && started < back + 8 * HOUR_MS;
    if (inSample) this.sampleRuns.push(manifest);
    for (const [name, at] of storedPlays(this.bucketDir, manifest)) {
      this.stored.add(`${name}:${at}`);
      if (inSample) this.samplePlays.add(`${name}:${at}`);
    }
    // What the poll could reach: the newest 50 at the instant Spotify answered it, for each listener it read.
    for (const object of manifest.objects) {
      if (object.kind !== 'plays') continue;
      const name = object.entity_id as Name;
      for (const play of this.oracle[name].reachablePlays(Date.parse(manifest.started_at))) this.reachable.add(`${name}:${play.playedAtMs}`);
    }
  }

  /** The health view at this instant; a (kind, listener) problem that was not there before is an alert. */
  private judge(): void {
    while (this.manifests.length > 0 && Date.parse(this.manifests[0].started_at) < this.sim.now - WINDOW_MS) this.manifests.shift();
    const stages = listenerStages(NAMES, this.manifests, new Set(), null).map((l) => ({ ...l, stages: l.stages.filter((s) => s.stage !== 'transform') }));
    const report = healthReport({
      target: 'local',
      where: this.bucketDir,
      now: new Date(this.sim.now),
      listeners: stages,
      tokens: NAMES.map((name) => tokenHealth(name, new Date(authorisedAt(this.scenario, name, this.sim.now)).toISOString(), new Date(this.sim.now))),
      checks: null,
      pipes: null,
      alarms: null,
      unreadable: [],
      authorizeCommand: (l) => `npm run pipeline -- authorize --listener ${l}`,
      thresholds: DEFAULT_THRESHOLDS,
    });
    const now = new Set(report.problems.map((p) => `${p.kind}:${p.subject}${p.episode ? `@${p.episode}` : ''}`));
    for (const key of now) if (!this.active.has(key)) this.alerts.push(key.split('@')[0]);
    this.active.clear();
    for (const key of now) this.active.add(key);
  }

  /**
   * Spotify's state at this instant: down during the outage (every request 503), 10% faults otherwise. A listener
   * whose authorisation falls in the last hour authorises again through the fake's own code flow (a new refresh
   * token, its six months counted from now); mira's first token simply dies of age in the fake.
   */
  private async applyEvents(): Promise<void> {
    for (const name of NAMES) {
      const due = this.scenario.authorisations[name].find((at, i) => i > 0 && at <= this.sim.now && at > this.sim.now - HOUR_MS);
      if (due !== undefined) await this.authorise(name);
    }
    const [outFrom, outTo] = this.scenario.outage;
    const inOutage = this.sim.now >= outFrom && this.sim.now < outTo;
    this.fake.setFaults(
      inOutage
        ? { rules: [{ name: 'outage', path: '/**', action: { kind: 'serverError', status: 503 } }] }
        : { randomFaults: { fraction: this.scenario.faultFraction, seed: Math.floor(this.sim.now / HOUR_MS), retryAfterSeconds: 0.01 } },
    );
  }

  /** `pipeline authorize --listener NAME` against the fake: its /authorize approves at once, the code is exchanged. */
  private async authorise(name: Name): Promise<void> {
    this.fake.authorizeAs(this.userIds[name]);
    const redirectUri = 'http://127.0.0.1:8888/callback';
    const url = new URL(`${this.fake.accountsBaseUrl}/authorize`);
    url.search = new URLSearchParams({ client_id: this.fake.credentials.clientId, response_type: 'code', redirect_uri: redirectUri, scope: FULL_LISTENER_SCOPE }).toString();
    const approved = await fetch(url, { redirect: 'manual' });
    const code = new URL(approved.headers.get('location') ?? '').searchParams.get('code');
    if (!code) throw new Error(`the fake's /authorize gave no code for ${name}: ${approved.status} ${approved.headers.get('location')}`);
    const answer = await fetch(`${this.fake.accountsBaseUrl}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: this.fake.credentials.clientId,
        client_secret: this.fake.credentials.clientSecret,
      }).toString(),
    });
    const token = (await answer.json()) as { refresh_token?: string };
    if (!token.refresh_token) throw new Error(`the fake's code exchange gave no refresh token for ${name} (HTTP ${answer.status})`);
    const app = { clientId: this.fake.credentials.clientId, clientSecret: this.fake.credentials.clientSecret };
    this.listeners = this.listeners.map((l) =>
      l.name === name ? { name, credentials: new InMemoryCredentialStore({ ...app, refreshToken: token.refresh_token, authorizedAt: new Date(this.sim.now).toISOString() }) } : l,
    );
  }

  async run(): Promise<void> {
    const hours = this.scenario.weeks * 7 * 24;
    for (let hour = 0; hour < hours; hour += 1) {
      this.sim.now = this.scenario.start + hour * HOUR_MS + 5 * 60_000;
      this.fake.setClock(new Date(this.sim.now));
      await this.applyEvents();
      const at = new Date(this.sim.now);
      if (at.getUTCDay() === 1 && at.getUTCHours() === 6) this.record(await this.extract('full', `w${hour}`));
      this.record(await this.extract('plays', `p${hour}`));
      // Judged from the first weekly run on (before it, no weekly extract is expected yet).
      if (hour >= 7 && hour % HEALTH_EVERY_HOURS === 0) this.judge();
    }
  }

  /** Plays of the run per listener, from the oracle: after the start, up to the last poll (later ones no poll could reach yet). */
  allPlays(): Set<string> {
    const all = new Set<string>();
    const last = this.sim.now;
    for (const name of NAMES) {
      for (let from = this.scenario.start; from < last; from += 7 * DAY_MS) {
        for (const play of this.oracle[name].playsBetween(from, Math.min(from + 7 * DAY_MS, last))) all.add(`${name}:${play.playedAtMs}`);
      }
    }
    return all;
  }

  /**
   * Plays no answered poll reached, by the dead spell they fell in: played before the outage ended (and within two
   * days before it: the 50 newest at its start are reached), or before mira came back. Any other is a loss the
   * scenario does not explain, counted apart (`unexplained`, must be 0).
   */
  beyondReach(): { total: number; unexplained: number; perListener: Record<Name, { dead: number; outage: number }> } {
    const per: Record<Name, { dead: number; outage: number }> = { sam: { dead: 0, outage: 0 }, mira: { dead: 0, outage: 0 } };
    const within = (at: number, [from, to]: readonly [number, number]) => at >= from - 2 * DAY_MS && at < to;
    let total = 0;
    let unexplained = 0;
    for (const key of this.allPlays()) {
      if (this.reachable.has(key)) continue;
      total += 1;
      const [name, text] = key.split(':') as [Name, string];
      const at = Number(text);
      if (within(at, this.scenario.outage)) per[name].outage += 1;
      else if (name === 'mira' && within(at, this.scenario.miraDead)) per[name].dead += 1;
      else unexplained += 1;
    }
    return { total, unexplained, perListener: per };
  }

  result(sample: SampleResult | null): SoakResult {
    const lost = [...this.reachable].filter((k) => !this.stored.has(k)).length;
    const beyond = this.beyondReach();
    return {
      weeks: this.scenario.weeks,
      reachable: this.reachable.size,
      stored: this.stored.size,
      lost,
      beyondReach: beyond.total,
      unexplainedBeyondReach: beyond.unexplained,
      alertsRaised: [...this.alerts].sort(),
      alertsExpected: expectedAlerts(this.scenario, beyond.perListener),
      runs: this.runs,
      bucketDir: this.bucketDir,
      sample,
    };
  }
}

export async function runSoak(options: { weeks?: number; warehouse?: boolean } = {}): Promise<SoakResult> {
  const scenario = buildScenario(options.weeks ?? 52);
  const specs = sampleListenerSpecs('AQDsoak-sam-refresh-token');
  const sim = { now: scenario.start };
  const fake = await startFakeSpotify({
    clock: 'frozen',
    asOf: new Date(scenario.start),
    wallClock: () => sim.now,
    // Both listeners' first authorisation (the scenario's), from which the fake counts their tokens' six months.
    authorizedAt: scenario.authorisations.sam[0],
    listeners: specs,
    rotateRefreshToken: true,
  });
  const catalog = loadSampleCatalog(new Date(scenario.start));
  const oracle = { sam: new FakeListener(specs[0], catalog), mira: new FakeListener(specs[1], catalog) };
  const soak = new Soak(sim, scenario, fake, oracle, { sam: specs[0].userId, mira: specs[1].userId });
  try {
    await soak.run();
    const sample = options.warehouse === false ? null : await warehouseSample(soak.bucketDir, soak.sampleRuns, soak.samplePlays, { sam: specs[0].userId, mira: specs[1].userId });
    return soak.result(sample);
  } finally {
    await fake.close();
  }
}

/** Alerts that were expected and not raised, and raised but not expected (as multisets). */
export function alertDifferences(r: SoakResult): { missed: string[]; unexpected: string[] } {
  const left = [...r.alertsRaised];
  const missed: string[] = [];
  for (const expected of r.alertsExpected) {
    const i = left.indexOf(expected);
    if (i === -1) missed.push(expected);
    else left.splice(i, 1);
  }
  return { missed, unexpected: left };
}

export function sampleLine(s: SampleResult): string {
  return (
    `warehouse sample: ${s.runs} plays runs through the Glue job (${s.killedMidWrite ? 'killed mid-write, then re-run' : 'NOT killed'}) and the local warehouse ` +
    `(${s.skippedOnReload} files offered twice, skipped): ${s.rawPlays} plays in raw, ${s.warehousePlays} in current_plays, ${s.duplicates} twice, ${s.missing} missing`
  );
}

export function soakLine(r: SoakResult): string {
  return (
    `soak: ${r.weeks} weeks, ${r.reachable} plays reachable, ${r.stored} stored, ${r.lost} lost, ` +
    `${r.beyondReach} beyond reach during outages, ${r.alertsRaised.length} alerts raised of ${r.alertsExpected.length} expected`
  );
}
