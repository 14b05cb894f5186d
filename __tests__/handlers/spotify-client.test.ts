/**
 * The Spotify client's request discipline, over real HTTP against the fake: tokens refreshed as often as they
 * expire and taken right before each send, one rate-limit gate that every request (queued ones included)
 * checks right before it goes out, the latest Retry-After winning, and a token call that an abort never cuts.
 */
import { ExtractFailedError, extractRun } from '../../handlers/extract/extract-run';
import { RateLimitGate } from '../../handlers/extract/rate-limit-gate';
import { SpotifyClient } from '../../handlers/extract/spotify-client';
import { FakeClock } from './fake-clock';
import { bucketDir, fake, input, OWNED } from './extract-helpers';
import { postToken } from '../fakes/spotify/helpers';
import { traceRequests, type RequestTrace } from './request-trace';

const AROUND_THE_WORLD = '6UeSakyzhiEt4NB3UAd6NQ'; // 70 items: two pages

// "Nothing sent inside a pause" and "no expired token sent" are judged on the client's clock, in the order things
// happened (request-trace.ts), not by the fake's clock racing the client's under load.
let trace: RequestTrace;
beforeEach(() => {
  trace = traceRequests();
});
afterEach(() => trace.stop());

/** Every 429 paused the gate, and no Web API request left while a pause ran. */
function expectNothingSentDuringPauses(): void {
  expect(trace.events.filter((e) => e.kind === 'pause')).toHaveLength(trace.rateLimitedAnswers());
  expect(trace.sentDuringPause()).toEqual([]);
}

/**
 * No Web API request left with a token past its life, counted from when its token call was sent (the earliest the
 * fake can have issued it): the fake would refuse it as expired however fast the request travelled.
 */
function expectNoExpiredTokenSent(): void {
  expect(trace.events.some((e) => e.kind === 'send')).toBe(true);
  expect(trace.sentWithExpiredToken()).toEqual([]);
}

describe('tokens', () => {
  test('a request that meets a second expiry refreshes again and the run completes', async () => {
    // A playlist of two item pages: the request for the second page is refused as expired twice in a row.
    const server = await fake({ faults: { rules: [{ path: '/v1/playlists/*/items', nth: [2, 3], action: { kind: 'expireToken' } }] } });
    const { manifest } = await extractRun(input(server, bucketDir(), { maxConcurrentRequests: 1, playlists: [AROUND_THE_WORLD] }));
    expect(manifest.status).toBe('complete');
    expect(manifest.counts.playlist_items).toBe(70);
    expect(server.stats().expiredTokenRejections).toBe(2);
    expect(manifest.counts.token_calls).toBe(3);
  });

  test('only freshly issued tokens refused twice in a row are fatal, and the message says so', async () => {
    const server = await fake({ faults: { rules: [{ path: '/v1/**', action: { kind: 'expireToken' } }] } });
    const error = await extractRun(input(server, bucketDir(), { playlists: [OWNED[0]] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractFailedError);
    expect((error as Error).message).toMatch(/refused two freshly issued access tokens in a row/);
    expect((error as Error).message).toMatch(/The access token expired/);
    expect(server.stats().tokenCalls.refresh_token).toBe(2);
  });

  test('requests queued behind slow ones take the token right before they are sent: no expired token goes out', async () => {
    // Tokens live 1 s; two slow item pages hold both slots for 1.2 s while other requests queue.
    const server = await fake({
      tokenTtlSeconds: 1,
      faults: { rules: [{ path: '/v1/playlists/*/items', nth: [2, 3], action: { kind: 'delay', ms: 1_200 } }] },
    });
    const { manifest } = await extractRun(input(server, bucketDir(), { maxConcurrentRequests: 2, playlists: OWNED.slice(0, 2) }));
    expect(manifest.status).toBe('complete');
    expectNoExpiredTokenSent();
    expect(manifest.counts.token_calls).toBeGreaterThanOrEqual(2);
  });
});

describe('Retry-After', () => {
  test('requests waiting for a slot honour a Retry-After that came in while they waited', async () => {
    // Both slots are busy with slow requests; one answers 429 (Retry-After 1 s), the other 200 a bit later.
    const server = await fake({
      faults: {
        rules: [
          { name: 'slow-meta', path: '/v1/playlists/*', nth: 1, action: { kind: 'delay', ms: 300 } },
          { name: 'slow-items', path: '/v1/playlists/*/items', nth: 1, action: { kind: 'delay', ms: 200 } },
          { name: '429', path: '/v1/playlists/*/items', nth: 1, action: { kind: 'rateLimit', retryAfterSeconds: 1 } },
        ],
      },
    });
    const { manifest } = await extractRun(
      input(server, bucketDir(), { maxConcurrentRequests: 2, playlists: OWNED.slice(0, 3) }, { rateLimitGate: trace.gate }),
    );
    expect(manifest.status).toBe('complete');
    expect(manifest.counts.rate_limited).toBe(1);
    expectNothingSentDuringPauses();
  });

  test('a later 429 that extends the pause holds back requests already sleeping on the earlier one', async () => {
    const server = await fake({
      faults: {
        rules: [
          { name: '429-short', path: '/v1/playlists/*/items', nth: 1, action: { kind: 'rateLimit', retryAfterSeconds: 1 } },
          { name: 'slow-meta', path: '/v1/playlists/*', nth: 1, action: { kind: 'delay', ms: 200 } },
          { name: '429-long', path: '/v1/playlists/*', nth: 1, action: { kind: 'rateLimit', retryAfterSeconds: 2 } },
        ],
      },
    });
    const t0 = Date.now();
    const { manifest } = await extractRun(
      input(server, bucketDir(), { maxConcurrentRequests: 2, playlists: OWNED.slice(0, 2) }, { rateLimitGate: trace.gate }),
    );
    expect(manifest.status).toBe('complete');
    expect(manifest.counts.rate_limited).toBe(2);
    expectNothingSentDuringPauses();
    // A lower bound: load only makes the run longer.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
  });
});

describe('on a fake clock: pauses decided and judged on the clock the test moves', () => {
  test('a waiter sleeping on a pause is held by a later, longer one and passes exactly when that one ends', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const gate = new RateLimitGate(clock);
    gate.pauseUntil(start + 1_000);
    let passedAt: number | null = null;
    const passage = gate.passage().then(() => {
      passedAt = clock.now();
    });
    await clock.sleepers(1);
    gate.pauseUntil(start + 3_000); // a later 429 pushes the pause out while the waiter sleeps
    gate.pauseUntil(start + 2_000); // a shorter one does not shorten it
    clock.advance(1_000); // the first sleep ends: the waiter looks at the gate again and sleeps on
    await clock.sleepers(1);
    expect(passedAt).toBeNull();
    clock.advance(1_999);
    await clock.sleepers(1);
    expect(passedAt).toBeNull();
    clock.advance(1);
    await passage;
    expect(passedAt).toBe(start + 3_000);
  });

  test('a 30 s Retry-After is waited out on the client\'s clock: the retry leaves the moment the pause ends, not before', async () => {
    const server = await fake({ faults: { rules: [{ path: '/v1/playlists/*', nth: 1, action: { kind: 'rateLimit', retryAfterSeconds: 30 } }] } });
    const clock = new FakeClock();
    const clockTrace = traceRequests({ clock });
    try {
      const client = new SpotifyClient({
        apiBaseUrl: server.apiBaseUrl,
        accountsBaseUrl: server.accountsBaseUrl,
        authMode: 'user',
        credentials: { ...server.credentials },
        maxConcurrentRequests: 2,
        requestTimeoutMs: 10_000,
        maxRetries: 2,
        deadline: clock.now() + 60_000,
        gate: clockTrace.gate,
      });
      const answer = client.getJson(`/playlists/${OWNED[0]}`, {}, 'GET playlist');
      // The 429 came back and the client sleeps on the gate (a client that answers first fails here, not by timeout).
      await Promise.race([clock.sleepers(1), answer.then(() => Promise.reject(new Error('answered without waiting out the Retry-After')))]);
      const sends = () => clockTrace.events.filter((e) => e.kind === 'send');
      expect(sends()).toHaveLength(1);
      const [pause] = clockTrace.events.filter((e) => e.kind === 'pause');
      expect(pause.kind === 'pause' && pause.until - pause.at).toBe(30_000);
      clock.advance(29_999);
      await clock.sleepers(1);
      expect(sends()).toHaveLength(1);
      clock.advance(1);
      await expect(answer).resolves.toMatchObject({ id: OWNED[0] });
      expect(sends().map((e) => e.at)).toEqual([pause.at, pause.at + 30_000]);
      expect(clockTrace.sentDuringPause()).toEqual([]);
      expect(client.stats.retry_after_seconds_total).toBe(30);
    } finally {
      clockTrace.stop();
    }
  });

  test('a client and a gate on two clocks are refused', () => {
    expect(
      () =>
        new SpotifyClient({
          apiBaseUrl: 'http://127.0.0.1:9/v1',
          accountsBaseUrl: 'http://127.0.0.1:9',
          authMode: 'client-credentials',
          credentials: { clientId: 'id', clientSecret: 'secret' },
          maxConcurrentRequests: 1,
          requestTimeoutMs: 1_000,
          maxRetries: 0,
          deadline: Date.now() + 1_000,
          gate: new RateLimitGate(),
          clock: new FakeClock(),
        }),
    ).toThrow(/one clock/);
  });
});

test('a 429 storm with a Retry-After longer than a token lives: nothing is sent during it, no expired token after it', async () => {
  // Every first item page answers 429 (Retry-After 1.5 s) and the window is held; tokens live 1 s.
  const server = await fake({
    tokenTtlSeconds: 1,
    faults: { holdRetryAfter: true, rules: [{ path: '/v1/playlists/*/items', count: 3, action: { kind: 'rateLimit', retryAfterSeconds: 1.5 } }] },
  });
  const { manifest } = await extractRun(
    input(server, bucketDir(), { maxConcurrentRequests: 4, playlists: OWNED.slice(0, 3) }, { rateLimitGate: trace.gate }),
  );
  expect(manifest.status).toBe('complete');
  expect(manifest.counts.rate_limited).toBeGreaterThanOrEqual(3);
  expectNoExpiredTokenSent();
  expect(manifest.counts.token_calls).toBeGreaterThanOrEqual(2); // renewed after the pause, before the send
  expectNothingSentDuringPauses();
});

test('an abort never cuts a token call: a refresh token rotated while the run stops is still stored', async () => {
  const server = await fake({
    rotateRefreshToken: true,
    faults: {
      rules: [
        // The 2nd token call (a refresh after an expiry) is slow ...
        { name: 'slow-token', path: '/api/token', nth: 2, action: { kind: 'delay', ms: 600 } },
        { name: 'expire', path: '/v1/playlists/*/items', nth: 1, action: { kind: 'expireToken' } },
        // ... and while it is under way another request gets a quota 429, which stops the run.
        { name: 'quota', path: '/v1/playlists/*', nth: 1, action: { kind: 'quota' } },
      ],
    },
  });
  // The quota answer reaches the client only once the 2nd token call has left: by event, not by a head start.
  let tokenCalls = 0;
  let secondTokenCallSent!: () => void;
  const secondTokenCall = new Promise<void>((resolve) => (secondTokenCallSent = resolve));
  const ordering = traceRequests({
    onRequest: (url) => {
      if (url.pathname === '/api/token' && ++tokenCalls === 2) secondTokenCallSent();
    },
    holdAnswer: (url, response) => (response.status === 429 ? secondTokenCall : null),
  });
  const original = server.credentials.refreshToken;
  const stored: string[] = [];
  try {
    await extractRun(
      input(server, bucketDir(), { maxConcurrentRequests: 2, playlists: OWNED.slice(0, 2) }, {
        onRefreshTokenRotated: async (token) => void stored.push(token),
      }),
    ).catch(() => undefined);
  } finally {
    ordering.stop();
  }
  expect(server.stats().quotaExceeded).toBe(1);
  expect(server.stats().tokensIssued.refresh_token).toBe(2);
  expect(server.credentials.refreshToken).not.toBe(original);
  // The pipeline kept the token Spotify rotated to, and that token works.
  expect(stored[stored.length - 1]).toBe(server.credentials.refreshToken);
  const refreshed = await postToken(server, { grant_type: 'refresh_token', refresh_token: stored[stored.length - 1] });
  expect(refreshed.status).toBe(200);
});

test('a flaky accounts service is retried as long as an entity would be, and its failure does not blame the authorisation', async () => {
  const server = await fake({ faults: { rules: [{ path: '/api/token', action: { kind: 'serverError', status: 503 } }] } });
  const error = await extractRun(input(server, bucketDir(), { maxRetries: 1, playlists: [OWNED[0]] })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ExtractFailedError);
  // Three passes of two attempts, as an entity's request gets.
  expect(server.requests().filter((r) => r.path === '/api/token')).toHaveLength(6);
  expect((error as Error).message).toMatch(/HTTP 503: Service unavailable after 6 attempts\). Spotify's accounts service kept failing; run again later/);
  expect((error as Error).message).not.toMatch(/pipeline authorize/);
});

test('a refused refresh token says to authorise again', async () => {
  const server = await fake();
  const error = await extractRun(
    input(server, bucketDir(), { playlists: [OWNED[0]] }, { credentials: { ...server.credentials, refreshToken: 'revoked-token' } }),
  ).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/invalid_grant: Invalid refresh token\)\. The refresh token in credentials given to the run was refused: it expired \(Spotify refresh tokens live six months .*Run `npm run pipeline -- authorize` to store a new one/);
});
