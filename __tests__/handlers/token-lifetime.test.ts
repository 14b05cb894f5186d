/**
 * Refresh tokens live six months from the listener's original authorisation (handlers/shared/token-lifetime.ts):
 * the rule itself, the fake Spotify expiring tokens by age on its wall clock, the `invalid_grant` message that says
 * so, and every run reporting each listener's days left (the RefreshTokenDaysLeft metric the alarm reads).
 */
import { createExtractHandler, type ExtractMetrics } from '../../handlers/extract/index';
import { parseConfig } from '../../config/pipeline-config';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { InMemoryCredentialStore, parseSpotifySecret } from '../../handlers/shared/spotify-secret';
import { describeLifetime, invalidGrantAdvice, refreshTokenExpiresAt, tokenLifetime } from '../../handlers/shared/token-lifetime';
import { REFRESH_TOKEN_DAYS_LEFT_METRIC } from '../../handlers/shared/runtime-contract';
import { bucketDir, fake, OWNED } from './extract-helpers';
import { FakeClock } from './fake-clock';

describe('the six-month rule', () => {
  test('a token expires six calendar months after the authorisation, in UTC; a day the month lacks is its last day', () => {
    expect(refreshTokenExpiresAt(new Date('2026-06-18T09:30:00Z')).toISOString()).toBe('2026-12-18T09:30:00.000Z');
    expect(refreshTokenExpiresAt(new Date('2026-08-31T23:00:00Z')).toISOString()).toBe('2027-02-28T23:00:00.000Z');
    expect(refreshTokenExpiresAt(new Date('2027-08-31T00:00:00Z')).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  test('days left round down; the warning starts at 14; unknown is advice, not an error', () => {
    const now = new Date('2026-12-04T10:00:00Z');
    expect(tokenLifetime('sam', '2026-06-18T09:30:00Z', now)).toMatchObject({ known: true, daysLeft: 13, expired: false, warn: true, expiresAt: '2026-12-18T09:30:00.000Z' });
    expect(tokenLifetime('sam', '2026-07-18T09:30:00Z', now)).toMatchObject({ daysLeft: 44, warn: false });
    expect(describeLifetime(tokenLifetime('sam', '2026-06-01T00:00:00Z', now))).toBe(
      'sam: refresh token EXPIRED on 2026-12-01 (six months after authorising on 2026-06-01): run `npm run pipeline -- authorize --listener sam`',
    );
    const unknown = tokenLifetime('mira', undefined, now);
    expect(unknown.known).toBe(false);
    expect(describeLifetime(unknown)).toMatch(/^mira: token lifetime unknown .*run `npm run pipeline -- authorize --listener mira` to record it/);
  });

  test('invalid_grant past the six months says so and when; within them, it blames revocation', () => {
    const now = new Date('2026-12-04T10:00:00Z');
    const cmd = 'npm run pipeline -- authorize --listener sam';
    expect(invalidGrantAdvice('2026-05-01T00:00:00Z', now, 'the secret', cmd)).toBe(
      'The refresh token in the secret expired: Spotify refresh tokens live six months from the original authorisation ' +
        `(2026-05-01), so it ended on 2026-11-01. Run \`${cmd}\` to authorise again.`,
    );
    expect(invalidGrantAdvice('2026-10-01T00:00:00Z', now, 'the secret', cmd)).toMatch(/refused within its six months .*revoked/);
  });

  test('a secret keeps authorizedAt beside the token; a secret without it still reads; a malformed one is named', () => {
    expect(parseSpotifySecret('{"clientId":"c","refreshToken":"r","authorizedAt":"2026-06-18T09:30:00Z"}', 's')).toEqual({
      clientId: 'c',
      clientSecret: undefined,
      refreshToken: 'r',
      authorizedAt: '2026-06-18T09:30:00Z',
    });
    expect(parseSpotifySecret('{"clientId":"c","refreshToken":"r"}', 's').authorizedAt).toBeUndefined();
    expect(() => parseSpotifySecret('{"clientId":"c","authorizedAt":"18/06/2026"}', 'secret x')).toThrow(/secret x: "authorizedAt" must be an ISO-8601 UTC instant/);
  });
});

describe('the fake Spotify expires refresh tokens by age, on its wall clock', () => {
  test('a token refreshes until six months after its authorisation, rotated or not, then answers invalid_grant', async () => {
    let wall = Date.parse('2026-06-18T09:30:00Z');
    const server = await fake({ wallClock: () => wall, rotateRefreshToken: true });
    const refresh = async (token: string) => {
      const response = await fetch(`${server.accountsBaseUrl}/api/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${server.credentials.clientId}:${server.credentials.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
      });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };
    wall = Date.parse('2026-12-18T09:29:59Z');
    const rotated = await refresh(server.credentials.refreshToken);
    expect(rotated.status).toBe(200);
    wall = Date.parse('2026-12-18T09:30:00Z');
    expect(await refresh(rotated.body.refresh_token)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Refresh token expired' } });
  });
});

describe('every run reports each listener\'s days left', () => {
  const AUTHORIZED = Date.parse('2026-06-06T00:00:00Z');
  function handlerWith(server: Awaited<ReturnType<typeof fake>>, metrics: Array<[string, number]>, listeners: Array<{ name: string; refreshToken: string; authorizedAt?: string }>, now: number) {
    const config = parseConfig({
      environment: 'dev',
      project: 'spotify-pipeline',
      aws: { region: 'eu-west-1' },
      spotify: { apiBaseUrl: server.apiBaseUrl, accountsBaseUrl: server.accountsBaseUrl, playlists: OWNED.slice(0, 1), topItems: { enabled: false }, listeners: listeners.map(({ name }) => ({ name })) },
    });
    const app = { clientId: server.credentials.clientId, clientSecret: server.credentials.clientSecret };
    return createExtractHandler({
      config,
      writer: new LocalFolderWriter(bucketDir()),
      secrets: new InMemoryCredentialStore(app),
      listeners: listeners.map((l) => ({ name: l.name, credentials: new InMemoryCredentialStore({ ...app, refreshToken: l.refreshToken, authorizedAt: l.authorizedAt }) })),
      clock: new FakeClock(now),
      logger: { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {}, addContext() {} },
      metrics: { addDimension: () => undefined, addMetric: (name, _unit, value) => metrics.push([name, value]), publishStoredMetrics: () => undefined } satisfies ExtractMetrics,
    });
  }

  test('known lifetimes in days, unknown ones with advice; the metric is the fewest days, from full runs and the 00 UTC poll', async () => {
    const now = Date.parse('2026-11-23T00:05:00Z');
    const server = await fake({ wallClock: () => now, authorizedAt: AUTHORIZED });
    const [sam, mira] = server.listeners();
    const metrics: Array<[string, number]> = [];
    const handler = handlerWith(server, metrics, [
      { name: 'sam', refreshToken: sam.refreshToken, authorizedAt: new Date(AUTHORIZED).toISOString() },
      { name: 'mira', refreshToken: mira.refreshToken },
    ], now);
    const midnight = await handler({ id: 'plays-0', scheduledTime: '2026-11-23T00:00:00Z', mode: 'plays' });
    expect(midnight.status).toBe('complete');
    expect(midnight.tokens).toEqual([
      { listener: 'sam', known: true, authorizedAt: '2026-06-06T00:00:00.000Z', expiresAt: '2026-12-06T00:00:00.000Z', daysLeft: 12, expired: false, warn: true },
      { listener: 'mira', known: false, advice: expect.stringContaining('npm run pipeline -- authorize --listener mira') },
    ]);
    expect(metrics.filter(([name]) => name === REFRESH_TOKEN_DAYS_LEFT_METRIC)).toEqual([[REFRESH_TOKEN_DAYS_LEFT_METRIC, 12]]);

    metrics.length = 0;
    await handler({ id: 'plays-7', scheduledTime: '2026-11-23T07:00:00Z', mode: 'plays' });
    expect(metrics.filter(([name]) => name === REFRESH_TOKEN_DAYS_LEFT_METRIC)).toEqual([]);
  });

  test("a token past its six months: the listener's error says the limit passed and gives the command", async () => {
    const now = Date.parse('2026-11-23T00:05:00Z');
    const authorized = Date.parse('2025-01-10T00:00:00Z');
    const server = await fake({ wallClock: () => now, authorizedAt: authorized });
    const [sam, mira] = server.listeners();
    const metrics: Array<[string, number]> = [];
    const at = new Date(authorized).toISOString();
    const outcome = await handlerWith(server, metrics, [
      { name: 'sam', refreshToken: sam.refreshToken, authorizedAt: at },
      { name: 'mira', refreshToken: mira.refreshToken, authorizedAt: at },
    ], now)({ id: 'weekly-2', scheduledTime: '2026-11-23T06:00:00Z' }).catch((error: Error) => error);
    const text = outcome instanceof Error ? outcome.message : JSON.stringify(outcome);
    expect(text).toContain('expired: Spotify refresh tokens live six months from the original authorisation (2025-01-10), so it ended on 2025-07-10');
    expect(text).toContain('npm run pipeline -- authorize --listener sam');
    expect(metrics.filter(([name]) => name === REFRESH_TOKEN_DAYS_LEFT_METRIC)).toEqual([[REFRESH_TOKEN_DAYS_LEFT_METRIC, -502]]);
  });
});
