import { FaultEngine, globToRegExp } from '../../../local/fakes/spotify/faults';
import { startFakeSpotify, type FakeSpotifyServer } from '../../../local/fakes/spotify/server';
import { getJson, postToken, userToken } from './helpers';

const MORNING = '4rOoJ6Egrf8K2IrywzwOMk';
const LATE = '1h0CEZCm6IbFTbxThn6Xcs';

describe('fault injection over HTTP', () => {
  let server: FakeSpotifyServer;
  let token: string;
  const api = (path: string) => getJson(`${server.apiBaseUrl}${path}`, token);

  beforeAll(async () => {
    server = await startFakeSpotify();
    token = await userToken(server);
  });
  afterAll(() => server.close());
  afterEach(() => server.setFaults({}));

  it('answers a burst of N requests with 429 and Retry-After, then recovers', async () => {
    server.setFaults({ rules: [{ count: 3, action: { kind: 'rateLimit', retryAfterSeconds: 1 } }] });
    const before = server.stats().rateLimited;
    for (let i = 0; i < 3; i += 1) {
      const res = await api('/me');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body).toEqual({ error: { status: 429, message: 'API rate limit exceeded' } });
    }
    expect((await api('/me')).status).toBe(200);
    expect(server.stats().rateLimited - before).toBe(3);
  });

  it('does not touch the token endpoint unless a rule names it', async () => {
    server.setFaults({ rules: [{ action: { kind: 'serverError', status: 503 } }] });
    const token2 = await postToken(server, { grant_type: 'client_credentials' });
    expect(token2.status).toBe(200);
    expect((await api('/me')).status).toBe(503);
    server.setFaults({ rules: [{ path: '/api/token', count: 1, action: { kind: 'serverError', status: 502 } }] });
    expect((await postToken(server, { grant_type: 'client_credentials' })).status).toBe(502);
    expect((await postToken(server, { grant_type: 'client_credentials' })).status).toBe(200);
  });

  it('answers a seeded random fraction with 429, the same requests every time', async () => {
    const pattern = async () => {
      server.setFaults({ randomRateLimit: { fraction: 0.3, seed: 42, retryAfterSeconds: 0 } });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i += 1) statuses.push((await api('/me')).status);
      return statuses;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    const limited = first.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThan(4);
    expect(limited).toBeLessThan(24);
    expect(first.filter((s) => s !== 429).every((s) => s === 200)).toBe(true);
  });

  it('sends a quota 429 with reason QUOTA_EXCEEDED and a long Retry-After', async () => {
    server.setFaults({ rules: [{ path: '/v1/me/top/*', count: 1, action: { kind: 'quota' } }] });
    const before = server.stats().quotaExceeded;
    const res = await api('/me/top/tracks');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('86400');
    expect(res.body).toEqual({ error: { status: 429, message: 'API rate limit exceeded', reason: 'QUOTA_EXCEEDED' } });
    expect(server.stats().quotaExceeded - before).toBe(1);
  });

  it('answers K 5xx then succeeds, per route', async () => {
    server.setFaults({
      rules: [
        { path: `/v1/playlists/${MORNING}/items`, count: 2, action: { kind: 'serverError', status: 500 } },
        { path: `/v1/playlists/${MORNING}/items`, after: 2, count: 1, action: { kind: 'serverError', status: 502 } },
      ],
    });
    const before = server.stats().serverErrors;
    expect((await api(`/playlists/${LATE}/items`)).status).toBe(200); // other route untouched
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await api(`/playlists/${MORNING}/items`)).status);
    expect(statuses).toEqual([500, 500, 502, 200]);
    expect(server.stats().serverErrors - before).toBe(3);
  });

  it('hits exactly the 3rd /items call of one playlist', async () => {
    server.setFaults({ rules: [{ name: 'third-items-call', path: `/v1/playlists/${MORNING}/items`, nth: 3, action: { kind: 'serverError', status: 503 } }] });
    const statuses: number[] = [];
    for (let offset = 0; offset < 150; offset += 50) {
      await api(`/playlists/${LATE}/items`);
      statuses.push((await api(`/playlists/${MORNING}/items?offset=${offset}&limit=50`)).status);
    }
    expect(statuses).toEqual([200, 200, 503]);
    expect(server.stats().faultsFired['third-items-call']).toBe(1);
  });

  it('expires the token after N API calls, in the middle of a pagination', async () => {
    server.setFaults({ expireTokenAfterApiCalls: 2 });
    const fresh = await userToken(server);
    const page = (offset: number, t: string) => getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?offset=${offset}&limit=50`, t);
    expect((await page(0, fresh)).status).toBe(200);
    expect((await page(50, fresh)).status).toBe(200);
    const third = await page(100, fresh);
    expect(third.status).toBe(401);
    expect(third.body).toEqual({ error: { status: 401, message: 'The access token expired' } });
    const renewed = await userToken(server);
    expect((await page(100, renewed)).status).toBe(200);
  });

  it('expires the token on a chosen request with an expireToken rule', async () => {
    server.setFaults({ rules: [{ path: '/v1/me', nth: 2, action: { kind: 'expireToken' } }] });
    expect((await api('/me')).status).toBe(200);
    expect((await api('/me')).body.error.message).toBe('The access token expired');
  });

  it('delays matching requests', async () => {
    server.setFaults({ rules: [{ path: '/v1/me', count: 1, action: { kind: 'delay', ms: 250 } }] });
    const started = Date.now();
    expect((await api('/me')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(server.stats().delayedResponses).toBeGreaterThanOrEqual(1);
  });

  it('sends a malformed JSON body with status 200', async () => {
    server.setFaults({ rules: [{ path: '/v1/me/playlists', count: 1, action: { kind: 'malformedJson' } }] });
    const res = await fetch(`${server.apiBaseUrl}/me/playlists`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    // undici's SyntaxError comes from another realm than jest's, so match the message.
    await expect(res.json()).rejects.toThrow(/JSON/);
    expect((await api('/me/playlists')).status).toBe(200);
  });

  it('resets the connection without an answer', async () => {
    server.setFaults({ rules: [{ path: '/v1/me', count: 1, action: { kind: 'reset' } }] });
    await expect(fetch(`${server.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${token}` } })).rejects.toThrow(/fetch failed/);
    expect((await api('/me')).status).toBe(200);
    expect(server.stats().connectionResets).toBe(1);
    expect(server.requests().some((r) => r.status === 0 && r.path === '/v1/me')).toBe(true);
  });

  it('takes a plan at start', async () => {
    const other = await startFakeSpotify({ faults: { rules: [{ count: 1, action: { kind: 'rateLimit', retryAfterSeconds: 0 } }] } });
    try {
      const t = await userToken(other);
      const res = await getJson(`${other.apiBaseUrl}/me`, t);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('0');
    } finally {
      await other.close();
    }
  });
});

describe('a bad day: random fault mixes, held Retry-After windows, playlists edited while paged', () => {
  let server: FakeSpotifyServer;
  let token: string;
  const api = (path: string) => getJson(`${server.apiBaseUrl}${path}`, token);

  // The fake's wall clock (token lives, the held Retry-After window) moves only when a test moves it.
  let now = Date.parse('2026-11-25T06:00:00Z');

  beforeAll(async () => {
    server = await startFakeSpotify({ wallClock: () => now });
    token = await userToken(server);
  });
  afterAll(() => server.close());
  afterEach(() => server.setFaults({}));

  it('draws a seeded mix of fault kinds: the same requests and kinds for the same seed', async () => {
    const pattern = async () => {
      server.setFaults({ randomFaults: { fraction: 0.3, seed: 9, retryAfterSeconds: 0, kinds: ['rateLimit', 'serverError', 'malformedJson'] } });
      const out: string[] = [];
      for (let i = 0; i < 60; i += 1) {
        const res = await fetch(`${server.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        out.push(res.status === 200 ? (text.endsWith('}') ? 'ok' : 'malformed') : String(res.status));
      }
      return out;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    const faults = first.filter((s) => s !== 'ok');
    expect(faults.length).toBeGreaterThan(8);
    expect(faults.length).toBeLessThan(30);
    expect(new Set(faults)).toEqual(new Set(['429', '503', 'malformed']));
  });

  it('sends fractional Retry-After when asked (Spotify sends whole seconds; tests want speed)', async () => {
    server.setFaults({ rules: [{ count: 1, action: { kind: 'rateLimit', retryAfterSeconds: 0.25 } }] });
    const res = await api('/me');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('0.25');
  });

  it('holds a Retry-After window: requests inside it get another 429 with the time left, and are counted', async () => {
    server.setFaults({ holdRetryAfter: true, rules: [{ count: 1, action: { kind: 'rateLimit', retryAfterSeconds: 0.4 } }] });
    const before = server.stats().requestsDuringRetryAfter;
    expect((await api('/me')).status).toBe(429);
    now += 150;
    const inside = await api('/me');
    expect(inside.status).toBe(429);
    expect(inside.headers.get('retry-after')).toBe('0.25'); // the 0.4 s window less the 0.15 s gone
    now += 250; // the window's end
    expect((await api('/me')).status).toBe(200);
    expect(server.stats().requestsDuringRetryAfter - before).toBe(1);
  });

  it('edits a playlist between two pages: the total and the snapshot id change, as on Spotify', async () => {
    server.setFaults({ rules: [{ path: `/v1/playlists/${MORNING}/items`, nth: 2, action: { kind: 'editPlaylist', playlistId: MORNING, edit: 'remove-first' } }] });
    const snapshot = async () => (await api(`/playlists/${MORNING}?fields=snapshot_id`)).body.snapshot_id;
    const before = await snapshot();
    const first = await api(`/playlists/${MORNING}/items?limit=50&offset=0`);
    const second = await api(`/playlists/${MORNING}/items?limit=50&offset=50`);
    expect(first.body.total).toBe(150);
    expect(second.body.total).toBe(149);
    // What was item 50 is now item 49: it has moved onto the first page, which was already read.
    expect(second.body.items[0].item?.id).not.toBe(first.body.items[49].item?.id);
    expect(await snapshot()).not.toBe(before);
    expect(server.stats().playlistEdits).toBe(1);
  });
});

describe('FaultEngine', () => {
  it('matches globs: * is one segment, ** is anything', () => {
    expect(globToRegExp('/v1/playlists/*/items').test('/v1/playlists/abc/items')).toBe(true);
    expect(globToRegExp('/v1/playlists/*/items').test('/v1/playlists/a/b/items')).toBe(false);
    expect(globToRegExp('/v1/**').test('/v1/me/top/tracks')).toBe(true);
    expect(globToRegExp('/v1/me').test('/v1/me/playlists')).toBe(false);
  });

  it('lets the first answering rule win without using up the shadowed one', () => {
    const engine = new FaultEngine({
      rules: [
        { count: 1, action: { kind: 'rateLimit' } },
        { count: 1, action: { kind: 'serverError' } },
        { action: { kind: 'delay', ms: 5 } },
      ],
    });
    const kinds = [1, 2, 3].map(() => engine.decide('GET', '/v1/me'));
    expect(kinds.map((d) => d.action?.kind ?? null)).toEqual(['rateLimit', 'serverError', null]);
    expect(kinds.every((d) => d.delayMs === 5)).toBe(true);
  });

  it('matches by method and RegExp', () => {
    const engine = new FaultEngine({ rules: [{ method: 'POST', path: /^\/api\/token$/, action: { kind: 'reset' } }] });
    expect(engine.decide('GET', '/api/token').action).toBeNull();
    expect(engine.decide('POST', '/api/token').action?.kind).toBe('reset');
  });

  it('rejects plans that cannot mean anything, naming the rule and field', () => {
    expect(() => new FaultEngine({ rules: [{ action: { kind: 'serverError', status: 404 as 500 } }] })).toThrow(/rules\[0\] serverError status must be 500, 502 or 503/);
    expect(() => new FaultEngine({ rules: [{ name: 'x', nth: 0, action: { kind: 'reset' } }] })).toThrow(/rules\[0\] \(x\) nth must be/);
    expect(() => new FaultEngine({ rules: [{ path: 'v1/me', action: { kind: 'reset' } }] })).toThrow(/must start with "\/"/);
    expect(() => new FaultEngine({ randomRateLimit: { fraction: 1.5 } })).toThrow(/fraction must be a number from 0 to 1/);
    expect(() => new FaultEngine({ expireTokenAfterApiCalls: 0 })).toThrow(/expireTokenAfterApiCalls must be a whole number >= 1/);
    expect(() => new FaultEngine({ rules: [{ action: { kind: 'explode' } as never }] })).toThrow(/unknown action kind "explode"/);
  });
});
