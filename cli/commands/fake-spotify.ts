/**
 * `pipeline fake-spotify`: serve the embedded fake Spotify Web API and its sample catalog on loopback until
 * interrupted, so the extract (or any Spotify client) can be pointed at it by base URL.
 */
import type { Command } from 'commander';
import { startFakeSpotify } from '../../local/fakes/spotify/server';
import { parseAsOf } from './run';

export function register(program: Command): void {
  program
    .command('fake-spotify')
    .description('Serve the embedded fake Spotify Web API (sample catalog) on 127.0.0.1 until Ctrl-C')
    .option('--port <n>', 'port to listen on (0 = any free port)', '8888')
    .option('--as-of <date>', "serve the sample catalog as of this date's week (YYYY-MM-DD); default: the base catalog")
    .action(async (options: { port: string; asOf?: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535 (got ${options.port})`);
      const fake = await startFakeSpotify({ port, asOf: options.asOf ? parseAsOf(options.asOf) : undefined });
      process.stdout.write(
        [
          `fake Spotify listening`,
          `  API base URL       ${fake.apiBaseUrl}`,
          `  accounts base URL  ${fake.accountsBaseUrl}`,
          `  SPOTIFY_CLIENT_ID=${fake.credentials.clientId}`,
          `  SPOTIFY_CLIENT_SECRET=${fake.credentials.clientSecret}`,
          `  SPOTIFY_REFRESH_TOKEN=${fake.credentials.refreshToken}`,
          `Run the pipeline against it from another shell with those variables and:`,
          `  npm run pipeline -- run --spotify real --spotify-api-base-url ${fake.apiBaseUrl} --spotify-accounts-base-url ${fake.accountsBaseUrl}`,
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await fake.close();
    });
}
