import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_FAKE_CREDENTIALS, redirectUriProblem, startFakeSpotify, type FakeSpotifyServer } from '../../../local/fakes/spotify/server';
import { basicAuth, getJson, postToken, userToken } from './helpers';

const b64url = (b: Buffer) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function pkcePair() {
  const verifier = b64url(randomBytes(48));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

async function authorize(server: FakeSpotifyServer, params: Record<string, string>) {
  const query = new URLSearchParams({ client_id: server.credentials.clientId, response_type: 'code', ...params });
  const res = await fetch(`${server.accountsBaseUrl}/authorize?${query}`, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

describe('fake Spotify accounts service', () => {
  let server: FakeSpotifyServer;
  beforeAll(async () => {
    server = await startFakeSpotify({ rotateRefreshToken: false });
  });
  afterAll(() => server.close());

  it('issues client-credentials tokens with Basic auth or with the secret in the body', async () => {
    const basic = await postToken(server, { grant_type: 'client_credentials' });
    expect(basic.status).toBe(200);
    expect(basic.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const inBody = await postToken(
      server,
      { grant_type: 'client_credentials', client_id: server.credentials.clientId, client_secret: server.credentials.clientSecret },
      {},
    );
    expect(inBody.status).toBe(200);
  });

  it('answers invalid_client with 401 for a wrong secret or an unknown client', async () => {
    const wrong = await postToken(server, { grant_type: 'client_credentials' }, {
      authorization: `Basic ${Buffer.from(`${server.credentials.clientId}:nope`).toString('base64')}`,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'invalid_client', error_description: 'Invalid client secret' });
    const unknown = await postToken(server, { grant_type: 'client_credentials', client_id: 'someone-else', client_secret: 'x' }, {});
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
  });

  it('rejects a missing or unknown grant_type and a non-form body', async () => {
    const missing = await postToken(server, {});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'unsupported_grant_type', error_description: 'grant_type parameter is missing' });
    expect((await postToken(server, { grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
    const json = await fetch(`${server.accountsBaseUrl}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(server) },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error_description: string }).error_description).toMatch(/application\/x-www-form-urlencoded/);
  });

  it('refreshes without rotation: no refresh_token in the answer, the old one keeps working', async () => {
    const first = await postToken(server, { grant_type: 'refresh_token', refresh_token: server.credentials.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: expect.stringContaining('user-top-read') });
    expect(first.body).not.toHaveProperty('refresh_token');
    expect(server.credentials.refreshToken).toBe(DEFAULT_FAKE_CREDENTIALS.refreshToken);
    const again = await postToken(server, { grant_type: 'refresh_token', refresh_token: server.credentials.refreshToken });
    expect(again.status).toBe(200);
    const bad = await postToken(server, { grant_type: 'refresh_token', refresh_token: 'made-up' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid refresh token' });
  });

  it('runs the Authorization Code flow with PKCE, auto-approving, and the code works once', async () => {
    const { verifier, challenge } = pkcePair();
    const redirectUri = 'http://127.0.0.1:43117/callback';
    const auth = await authorize(server, {
      redirect_uri: redirectUri,
      code_challenge_method: 'S256',
      code_challenge: challenge,
      scope: 'playlist-read-private user-top-read',
      state: 'xyz 123',
    });
    expect(auth.status).toBe(302);
    const location = new URL(auth.location!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz 123');
    const code = location.searchParams.get('code')!;
    expect(code).toMatch(/^\S+$/); // a code is there, and it is one URL-safe token

    const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: server.credentials.clientId, code_verifier: verifier };
    const exchanged = await postToken(server, params, {});
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      scope: 'playlist-read-private user-top-read',
      expires_in: 3600,
      refresh_token: expect.any(String),
    });
    expect((await getJson(`${server.apiBaseUrl}/me/top/tracks`, exchanged.body.access_token)).status).toBe(200);
    // A PKCE refresh token refreshes with client_id alone.
    const refreshed = await postToken(server, { grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token, client_id: server.credentials.clientId }, {});
    expect(refreshed.status).toBe(200);

    const reused = await postToken(server, params, {});
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid authorization code' });
  });

  it('rejects a wrong code_verifier, a missing one, and a different redirect_uri', async () => {
    const redirectUri = 'https://example.org/callback';
    const codeFor = async () => {
      const { challenge, verifier } = pkcePair();
      const auth = await authorize(server, { redirect_uri: redirectUri, code_challenge_method: 'S256', code_challenge: challenge });
      return { code: new URL(auth.location!).searchParams.get('code')!, verifier };
    };
    const base = { grant_type: 'authorization_code', client_id: server.credentials.clientId, redirect_uri: redirectUri };

    const wrong = await codeFor();
    const bad = await postToken(server, { ...base, code: wrong.code, code_verifier: pkcePair().verifier }, {});
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'invalid_grant', error_description: 'code_verifier was incorrect' });

    const missing = await codeFor();
    expect((await postToken(server, { ...base, code: missing.code }, {})).body.error).toBe('invalid_request');

    const other = await codeFor();
    const redirect = await postToken(server, { ...base, code: other.code, code_verifier: other.verifier, redirect_uri: 'https://example.org/other' }, {});
    expect(redirect.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid redirect URI' });
  });

  it('enforces Spotify\'s redirect URI rules: https or a loopback IP literal, never localhost', async () => {
    const local = await authorize(server, { redirect_uri: 'http://localhost:8888/callback' });
    expect(local.status).toBe(400);
    expect(local.text).toBe('INVALID_CLIENT: Insecure redirect URI');
    expect((await authorize(server, { redirect_uri: 'http://192.168.0.26:8000/callback' })).status).toBe(400);
    expect((await authorize(server, { redirect_uri: 'http://[::1]:8888/cb' })).status).toBe(302);
    expect(redirectUriProblem('https://app.example.com/cb')).toBeNull();
    expect(redirectUriProblem('http://127.0.0.1/cb')).toBeNull();
    expect(redirectUriProblem('not a url')).toBe('INVALID_CLIENT: Invalid redirect URI');
    const wrongClient = await authorize(server, { client_id: 'nobody', redirect_uri: 'https://example.org/cb' });
    expect(wrongClient.text).toBe('INVALID_CLIENT: Invalid client');
    const plain = await authorize(server, { redirect_uri: 'https://example.org/cb', code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) });
    expect(new URL(plain.location!).searchParams.get('error')).toBe('invalid_request');
  });

  it('counts token calls by grant', () => {
    const stats = server.stats();
    expect(stats.tokenCalls.client_credentials).toBeGreaterThanOrEqual(3);
    expect(stats.tokenCalls.authorization_code).toBe(5);
    expect(stats.tokensIssued.authorization_code).toBe(1);
    expect(stats.tokenCalls.invalid).toBeGreaterThanOrEqual(3);
    expect(stats.authorizeCalls).toBeGreaterThanOrEqual(8);
  });
});

describe('refresh token rotation', () => {
  it('returns a new refresh token, invalidates the old one and updates credentials', async () => {
    const server = await startFakeSpotify({ rotateRefreshToken: true, credentials: { refreshToken: 'initial-refresh-token' } });
    try {
      const old = server.credentials.refreshToken;
      expect(old).toBe('initial-refresh-token');
      const first = await postToken(server, { grant_type: 'refresh_token', refresh_token: old });
      expect(first.status).toBe(200);
      expect(first.body.refresh_token).toEqual(expect.any(String));
      expect(first.body.refresh_token).not.toBe(old);
      expect(server.credentials.refreshToken).toBe(first.body.refresh_token);
      const stale = await postToken(server, { grant_type: 'refresh_token', refresh_token: old });
      expect(stale.status).toBe(400);
      expect(stale.body.error).toBe('invalid_grant');
      expect((await postToken(server, { grant_type: 'refresh_token', refresh_token: server.credentials.refreshToken })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('access token lifetime', () => {
  it('answers 401 "The access token expired" after tokenTtlSeconds', async () => {
    // The fake's wall clock moves only here, so the token's life does not race the machine's speed.
    let now = Date.parse('2026-11-25T06:00:00Z');
    const server = await startFakeSpotify({ tokenTtlSeconds: 1, wallClock: () => now });
    try {
      const token = await userToken(server);
      expect((await getJson(`${server.apiBaseUrl}/me`, token)).status).toBe(200);
      now += 999;
      expect((await getJson(`${server.apiBaseUrl}/me`, token)).status).toBe(200);
      now += 1;
      const expired = await getJson(`${server.apiBaseUrl}/me`, token);
      expect(expired.status).toBe(401);
      expect(expired.body).toEqual({ error: { status: 401, message: 'The access token expired' } });
      expect(expired.headers.get('www-authenticate')).toMatch(/invalid_token/);
      expect(server.stats().expiredTokenRejections).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('rejects bad options with a clear error', async () => {
    await expect(startFakeSpotify({ tokenTtlSeconds: 0 })).rejects.toThrow(/tokenTtlSeconds must be a whole number >= 1/);
    await expect(startFakeSpotify({ port: 70000 })).rejects.toThrow(/port must be 0-65535/);
  });
});

describe('authorization code lifetime', () => {
  it('refuses an authorization code used after its 10 minutes', async () => {
    let now = Date.parse('2026-11-25T06:00:00Z');
    const server = await startFakeSpotify({ wallClock: () => now });
    try {
      const redirectUri = 'https://example.org/callback';
      const { challenge, verifier } = pkcePair();
      const newCode = async () => {
        const auth = await authorize(server, { redirect_uri: redirectUri, code_challenge_method: 'S256', code_challenge: challenge });
        return new URL(auth.location!).searchParams.get('code')!;
      };
      const exchange = (code: string) =>
        postToken(server, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: server.credentials.clientId, code_verifier: verifier }, {});
      const fresh = await newCode();
      now += 10 * 60_000;
      expect((await exchange(fresh)).status).toBe(200);
      const stale = await newCode();
      now += 10 * 60_000 + 1;
      expect((await exchange(stale)).body).toEqual({ error: 'invalid_grant', error_description: 'Authorization code expired' });
    } finally {
      await server.close();
    }
  });
});
