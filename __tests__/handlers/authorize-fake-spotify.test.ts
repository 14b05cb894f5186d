/**
 * `pipeline authorize` end to end against the embedded fake Spotify's real accounts service: GET /authorize
 * (auto-approved, 302 to the loopback redirect URI) and POST /api/token (single-use code, same redirect URI,
 * code_verifier checked against the S256 challenge). The test plays the browser: it opens the printed URL without
 * following redirects and then follows the Location to the command's loopback listener. The refresh token that
 * comes out (and that the command stores) must then work like Spotify's: access token by client_id alone, /v1/me.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import * as authorizeCommand from '../../cli/commands/authorize';
import { createPkcePair, runPkceAuthorization, SPOTIFY_SCOPES } from '../../cli/commands/authorize';
import { SAMPLE_FRIEND_ID, SAMPLE_USER_ID } from '../../local/fakes/spotify/catalog';
import { startFakeSpotify, type FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { readLocalSecrets } from '../../local/local-secrets';

let fake: FakeSpotifyServer;
let dir: string;

beforeAll(async () => {
  fake = await startFakeSpotify();
  dir = mkdtempSync(join(tmpdir(), 'authorize-fake-spotify-'));
});

afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Landing {
  code: string | null;
  status: number;
  page: string;
}

/** The browser: open the authorize URL (no redirect following), check the 302, then land on the loopback listener. */
async function browse(authorizeUrl: string, redirectUri: string): Promise<Landing> {
  const consent = await fetch(authorizeUrl, { redirect: 'manual' });
  if (consent.status !== 302) throw new Error(`GET /authorize answered ${consent.status}: ${await consent.text()}`);
  const location = consent.headers.get('location') ?? '';
  if (!location.startsWith(`${redirectUri}?`)) throw new Error(`redirected to ${location}, not to ${redirectUri}`);
  const landing = await fetch(location);
  return { code: new URL(location).searchParams.get('code'), status: landing.status, page: await landing.text() };
}

/** Starts browsing when the command announces its URL; the outcome is awaited (and asserted) after the command ends. */
function browser() {
  let landing: Promise<Landing> | undefined;
  return {
    open(url: string, redirectUri: string) {
      landing = browse(url, redirectUri);
      landing.catch(() => undefined); // surfaced by `landed()`
    },
    landed(): Promise<Landing> {
      if (!landing) throw new Error('the command never announced an authorize URL');
      return landing;
    },
  };
}

async function token(params: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${fake.accountsBaseUrl}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.json() };
}

async function api(path: string, accessToken: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${fake.apiBaseUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: await res.json() };
}

/** What the extract does with the stored token: refresh (a PKCE client has no secret), then call the API. */
async function useRefreshToken(refreshToken: string) {
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: fake.credentials.clientId });
  expect(refreshed.status).toBe(200);
  expect(refreshed.body.scope).toBe(SPOTIFY_SCOPES.join(' '));
  const me = await api('/me', refreshed.body.access_token);
  expect(me.status).toBe(200);
  expect(me.body.id).toBe(SAMPLE_USER_ID);
  // The granted scopes are the ones the extract needs: the user's playlists and top items.
  expect((await api('/me/playlists?limit=5', refreshed.body.access_token)).status).toBe(200);
  expect((await api('/me/top/tracks?limit=5', refreshed.body.access_token)).status).toBe(200);
}

test('runPkceAuthorization gets a refresh token from the fake, and that token reaches /v1/me', async () => {
  const before = fake.stats();
  const b = browser();
  const result = await runPkceAuthorization({
    accountsBaseUrl: fake.accountsBaseUrl,
    clientId: fake.credentials.clientId,
    port: 0,
    timeoutMs: 10_000,
    onAuthorizeUrl: (url, redirectUri) => b.open(url, redirectUri),
  });
  const landing = await b.landed();
  expect(landing.status).toBe(200);
  expect(landing.page).toContain('Spotify authorised');
  expect(result.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  expect(result.scope).toBe(SPOTIFY_SCOPES.join(' '));
  expect(result.refreshToken).not.toBe(fake.credentials.refreshToken);

  const after = fake.stats();
  expect(after.authorizeCalls - before.authorizeCalls).toBe(1);
  expect((after.tokensIssued.authorization_code ?? 0) - (before.tokensIssued.authorization_code ?? 0)).toBe(1);

  // The access token from the exchange works at once; the code was used up by the exchange.
  expect((await api('/me', result.accessToken)).body.id).toBe(SAMPLE_USER_ID);
  const replay = await token({
    grant_type: 'authorization_code',
    code: landing.code!,
    redirect_uri: result.redirectUri,
    client_id: fake.credentials.clientId,
    code_verifier: createPkcePair().verifier,
  });
  expect(replay).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid authorization code' } });

  await useRefreshToken(result.refreshToken);
});

test('`pipeline authorize --store local` stores a refresh token that the fake accepts', async () => {
  const base = JSON.parse(readFileSync(join(__dirname, '../../config/environments/local.json'), 'utf8'));
  const secretsFile = join(dir, 'secrets', 'spotify-secrets.json');
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      ...base,
      spotify: { ...base.spotify, apiBaseUrl: fake.apiBaseUrl, accountsBaseUrl: fake.accountsBaseUrl },
      local: { ...base.local, secretsFile },
    }),
  );

  const program = new Command().option('-e, --env <name|file>').exitOverride();
  authorizeCommand.register(program);
  const b = browser();
  let out = '';
  let opened = false;
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    const announced = /^ {2}(http:\/\/\S+\/authorize\?\S+)$/m.exec(out);
    if (announced && !opened) {
      opened = true;
      b.open(announced[1], new URL(announced[1]).searchParams.get('redirect_uri')!);
    }
    return true;
  });
  try {
    await program.parseAsync(['node', 'pipeline', '-e', configFile, 'authorize', '--client-id', fake.credentials.clientId, '--port', '0', '--timeout', '10']);
  } finally {
    spy.mockRestore();
  }
  expect((await b.landed()).status).toBe(200);
  expect(out).toMatch(/Make sure http:\/\/127\.0\.0\.1:\d+\/callback is a redirect URI of your Spotify app/);
  expect(out).toContain(`Stored the refresh token in ${secretsFile}`);
  expect(out).toContain(`Granted scopes: ${SPOTIFY_SCOPES.join(' ')}`);

  const stored = readLocalSecrets(secretsFile, {});
  // When the user authorised, beside the token: it dies six months later (handlers/shared/token-lifetime.ts).
  expect(stored).toEqual({ clientId: fake.credentials.clientId, refreshToken: expect.any(String), authorizedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) });
  expect(out).toContain(`Authorised ${stored!.authorizedAt}: it expires `);
  expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
  await useRefreshToken(stored!.refreshToken!);
});

test("a verifier that does not match the challenge the fake saw fails the exchange, with the fake's reason", async () => {
  const b = browser();
  const run = runPkceAuthorization({
    accountsBaseUrl: fake.accountsBaseUrl,
    clientId: fake.credentials.clientId,
    port: 0,
    timeoutMs: 10_000,
    onAuthorizeUrl: (url, redirectUri) => {
      // Someone swapped the challenge on the way to Spotify: the code is bound to a challenge of another verifier.
      const tampered = new URL(url);
      tampered.searchParams.set('code_challenge', createPkcePair().challenge);
      b.open(tampered.toString(), redirectUri);
    },
  });
  await expect(run).rejects.toThrow(/HTTP 400: invalid_grant: code_verifier was incorrect/);
  const landing = await b.landed();
  expect(landing.status).toBe(502);
  expect(landing.page).toContain('Authorisation failed');
});

test('`pipeline authorize --listener mira` stores her own token beside the app\'s, and the extract reads her with it', async () => {
  const base = JSON.parse(readFileSync(join(__dirname, '../../config/environments/local.json'), 'utf8'));
  const secretsFile = join(dir, 'listeners', 'spotify-secrets.json');
  const configFile = join(dir, 'listeners-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      ...base,
      spotify: { ...base.spotify, apiBaseUrl: fake.apiBaseUrl, accountsBaseUrl: fake.accountsBaseUrl, listeners: [{ name: 'sam' }, { name: 'mira' }] },
      local: { ...base.local, secretsFile },
    }),
  );
  const authorize = async (args: string[]) => {
    const program = new Command().option('-e, --env <name|file>').exitOverride();
    authorizeCommand.register(program);
    const b = browser();
    let out = '';
    let opened = false;
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      const announced = /^ {2}(http:\/\/\S+\/authorize\?\S+)$/m.exec(out);
      if (announced && !opened) {
        opened = true;
        b.open(announced[1], new URL(announced[1]).searchParams.get('redirect_uri')!);
      }
      return true;
    });
    try {
      await program.parseAsync(['node', 'pipeline', '-e', configFile, 'authorize', '--client-id', fake.credentials.clientId, '--port', '0', '--timeout', '10', ...args]);
    } finally {
      spy.mockRestore();
    }
    return out;
  };

  await expect(authorize(['--listener', 'theo'])).rejects.toThrow(/--listener theo is not a configured listener \(configured: sam, mira\)/);
  fake.authorizeAs(SAMPLE_FRIEND_ID); // Mira logs in to Spotify in the browser
  try {
    const out = await authorize(['--listener', 'mira']);
    expect(out).toContain('Then open this URL in a browser logged in to Spotify as listener mira');
    expect(out).toContain(`Stored listener mira's refresh token in ${secretsFile} (listeners.mira; git-ignored, mode 600)`);
  } finally {
    fake.authorizeAs(SAMPLE_USER_ID);
  }
  const stored = JSON.parse(readFileSync(secretsFile, 'utf8'));
  expect(Object.keys(stored.listeners)).toEqual(['mira']);
  expect(stored.listeners.mira.authorizedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: stored.listeners.mira.refreshToken, client_id: fake.credentials.clientId });
  expect((await api('/me', refreshed.body.access_token)).body.id).toBe(SAMPLE_FRIEND_ID);
  expect(refreshed.body.scope).toContain('user-read-recently-played');
  expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
});
