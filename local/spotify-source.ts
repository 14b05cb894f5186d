/**
 * Where a local run gets its Spotify data: the real Web API when credentials are available, otherwise the
 * embedded fake Spotify server on loopback with its bundled sample catalog. Either way the extract code sees
 * only base URLs and credentials, exactly as in AWS.
 *
 * Listeners: with the real API, the configured ones, each with the refresh token stored for them on this machine
 * (none configured: one listener, `me`, on the app's token). With the fake, its listeners: the configured names
 * (none configured: the sample listeners sam and mira), each with a token the fake issued them.
 */
import { DEFAULT_LISTENER_NAME } from '../config/listeners';
import type { PipelineConfig } from '../config/pipeline-config';
import type { ExtractListenerInput } from '../handlers/extract/extract-run';
import { InMemoryCredentialStore, ListenerCredentialStore, type SpotifyCredentialStore } from '../handlers/shared/spotify-secret';
import { sampleListenerSpecs, type FakeListenerSpec } from './fakes/spotify/listening';
import { startFakeSpotify, DEFAULT_FAKE_CREDENTIALS, type FakeSpotifyServer } from './fakes/spotify/server';
import { EnvironmentCredentialStore, localListenerTokenStore, LocalSecretsFileStore, readLocalSecrets } from './local-secrets';

/** auto: real when credentials exist, else fake. fake: always the embedded server. real: credentials required. */
export type SpotifySourceMode = 'auto' | 'fake' | 'real';

export interface SpotifySource {
  kind: 'fake' | 'real';
  apiBaseUrl: string;
  accountsBaseUrl: string;
  /** Where the credentials come from; a refresh token Spotify rotates is stored back there. */
  credentials: SpotifyCredentialStore;
  /** The listeners the run reads, each with their own credentials (the first also reads playlists and top lists). */
  listeners: ExtractListenerInput[];
  /** The embedded fake, when that is the source (tests and benchmarks move its clock). */
  fake?: FakeSpotifyServer;
  /** One line for the progress display and the report. */
  describe: string;
  close(): Promise<void>;
}

export interface OpenSpotifySourceOptions {
  mode: SpotifySourceMode;
  apiBaseUrl?: string;
  accountsBaseUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** The run's date: the fake serves its sample catalog as of that week (playlists change week by week). */
  asOf?: Date;
}

export async function openSpotifySource(config: PipelineConfig, options: OpenSpotifySourceOptions): Promise<SpotifySource> {
  const env = options.env ?? process.env;
  const secrets = options.mode === 'fake' ? undefined : readLocalSecrets(config.local.secretsFile, env);

  if (options.mode === 'real' || (options.mode === 'auto' && secrets)) {
    if (!secrets) {
      throw new Error(
        `no Spotify credentials: set SPOTIFY_CLIENT_ID (and SPOTIFY_CLIENT_SECRET / SPOTIFY_REFRESH_TOKEN) or create ${config.local.secretsFile}`,
      );
    }
    if (config.spotify.authMode === 'user' && !secrets.refreshToken && config.spotify.listeners.length === 0) {
      throw new Error('authMode "user" needs a refresh token: run `pipeline authorize` once (or `--listener <name>` for each configured listener)');
    }
    const apiBaseUrl = options.apiBaseUrl ?? config.spotify.apiBaseUrl;
    const accountsBaseUrl = options.accountsBaseUrl ?? config.spotify.accountsBaseUrl;
    const fromEnv = Boolean(env.SPOTIFY_CLIENT_ID);
    // A rotated refresh token must be kept, or the next run cannot authenticate: both stores write it to the
    // secrets file (from the environment, as a token that supersedes SPOTIFY_REFRESH_TOKEN, and say so).
    const app: SpotifyCredentialStore = fromEnv ? new EnvironmentCredentialStore(config.local.secretsFile, env) : new LocalSecretsFileStore(config.local.secretsFile);
    const configured = config.spotify.listeners;
    const listeners: ExtractListenerInput[] =
      configured.length === 0
        ? [{ name: DEFAULT_LISTENER_NAME, credentials: app }]
        : configured.map((l) => ({ name: l.name, credentials: new ListenerCredentialStore(l.name, app, localListenerTokenStore(config.local.secretsFile, l, env)) }));
    return {
      kind: 'real',
      apiBaseUrl,
      accountsBaseUrl,
      credentials: app,
      listeners,
      describe: `Spotify Web API at ${apiBaseUrl} (${config.spotify.authMode} auth, credentials from ${fromEnv ? 'the environment' : config.local.secretsFile})`,
      close: async () => {},
    };
  }

  const specs = fakeListenerSpecs(config.spotify.listeners.map((l) => l.name));
  // The fake's listeners authorised as it starts: a run reports six months of token left, as after `pipeline authorize`.
  const authorizedAt = Date.now();
  const fake = await startFakeSpotify({ rotateRefreshToken: true, asOf: options.asOf, listeners: specs.map((s) => s.spec), authorizedAt });
  const app = { clientId: fake.credentials.clientId, clientSecret: fake.credentials.clientSecret, authorizedAt: new Date(authorizedAt).toISOString() };
  const issued = new Map(fake.listeners().map((l) => [l.userId, l.refreshToken]));
  return {
    kind: 'fake',
    apiBaseUrl: fake.apiBaseUrl,
    accountsBaseUrl: fake.accountsBaseUrl,
    credentials: new InMemoryCredentialStore({ ...fake.credentials }, undefined, 'the embedded fake Spotify'),
    listeners: specs.map(({ name, spec }) => ({
      name,
      credentials: new InMemoryCredentialStore({ ...app, refreshToken: issued.get(spec.userId) }, undefined, `the embedded fake Spotify (listener ${name})`),
    })),
    fake,
    describe: `embedded fake Spotify at ${fake.apiBaseUrl} (sample catalog, listeners ${specs.map((s) => s.name).join(', ')})`,
    close: () => fake.close(),
  };
}

/**
 * The fake's listeners for the configured names: the sample listeners first (Sam, the catalog's user, then Mira),
 * then generated ones. No names configured: the sample listeners, as sam and mira.
 */
export function fakeListenerSpecs(names: string[]): Array<{ name: string; spec: FakeListenerSpec }> {
  const samples = sampleListenerSpecs(DEFAULT_FAKE_CREDENTIALS.refreshToken);
  const wanted = names.length > 0 ? names : ['sam', 'mira'];
  return wanted.map((name, i) => ({
    name,
    spec:
      samples[i] ??
      {
        userId: `fake-listener-${name}`,
        displayName: name,
        refreshToken: `AQDfake-refresh-token-for-listener-${name}`,
        seed: 1300 + i,
        savedTracks: 30 + i,
        followedArtists: 10 + i,
      },
  }));
}
