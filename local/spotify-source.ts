/**
 * Where a local run gets its Spotify data: the real Web API when credentials are available, otherwise the
 * embedded fake Spotify server on loopback with its bundled sample catalog. Either way the extract code sees
 * only base URLs and credentials, exactly as in AWS.
 */
import type { PipelineConfig } from '../config/pipeline-config';
import type { SpotifyCredentials } from '../handlers/extract/extract-run';
import { startFakeSpotify } from './fake-spotify/server';
import { readLocalSecrets, writeLocalSecrets } from './local-secrets';

/** auto: real when credentials exist, else fake. fake: always the embedded server. real: credentials required. */
export type SpotifySourceMode = 'auto' | 'fake' | 'real';

export interface SpotifySource {
  kind: 'fake' | 'real';
  apiBaseUrl: string;
  accountsBaseUrl: string;
  credentials: SpotifyCredentials;
  /** One line for the progress display and the report. */
  describe: string;
  persistRotatedRefreshToken?: (token: string) => Promise<void>;
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
      credentials: secrets,
      describe: `Spotify Web API at ${apiBaseUrl} (${config.spotify.authMode} auth, credentials from ${fromEnv ? 'the environment' : config.local.secretsFile})`,
      // A rotated refresh token must be kept, or the next run cannot authenticate. From the environment we can
      // only say so; from the secrets file we write it back.
      persistRotatedRefreshToken: async (refreshToken) => {
        if (fromEnv) {
          process.stderr.write('Spotify rotated the refresh token: update SPOTIFY_REFRESH_TOKEN before the next run.\n');
          return;
        }
        writeLocalSecrets(config.local.secretsFile, { ...secrets, refreshToken });
      },
      close: async () => {},
    };
  }

  const fake = await startFakeSpotify({ rotateRefreshToken: true, asOf: options.asOf });
  return {
    kind: 'fake',
    apiBaseUrl: fake.apiBaseUrl,
    accountsBaseUrl: fake.accountsBaseUrl,
    credentials: { ...fake.credentials },
    describe: `embedded fake Spotify at ${fake.apiBaseUrl} (sample catalog)`,
    persistRotatedRefreshToken: async () => {},
    close: () => fake.close(),
  };
}
