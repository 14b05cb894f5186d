/**
 * Where a local run gets its Spotify data: the real Web API when credentials are available, otherwise the
 * embedded fake Spotify server on loopback with its bundled sample catalog. Either way the extract code sees
 * only base URLs and credentials, exactly as in AWS.
 */
import type { PipelineConfig } from '../config/pipeline-config';
import { InMemoryCredentialStore, type SpotifyCredentialStore } from '../handlers/shared/spotify-secret';
import { startFakeSpotify } from './fake-spotify/server';
import { EnvironmentCredentialStore, LocalSecretsFileStore, readLocalSecrets } from './local-secrets';

/** auto: real when credentials exist, else fake. fake: always the embedded server. real: credentials required. */
export type SpotifySourceMode = 'auto' | 'fake' | 'real';

export interface SpotifySource {
  kind: 'fake' | 'real';
  apiBaseUrl: string;
  accountsBaseUrl: string;
  /** Where the credentials come from; a refresh token Spotify rotates is stored back there. */
  credentials: SpotifyCredentialStore;
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
    if (config.spotify.authMode === 'user' && !secrets.refreshToken) {
      throw new Error('authMode "user" needs a refresh token: run `pipeline authorize` once');
    }
    const apiBaseUrl = options.apiBaseUrl ?? config.spotify.apiBaseUrl;
    const accountsBaseUrl = options.accountsBaseUrl ?? config.spotify.accountsBaseUrl;
    const fromEnv = Boolean(env.SPOTIFY_CLIENT_ID);
    return {
      kind: 'real',
      apiBaseUrl,
      accountsBaseUrl,
      // A rotated refresh token must be kept, or the next run cannot authenticate: both stores write it to the
      // secrets file (from the environment, as a token that supersedes SPOTIFY_REFRESH_TOKEN, and say so).
      credentials: fromEnv ? new EnvironmentCredentialStore(config.local.secretsFile, env) : new LocalSecretsFileStore(config.local.secretsFile),
      describe: `Spotify Web API at ${apiBaseUrl} (${config.spotify.authMode} auth, credentials from ${fromEnv ? 'the environment' : config.local.secretsFile})`,
      close: async () => {},
    };
  }

  const fake = await startFakeSpotify({ rotateRefreshToken: true, asOf: options.asOf });
  return {
    kind: 'fake',
    apiBaseUrl: fake.apiBaseUrl,
    accountsBaseUrl: fake.accountsBaseUrl,
    credentials: new InMemoryCredentialStore({ ...fake.credentials }, undefined, 'the embedded fake Spotify'),
    describe: `embedded fake Spotify at ${fake.apiBaseUrl} (sample catalog)`,
    close: () => fake.close(),
  };
}
