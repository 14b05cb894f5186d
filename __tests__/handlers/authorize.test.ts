/**
 * The PKCE authorisation against a loopback accounts service that checks the protocol the way Spotify does:
 * the code is bound to the S256 challenge and the redirect URI, and only the matching verifier redeems it.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPkcePair, runPkceAuthorization, SPOTIFY_SCOPES } from '../../cli/commands/authorize';

const b64url = (b: Buffer) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

let accounts: Server;
let accountsBaseUrl: string;
const issued = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();

beforeAll(async () => {
  accounts = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const grant = issued.get(form.get('code') ?? '');
      const json = (status: number, value: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
      if (req.url !== '/api/token' || form.get('grant_type') !== 'authorization_code') return json(400, { error: 'unsupported_grant_type' });
      if (!grant) return json(400, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
      const verifier = form.get('code_verifier') ?? '';
      if (b64url(createHash('sha256').update(verifier).digest()) !== grant.challenge) {
        return json(400, { error: 'invalid_grant', error_description: 'code_verifier was incorrect' });
      }
      if (form.get('redirect_uri') !== grant.redirectUri || form.get('client_id') !== grant.clientId) {
        return json(400, { error: 'invalid_grant', error_description: 'Invalid redirect URI' });
      }
      json(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-from-pkce', scope: SPOTIFY_SCOPES.join(' ') });
    });
  });
  await new Promise<void>((r) => accounts.listen(0, '127.0.0.1', r));
  accountsBaseUrl = `http://127.0.0.1:${(accounts.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => accounts.close(() => r())));

/** Plays the browser and Spotify's consent page: issue a code for the challenge, then follow the redirect. */
async function consent(authorizeUrl: string, overrides: Record<string, string> = {}) {
  const url = new URL(authorizeUrl);
  const q = url.searchParams;
  const code = `code-${Math.random().toString(36).slice(2)}`;
  issued.set(code, { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')!, clientId: q.get('client_id')! });
  const redirect = new URL(q.get('redirect_uri')!);
  redirect.search = new URLSearchParams({ code, state: q.get('state')!, ...overrides }).toString();
  return fetch(redirect);
}

test('a PKCE pair is a 43-128 character verifier with its S256 challenge', () => {
  const { verifier, challenge } = createPkcePair();
  expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
  expect(challenge).toBe(b64url(createHash('sha256').update(verifier).digest()));
  expect(createPkcePair().verifier).not.toBe(verifier);
});

test('the authorize URL asks for a code with S256 PKCE on a loopback IP redirect, and the code becomes a refresh token', async () => {
  let seenUrl = '';
  const result = await runPkceAuthorization({
    accountsBaseUrl,
    clientId: 'my-client',
    port: 0,
    timeoutMs: 10_000,
    onAuthorizeUrl: (url) => {
      seenUrl = url;
      // A stray request with the wrong state is refused and does not end the wait.
      void fetch(new URL(url).searchParams.get('redirect_uri') + '?code=x&state=forged')
        .then((res) => expect(res.status).toBe(400))
        .then(() => consent(url))
        .then((res) => expect(res.status).toBe(200));
    },
  });
  const q = new URL(seenUrl).searchParams;
  expect(seenUrl.startsWith(`${accountsBaseUrl}/authorize?`)).toBe(true);
  expect(q.get('response_type')).toBe('code');
  expect(q.get('code_challenge_method')).toBe('S256');
  expect(q.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  expect(q.get('scope')).toBe('playlist-read-private playlist-read-collaborative user-top-read user-read-recently-played user-library-read user-follow-read');
  expect(result).toEqual({
    refreshToken: 'rt-from-pkce',
    accessToken: 'at-1',
    scope: SPOTIFY_SCOPES.join(' '),
    redirectUri: q.get('redirect_uri'),
  });
});

test('a denied consent fails with what Spotify said and what to do', async () => {
  const run = runPkceAuthorization({
    accountsBaseUrl,
    clientId: 'my-client',
    port: 0,
    timeoutMs: 10_000,
    onAuthorizeUrl: (url) => void consent(url, { error: 'access_denied' }),
  });
  await expect(run).rejects.toThrow(/did not grant access \(access_denied\).*pipeline authorize/);
});

test('a redirect URI the app does not know fails the exchange with advice', async () => {
  const run = runPkceAuthorization({
    accountsBaseUrl,
    clientId: 'my-client',
    port: 0,
    timeoutMs: 10_000,
    onAuthorizeUrl: (url) => {
      const u = new URL(url);
      u.searchParams.set('client_id', 'another-client'); // the code is issued to someone else
      void consent(u.toString());
    },
  });
  await expect(run).rejects.toThrow(/HTTP 400: invalid_grant: Invalid redirect URI.*redirect URI of the app/s);
});
