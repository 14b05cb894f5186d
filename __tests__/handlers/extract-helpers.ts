/**
 * Shared set-up of the extract tests: fake Spotify servers and bucket folders that are cleaned up after the
 * file, an ExtractRunInput against a fake, and readers for what a run left in the bucket folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PipelineConfigSchema } from '../../config/pipeline-config';
import { newRunId, type ExtractRunInput } from '../../handlers/extract/extract-run';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { SAMPLE_PLAYLIST_IDS } from '../../local/fakes/spotify/catalog';
import { startFakeSpotify, type FakeSpotifyServer } from '../../local/fakes/spotify/server';

export const OWNED = SAMPLE_PLAYLIST_IDS.owned;

const started: FakeSpotifyServer[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(started.map((f) => f.close().catch(() => {})));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export async function fake(options: Parameters<typeof startFakeSpotify>[0] = {}): Promise<FakeSpotifyServer> {
  const server = await startFakeSpotify(options);
  started.push(server);
  return server;
}

export function bucketDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'extract-test-'));
  dirs.push(dir);
  return dir;
}

export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(root, path).split('\\').join('/'));
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

export type SpotifyInput = Omit<Partial<ExtractRunInput['spotify']>, 'topItems' | 'playlists'> & {
  topItems?: { enabled: boolean; timeRanges?: Array<'short_term' | 'medium_term' | 'long_term'>; limit?: number };
  /** As the configuration gives them: ids, URIs, URLs or `{ id, listener }`. */
  playlists?: Array<string | { id: string; listener?: string }>;
};

export const RUN_AT = new Date('2026-11-25T06:00:00Z');

export function input(server: FakeSpotifyServer, dir: string, spotify: SpotifyInput = {}, extra: Partial<ExtractRunInput> = {}): ExtractRunInput {
  const config = PipelineConfigSchema.parse({
    environment: 'local',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: {
      apiBaseUrl: server.apiBaseUrl,
      accountsBaseUrl: server.accountsBaseUrl,
      playlists: OWNED.slice(0, 3),
      includeMyPlaylists: false,
      topItems: { enabled: false },
      // The playlist tests leave the listeners' documents out; the listening tests turn them on.
      listening: { plays: false, savedTracks: false, followedArtists: false },
      maxRetries: 4,
      requestTimeoutMs: 2_000,
      ...spotify,
    },
  });
  return {
    spotify: config.spotify,
    timeBudgetSeconds: 60,
    credentials: { ...server.credentials },
    writer: new LocalFolderWriter(dir),
    runId: newRunId(RUN_AT, 'test-event'),
    startedAt: RUN_AT,
    backoff: { baseMs: 20, capMs: 100 },
    ...extra,
  };
}

export const readJson = (dir: string, key: string) => JSON.parse(readFileSync(join(dir, key), 'utf8'));

/**
 * A real HTTP proxy in front of the fake's Web API that rewrites its JSON answers: other servers' shapes. Returns
 * the proxy's API base URL.
 */
export async function jsonProxy(server: FakeSpotifyServer, rewrite: (path: string, body: unknown) => unknown): Promise<string> {
  const proxy = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(new URL(req.url!, server.apiBaseUrl.replace(/\/v1$/, '')), { headers: { authorization: req.headers.authorization ?? '' } });
      const text = await upstream.text();
      const body = upstream.ok ? JSON.stringify(rewrite(req.url!, JSON.parse(text))) : text;
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      res.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxies.push(proxy);
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`;
}
const proxies: Server[] = [];
afterAll(() => Promise.all(proxies.map((p) => new Promise((resolve) => p.close(resolve)))));
