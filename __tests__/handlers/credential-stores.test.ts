/**
 * Where a rotated refresh token goes on this machine: credentials from the environment (SPOTIFY_*) or from the
 * local secrets file. Spotify's rotation kills the old refresh token, so losing the new one is a pipeline that
 * cannot authenticate next time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../config/pipeline-config';
import { extractRun } from '../../handlers/extract/extract-run';
import { readLocalSecrets } from '../../local/local-secrets';
import { openSpotifySource } from '../../local/spotify-source';
import { bucketDir, fake, input, OWNED } from './extract-helpers';

function localConfig(secretsFile: string) {
  return parseConfig({
    environment: 'local',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { playlists: [OWNED[0]], topItems: { enabled: false } },
    local: { secretsFile },
  });
}

test('credentials from the environment: a rotated refresh token is written to the secrets file, and the next run uses it', async () => {
  const server = await fake({ rotateRefreshToken: true });
  const secretsFile = join(bucketDir(), 'spotify-secrets.json');
  const config = localConfig(secretsFile);
  const original = server.credentials.refreshToken;
  const env = { SPOTIFY_CLIENT_ID: server.credentials.clientId, SPOTIFY_CLIENT_SECRET: server.credentials.clientSecret, SPOTIFY_REFRESH_TOKEN: original };
  const source = await openSpotifySource(config, { mode: 'real', apiBaseUrl: server.apiBaseUrl, accountsBaseUrl: server.accountsBaseUrl, env });
  await extractRun(input(server, bucketDir(), {}, { credentials: source.credentials }));
  expect(server.credentials.refreshToken).not.toBe(original);
  expect(JSON.parse(readFileSync(secretsFile, 'utf8')).refreshToken).toBe(server.credentials.refreshToken);

  // The environment still names the old (now dead) token: the file's rotated one is used instead.
  expect(readLocalSecrets(secretsFile, env)?.refreshToken).toBe(server.credentials.refreshToken);
  const again = await openSpotifySource(config, { mode: 'real', apiBaseUrl: server.apiBaseUrl, accountsBaseUrl: server.accountsBaseUrl, env });
  const { manifest } = await extractRun(input(server, bucketDir(), {}, { credentials: again.credentials }));
  expect(manifest.status).toBe('complete');
});
