/**
 * Where a rotated refresh token goes on this machine: credentials from the environment (SPOTIFY_*) or from the
 * local secrets file. Spotify's rotation kills the old refresh token, so losing the new one is a pipeline that
 * cannot authenticate next time.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../config/pipeline-config';
import { extractRun } from '../../handlers/extract/extract-run';
import { EnvironmentCredentialStore, LocalSecretsFileStore, readLocalSecrets, writeLocalSecrets } from '../../local/local-secrets';
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

test('the environment store says where the rotated token went, and never writes the client secret to disk', async () => {
  const file = join(bucketDir(), 'spotify-secrets.json');
  const messages: string[] = [];
  const env = { SPOTIFY_CLIENT_ID: 'cid', SPOTIFY_CLIENT_SECRET: 'csecret', SPOTIFY_REFRESH_TOKEN: 'rt-env' };
  const store = new EnvironmentCredentialStore(file, env, (m) => messages.push(m));
  expect(await store.load()).toEqual({ clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-env' });
  await store.saveRotatedRefreshToken('rt-env', 'rt-2');
  expect(messages).toEqual([expect.stringContaining(`stored in ${file} (mode 600)`)]);
  expect(messages[0]).not.toContain('rt-2');
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  expect(saved).toEqual({ clientId: 'cid', refreshToken: 'rt-2', supersedes: [expect.stringMatching(/^[0-9a-f]{64}$/)] });
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(await store.load()).toEqual({ clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-2' });
  // Rotated again: still found from the same (stale) environment.
  await store.saveRotatedRefreshToken('rt-2', 'rt-3');
  expect((await store.load()).refreshToken).toBe('rt-3');
  // A new token in the environment (the user copied it over) wins again.
  expect(await new EnvironmentCredentialStore(file, { ...env, SPOTIFY_REFRESH_TOKEN: 'rt-fresh' }).load()).toMatchObject({ refreshToken: 'rt-fresh' });
});

test('the secrets file store writes a rotated token back, and keeps an authorisation written meanwhile', async () => {
  const file = join(bucketDir(), 'spotify-secrets.json');
  writeLocalSecrets(file, { clientId: 'cid', refreshToken: 'rt-1' });
  const store = new LocalSecretsFileStore(file);
  expect(await store.saveRotatedRefreshToken('rt-1', 'rt-2')).toBe('stored');
  expect(await store.saveRotatedRefreshToken('rt-1', 'rt-2')).toBe('already-stored');
  expect((await store.load()).refreshToken).toBe('rt-2');
  writeLocalSecrets(file, { clientId: 'cid', refreshToken: 'rt-authorized-again' });
  expect(await store.saveRotatedRefreshToken('rt-2', 'rt-3')).toBe('kept-newer');
  expect((await store.load()).refreshToken).toBe('rt-authorized-again');
});
