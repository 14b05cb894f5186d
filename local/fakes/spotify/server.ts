/**
 * An embedded fake of the Spotify Web API and accounts service, on loopback, on Node's http module.
 *
 * It behaves like Spotify does today for a development-mode app (see DESIGN.md): the Authorization Code flow
 * with PKCE, refresh tokens (optionally rotated), client credentials; playlist items from
 * /v1/playlists/{id}/items only for playlists the user owns or collaborates on, 403 on the old /tracks
 * endpoint, 404 for Spotify-owned editorial playlists, batch endpoints closed; and, on demand, the failures a
 * real client must survive (see faults.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSampleCatalog, TIME_RANGES, type CatalogPlaylist, type FakeCatalog, type TimeRange } from './catalog';
import { FaultEngine, type FaultAction, type FaultPlan } from './faults';
import { applyFields, FieldsSyntaxError, parseFields } from './fields';
import { Renderer } from './render';
import { FakeClock, FakeListener, ListeningApi, sampleListenerSpecs, type FakeListenerSpec, type ListeningQuirks, type RecentlyPlayedRules } from './listening';
import { contentSnapshotId } from './weekly';
import { refreshTokenExpiresAt } from '../../../handlers/shared/token-lifetime';

export type { FaultAction, FaultPlan, FaultRule } from './faults';
export type { FakeCatalog } from './catalog';
export type { FakeListenerSpec, PlayModel } from './listening';

export interface FakeSpotifyOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default: the bundled sample catalog (loadSampleCatalog(asOf)). */
  catalog?: FakeCatalog;
  /**
   * Serve the sample catalog as it is in the ISO week of this date (loadSampleCatalog(asOf)): a run a week later
   * sees new entries, drop-outs and moves. Ignored when `catalog` is given. Default: the anchor-week catalog.
   */
  asOf?: Date;
  faults?: FaultPlan;
  credentials?: Partial<FakeCredentials>;
  /** Lifetime of access tokens; default 3600. */
  tokenTtlSeconds?: number;
  /**
   * The fake's wall clock (epoch ms) for token lifetimes, authorization codes and the Retry-After window it holds;
   * default Date.now. Tests pass one they move themselves, so expiry and windows do not race the machine's speed.
   * The request log's timestamps stay on Date.now. (The listening clock is `clock`, a different one.)
   */
  wallClock?: () => number;
  /** When true, the refresh grant returns a new refresh_token and the old one stops working. */
  rotateRefreshToken?: boolean;
  /**
   * When the configured refresh tokens (the app's and the listeners') were authorised, epoch ms on `wallClock`;
   * default: when the fake starts. Like Spotify's, a refresh token answers `invalid_grant` six months after its
   * original authorisation (handlers/shared/token-lifetime.ts), rotated or not.
   */
  authorizedAt?: number;
  /**
   * Quirks of other Spotify-compatible servers, to test clients against more than Spotify's exact behaviour:
   * `maxLimit` caps every page size below the `limit` asked for (Spotify serves up to 50); `omitTotal` leaves
   * `total` out of paging objects (a client then has to follow `next`).
   */
  quirks?: { maxLimit?: number; omitTotal?: boolean };
  /**
   * `development` (default): today's rules for development-mode apps. `extended`: an extended-quota app,
   * whose tokens (client credentials included) may read the items of any non-editorial playlist, also via
   * the old /tracks endpoint, and whose answers keep the fields development mode lost (artist genres,
   * popularity and followers, album label, available markets, linked_from, the user's country, email, product).
   */
  accessMode?: 'development' | 'extended';
  /**
   * Spotify's track relinking: with a `market` in the request, /me/tracks serves each saved track named here as
   * the track it maps to (the release playable in that market), so two saved tracks may come with one id. Only an
   * extended-quota app is told the saved one (`linked_from`).
   */
  relinks?: Record<string, string>;
  /**
   * The authorised users, each with their own refresh token, library and listening history (listening.ts).
   * Default: the sample listeners, Sam (the catalog's user, `credentials.refreshToken`) and Mira.
   */
  listeners?: FakeListenerSpec[];
  /**
   * The listening clock starts at `asOf` (or now) and runs with wall time; `frozen` stops it where it starts, so
   * only advanceClock/setClock move it (new plays appear as it moves).
   */
  clock?: 'running' | 'frozen';
  /** Recently played as Spotify serves it (50 plays, the newest after a cursor) unless changed here. */
  recentlyPlayed?: RecentlyPlayedRules;
  /** Other servers' ways on the listening endpoints (limit not echoed, /me/following unwrapped, ...). */
  listeningQuirks?: ListeningQuirks;
}

export interface FakeCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface FakeSpotifyStats {
  /** Every request received (including ones answered by a fault). */
  requests: number;
  /** Requests per route template, e.g. `GET /v1/playlists/{id}/items`. */
  byRoute: Record<string, number>;
  /** Responses per HTTP status (`0` = connection reset, no response). */
  byStatus: Record<string, number>;
  /** POST /api/token calls per grant_type (`invalid` when missing or unknown). */
  tokenCalls: Record<string, number>;
  /** Successful token responses per grant_type. */
  tokensIssued: Record<string, number>;
  authorizeCalls: number;
  /** 429s sent, quota 429s included. */
  rateLimited: number;
  /** Quota 429s (reason QUOTA_EXCEEDED). */
  quotaExceeded: number;
  /** 5xx responses sent. */
  serverErrors: number;
  connectionResets: number;
  malformedResponses: number;
  delayedResponses: number;
  /** 401s for an expired access token (TTL, expireTokenAfterApiCalls or an expireToken fault). */
  expiredTokenRejections: number;
  /**
   * Web API requests that arrived while a Retry-After the fake had sent was still running (requests already
   * under way when the 429 went out included). With holdRetryAfter each of them got another 429.
   */
  requestsDuringRetryAfter: number;
  /** Playlist edits applied (editPlaylist faults). */
  playlistEdits: number;
  /** Answering faults fired, per rule name. */
  faultsFired: Record<string, number>;
}

export interface FakeSpotifyRequestLogEntry {
  method: string;
  /** Path and query string as received. */
  path: string;
  /** HTTP status sent; 0 when the connection was reset instead. */
  status: number;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  /** Epoch milliseconds when the answer was sent (or the connection reset). */
  respondedAt: number;
  /** The Retry-After (seconds) a 429 carried; absent otherwise. */
  retryAfterSeconds?: number;
}

export interface FakeSpotifyServer {
  /** e.g. http://127.0.0.1:PORT/v1 */
  apiBaseUrl: string;
  /** e.g. http://127.0.0.1:PORT (token endpoint at /api/token, authorize at /authorize) */
  accountsBaseUrl: string;
  /** The currently valid credentials (refreshToken follows rotation). */
  credentials: FakeCredentials;
  stats(): FakeSpotifyStats;
  requests(): FakeSpotifyRequestLogEntry[];
  setFaults(plan: FaultPlan): void;
  /** The listening clock (epoch ms): plays up to this instant exist. */
  now(): number;
  advanceClock(ms: number): void;
  setClock(at: Date): void;
  /** Each listener's user id, display name and current refresh token (follows rotation). */
  listeners(): Array<{ userId: string; displayName: string | null; refreshToken: string }>;
  /** The user revoked the app: their refresh tokens answer `invalid_grant` from now on. */
  revokeListener(userId: string): void;
  /** The app owner's Premium lapses (false: every Web API call answers 403, as Spotify does) or is renewed (true). */
  setOwnerPremium(active: boolean): void;
  /** Whose account the next /authorize approves (default: the catalog's user). */
  authorizeAs(userId: string): void;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_CREDENTIALS: FakeCredentials = {
  clientId: 'fa4e5b0c1d2e3f40a1b2c3d4e5f6a7b8',
  clientSecret: 'fake0secret0b1c2d3e4f5a6b7c8d9e0f',
  refreshToken: 'AQDfake-refresh-token-for-the-embedded-fake-spotify-sample-user',
};

/** What the configured refresh token (the one-time authorisation's result) was granted. */
/** Spotify's 403 on every Web API call of a Development Mode app whose owner has no active Premium subscription. */
export const APP_OWNER_PREMIUM_REQUIRED =
  'Active premium subscription required for the owner of the app. When the subscription status changes, it can take a few hours before requests are allowed again.';
const DEFAULT_SCOPE =
  'playlist-read-private playlist-read-collaborative user-top-read user-read-private user-read-recently-played user-library-read user-follow-read';
const CODE_TTL_MS = 10 * 60_000;
const EMBEDDED_PAGE_LIMIT = 50;
const BASE62_ID = /^[0-9A-Za-z]{22}$/;

interface AccessToken {
  kind: 'user' | 'app';
  clientId: string;
  /** Whose token (user tokens only). */
  userId: string | null;
  scope: string;
  expiresAt: number;
  apiCalls: number;
}

interface RefreshToken {
  clientId: string;
  userId: string;
  scope: string;
  /** Issued to a PKCE client: refreshing needs only client_id, no secret. */
  pkce: boolean;
  /** The original authorisation (wall clock, ms): rotation keeps it, and the token dies six months after it. */
  authorizedAt: number;
}

interface AuthorizationCode {
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | null;
  expiresAt: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function apiError(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { error: { status, message, ...extra } } };
}

function tokenError(status: number, error: string, description: string): Reply {
  return { status, body: { error, error_description: description } };
}

function base64url(buffer: Buffer): string {
  return buffer.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function emptyStats(): FakeSpotifyStats {
  return {
    requests: 0,
    byRoute: {},
    byStatus: {},
    tokenCalls: {},
    tokensIssued: {},
    authorizeCalls: 0,
    rateLimited: 0,
    quotaExceeded: 0,
    serverErrors: 0,
    connectionResets: 0,
    malformedResponses: 0,
    delayedResponses: 0,
    expiredTokenRejections: 0,
    requestsDuringRetryAfter: 0,
    playlistEdits: 0,
    faultsFired: {},
  };
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Redirect URIs Spotify accepts: HTTPS, or plain HTTP only to a loopback IP literal (127.0.0.1 / [::1]).
 * `localhost` is rejected. Returns the error text Spotify shows, or null when acceptable.
 */
export function redirectUriProblem(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'INVALID_CLIENT: Invalid redirect URI';
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    const host = url.hostname;
    if (host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)) return null;
    return 'INVALID_CLIENT: Insecure redirect URI';
  }
  // Custom schemes (mobile apps) are still accepted by Spotify.
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) && !['javascript:', 'data:', 'file:'].includes(url.protocol)
    ? null
    : 'INVALID_CLIENT: Invalid redirect URI';
}

class FakeSpotify {
  apiBaseUrl = '';
  accountsBaseUrl = '';
  readonly credentials: FakeCredentials;
  private faults: FaultEngine;
  private renderer!: Renderer;
  private ownerPremium = true;
  private readonly playlistsById: Map<string, CatalogPlaylist>;
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private statsData = emptyStats();
  private log: FakeSpotifyRequestLogEntry[] = [];
  readonly clock: FakeClock;
  private readonly listenersById = new Map<string, FakeListener>();
  /** Each user's current refresh token (the latest after rotation). */
  private readonly currentRefreshTokens = new Map<string, string>();
  private readonly revokedUsers = new Set<string>();
  private authorizingUserId: string;
  private readonly listening: ListeningApi;
  /** The end of the latest Retry-After the fake sent (epoch ms), and whether it was whole seconds. */
  private retryAfterWindow = { until: 0, wholeSeconds: true };
  private readonly wallNow: () => number;

  constructor(
    private readonly catalog: FakeCatalog,
    private readonly options: FakeSpotifyOptions,
  ) {
    this.credentials = { ...DEFAULT_FAKE_CREDENTIALS, ...options.credentials };
    this.wallNow = options.wallClock ?? Date.now;
    this.faults = new FaultEngine(options.faults ?? {});
    this.playlistsById = new Map(catalog.playlists.map((p) => [p.id, p]));
    this.clock = new FakeClock(options.asOf, options.clock === 'frozen');
    this.authorizingUserId = catalog.userId;
    this.listening = new ListeningApi(catalog, () => this.renderer, () => this.apiBaseUrl, options.recentlyPlayed, {
      maxLimit: options.quirks?.maxLimit,
      omitTotal: options.quirks?.omitTotal,
      ...options.listeningQuirks,
    }, options.relinks);
    const authorizedAt = options.authorizedAt ?? this.wallNow();
    this.refreshTokens.set(this.credentials.refreshToken, { clientId: this.credentials.clientId, userId: catalog.userId, scope: DEFAULT_SCOPE, pkce: false, authorizedAt });
    this.currentRefreshTokens.set(catalog.userId, this.credentials.refreshToken);
    for (const spec of options.listeners ?? sampleListenerSpecs(this.credentials.refreshToken)) {
      if (this.listenersById.has(spec.userId)) throw new Error(`startFakeSpotify: listener ${spec.userId} is given twice`);
      catalog.users[spec.userId] ??= { id: spec.userId, displayName: spec.displayName };
      const listener = new FakeListener(spec, catalog);
      this.listenersById.set(spec.userId, listener);
      this.refreshTokens.set(spec.refreshToken, { clientId: this.credentials.clientId, userId: spec.userId, scope: listener.scope, pkce: false, authorizedAt });
      this.currentRefreshTokens.set(spec.userId, spec.refreshToken);
    }
  }

  listenerCredentials(): Array<{ userId: string; displayName: string | null; refreshToken: string }> {
    return [...this.listenersById.values()].map((l) => ({
      userId: l.userId,
      displayName: l.displayName,
      refreshToken: this.currentRefreshTokens.get(l.userId)!,
    }));
  }

  /** The app owner's Premium subscription lapses (false) or is renewed (true): see APP_OWNER_PREMIUM_REQUIRED. */
  setOwnerPremium(active: boolean): void {
    this.ownerPremium = active;
  }

  revokeListener(userId: string): void {
    if (!this.currentRefreshTokens.has(userId)) throw new Error(`revokeListener: no listener ${userId}`);
    this.revokedUsers.add(userId);
  }

  authorizeAs(userId: string): void {
    if (!this.currentRefreshTokens.has(userId)) throw new Error(`authorizeAs: no listener ${userId}`);
    this.authorizingUserId = userId;
    this.revokedUsers.delete(userId); // authorising again grants access again
  }

  setBaseUrl(origin: string): void {
    this.accountsBaseUrl = origin;
    this.apiBaseUrl = `${origin}/v1`;
    this.renderer = new Renderer(this.catalog, this.apiBaseUrl, this.extended());
  }

  setFaults(plan: FaultPlan): void {
    this.faults = new FaultEngine(plan);
    this.retryAfterWindow = { until: 0, wholeSeconds: true };
  }

  stats(): FakeSpotifyStats {
    return structuredClone(this.statsData);
  }

  requests(): FakeSpotifyRequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const arrivedAt = this.wallNow();
    const method = req.method ?? 'GET';
    const rawPath = req.url ?? '/';
    const url = new URL(rawPath, 'http://fake.invalid');
    this.statsData.requests += 1;
    let logged = false;
    // Inside a running Retry-After window (Spotify's per-app window): counted, and with holdRetryAfter answered 429.
    const inWindow = url.pathname.startsWith('/v1/') && arrivedAt < this.retryAfterWindow.until;
    if (inWindow) this.statsData.requestsDuringRetryAfter += 1;
    const held = inWindow && this.faults.plan.holdRetryAfter === true;
    const record = (status: number, retryAfter?: string) => {
      if (logged) return;
      logged = true;
      const entry: FakeSpotifyRequestLogEntry = { method, path: rawPath, status, at, respondedAt: Date.now() };
      if (status === 429 && retryAfter !== undefined) {
        entry.retryAfterSeconds = Number(retryAfter);
        const until = this.wallNow() + entry.retryAfterSeconds * 1000;
        // A held 429 repeats the running window (its time left rounded up); it does not open a longer one.
        if (!held && until > this.retryAfterWindow.until) this.retryAfterWindow = { until, wholeSeconds: Number.isInteger(entry.retryAfterSeconds) };
      }
      this.log.push(entry);
      bump(this.statsData.byStatus, String(status));
      if (status === 429) this.statsData.rateLimited += 1;
      if (status >= 500) this.statsData.serverErrors += 1;
    };

    const decision = this.faults.decide(method, url.pathname);
    if (decision.delayMs > 0) {
      this.statsData.delayedResponses += 1;
      await new Promise((r) => setTimeout(r, decision.delayMs));
    }
    for (const edit of decision.edits) {
      if (edit.kind === 'saveTrack') this.saveTrack(edit.userId ?? this.catalog.userId);
      else this.editPlaylist(edit.playlistId, edit.edit ?? 'remove-first');
    }
    const action = held ? null : decision.action;
    if (action && decision.ruleName) bump(this.statsData.faultsFired, decision.ruleName);

    if (action?.kind === 'reset') {
      this.statsData.connectionResets += 1;
      bump(this.statsData.byRoute, this.routeKey(method, url.pathname));
      record(0);
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    const answered = held ? this.heldReply() : action ? this.faultReply(action) : null;
    if (answered) {
      bump(this.statsData.byRoute, this.routeKey(method, url.pathname));
      if (action?.kind === 'quota') this.statsData.quotaExceeded += 1;
      reply = answered;
    } else {
      try {
        reply = await this.dispatch(req, method, url, action?.kind === 'expireToken', arrivedAt);
      } catch (error) {
        reply =
          error instanceof HttpError
            ? { ...apiError(error.status, error.message), headers: error.headers }
            : apiError(500, `fake Spotify internal error: ${(error as Error).message}`);
      }
    }

    let text: string;
    const headers: Record<string, string> = { 'cache-control': 'private, max-age=0', ...reply.headers };
    if (typeof reply.body === 'string') {
      text = reply.body;
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else {
      text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    let status = reply.status;
    if (action?.kind === 'malformedJson') {
      this.statsData.malformedResponses += 1;
      status = 200;
      text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    record(status, headers['retry-after']);
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  /** 429 for a request inside a running Retry-After window, with the time that is left. */
  private heldReply(): Reply {
    const leftMs = Math.max(0, this.retryAfterWindow.until - this.wallNow());
    const seconds = this.retryAfterWindow.wholeSeconds ? Math.ceil(leftMs / 1000) : Math.ceil(leftMs) / 1000;
    return { ...apiError(429, 'API rate limit exceeded'), headers: { 'retry-after': String(seconds) } };
  }

  /** An editPlaylist fault: the playlist changes now, and with it its snapshot id. */
  /** A saveTrack fault: the listener saves a track now. */
  private saveTrack(userId: string): void {
    const listener = this.listenersById.get(userId);
    if (!listener) throw new Error(`saveTrack: no listener ${userId}`);
    listener.saveTrack(this.clock.now());
  }

  private editPlaylist(playlistId: string, edit: 'remove-first' | 'move-last-to-first'): void {
    const playlist = this.playlistsById.get(playlistId);
    if (!playlist || playlist.entries.length === 0) return;
    const entries = [...playlist.entries];
    if (edit === 'remove-first') entries.shift();
    else entries.unshift(entries.pop()!);
    playlist.entries = entries;
    playlist.snapshotId = contentSnapshotId(playlist.id, entries);
    this.statsData.playlistEdits += 1;
  }

  private faultReply(action: FaultAction): Reply | null {
    switch (action.kind) {
      case 'rateLimit':
        return {
          ...apiError(429, 'API rate limit exceeded'),
          headers: { 'retry-after': String(action.retryAfterSeconds ?? 1) },
        };
      case 'quota':
        return {
          ...apiError(429, 'API rate limit exceeded', { reason: 'QUOTA_EXCEEDED' }),
          headers: { 'retry-after': String(action.retryAfterSeconds ?? 86_400) },
        };
      case 'serverError': {
        const status = action.status ?? 500;
        const message = status === 500 ? 'Server error.' : status === 502 ? 'Bad gateway.' : 'Service unavailable';
        return apiError(status, message);
      }
      default:
        return null; // delay, malformedJson, expireToken and editPlaylist change how the real answer goes out
    }
  }

  /** Route template for stats, so ids do not explode the counts. */
  private routeKey(method: string, path: string): string {
    const template = path
      .replace(/^\/v1\/playlists\/[^/]+/, '/v1/playlists/{id}')
      .replace(/^\/v1\/me\/top\/[^/]+/, '/v1/me/top/{type}')
      .replace(/^\/v1\/(tracks|artists|albums|episodes|shows|users)\/[^/]+/, '/v1/$1/{id}');
    return `${method} ${template}`;
  }

  private async dispatch(req: IncomingMessage, method: string, url: URL, forceExpired: boolean, arrivedAt: number): Promise<Reply> {
    const path = url.pathname;
    bump(this.statsData.byRoute, this.routeKey(method, path));
    if (path === '/api/token') return this.token(req, method);
    if (path === '/authorize') return this.authorize(method, url);
    if (path === '/v1' || path.startsWith('/v1/')) return this.api(req, method, url, forceExpired, arrivedAt);
    return apiError(404, 'Service not found');
  }

  // -------------------------------------------------------------------------------------------------------
  // Accounts service

  private authorize(method: string, url: URL): Reply {
    this.statsData.authorizeCalls += 1;
    if (method !== 'GET') return { status: 405, body: 'Method not allowed' };
    const q = url.searchParams;
    const clientId = q.get('client_id');
    if (!clientId) return { status: 400, body: 'INVALID_CLIENT: Missing client_id' };
    if (clientId !== this.credentials.clientId) return { status: 400, body: 'INVALID_CLIENT: Invalid client' };
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return { status: 400, body: 'INVALID_CLIENT: Missing redirect_uri' };
    const problem = redirectUriProblem(redirectUri);
    if (problem) return { status: 400, body: problem };

    const back = (params: Record<string, string>): Reply => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      const state = q.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, body: '', headers: { location: target.toString() } };
    };
    if (q.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
    const challenge = q.get('code_challenge');
    const challengeMethod = q.get('code_challenge_method');
    if (challenge !== null || challengeMethod !== null) {
      if (challengeMethod !== 'S256') return back({ error: 'invalid_request', error_description: 'code_challenge_method must be S256' });
      if (!challenge || !/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) {
        return back({ error: 'invalid_request', error_description: 'code_challenge must be the base64url SHA-256 of the code_verifier' });
      }
    }
    // The fake's user approves at once.
    const code = base64url(randomBytes(48));
    this.codes.set(code, {
      clientId,
      userId: this.authorizingUserId,
      redirectUri,
      scope: q.get('scope') ?? '',
      codeChallenge: challenge,
      expiresAt: this.wallNow() + CODE_TTL_MS,
    });
    return back({ code });
  }

  private async token(req: IncomingMessage, method: string): Promise<Reply> {
    if (method !== 'POST') {
      bump(this.statsData.tokenCalls, 'invalid');
      return { status: 405, body: { error: 'invalid_request', error_description: 'Use POST for /api/token' } };
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const raw = await readBody(req);
    if (contentType !== 'application/x-www-form-urlencoded') {
      bump(this.statsData.tokenCalls, 'invalid');
      return tokenError(400, 'invalid_request', `Content-Type must be application/x-www-form-urlencoded (got "${contentType || 'none'}")`);
    }
    const form = new URLSearchParams(raw);
    const grant = form.get('grant_type');
    const known = ['client_credentials', 'refresh_token', 'authorization_code'];
    bump(this.statsData.tokenCalls, grant && known.includes(grant) ? grant : 'invalid');
    if (!grant) return tokenError(400, 'unsupported_grant_type', 'grant_type parameter is missing');
    if (!known.includes(grant)) return tokenError(400, 'unsupported_grant_type', `grant_type must be one of ${known.join(', ')}`);

    // Client authentication: HTTP Basic, or client_id (+ client_secret) in the body.
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const auth = req.headers.authorization;
    if (auth) {
      const match = /^Basic\s+(.+)$/i.exec(auth);
      const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
      const sep = decoded.indexOf(':');
      if (!match || sep < 0) return tokenError(401, 'invalid_client', 'Authorization header must be Basic base64(client_id:client_secret)');
      clientId = decoded.slice(0, sep);
      clientSecret = decoded.slice(sep + 1);
    }
    if (!clientId) return tokenError(401, 'invalid_client', 'Missing client_id: send HTTP Basic auth or client_id in the body');
    if (clientId !== this.credentials.clientId) return tokenError(401, 'invalid_client', 'Invalid client');
    if (clientSecret !== null && !safeEqual(clientSecret, this.credentials.clientSecret)) {
      return tokenError(401, 'invalid_client', 'Invalid client secret');
    }
    const authenticated = clientSecret !== null;

    if (grant === 'client_credentials') {
      if (!authenticated) return tokenError(401, 'invalid_client', 'client_credentials needs the client secret');
      bump(this.statsData.tokensIssued, grant);
      return { status: 200, body: { access_token: this.issueAccessToken('app', clientId, ''), token_type: 'Bearer', expires_in: this.ttl() } };
    }

    if (grant === 'authorization_code') {
      const code = form.get('code');
      const redirectUri = form.get('redirect_uri');
      const verifier = form.get('code_verifier');
      if (!code) return tokenError(400, 'invalid_request', 'code parameter is missing');
      if (!redirectUri) return tokenError(400, 'invalid_request', 'redirect_uri parameter is missing');
      const grantCode = this.codes.get(code);
      if (!grantCode) return tokenError(400, 'invalid_grant', 'Invalid authorization code');
      this.codes.delete(code); // single use, even when the exchange below fails
      if (grantCode.expiresAt < this.wallNow()) return tokenError(400, 'invalid_grant', 'Authorization code expired');
      if (grantCode.clientId !== clientId) return tokenError(400, 'invalid_grant', 'Invalid authorization code');
      if (grantCode.redirectUri !== redirectUri) return tokenError(400, 'invalid_grant', 'Invalid redirect URI');
      if (grantCode.codeChallenge) {
        if (!verifier) return tokenError(400, 'invalid_request', 'code_verifier required');
        const computed = base64url(createHash('sha256').update(verifier).digest());
        if (!safeEqual(computed, grantCode.codeChallenge)) return tokenError(400, 'invalid_grant', 'code_verifier was incorrect');
      } else if (!authenticated) {
        return tokenError(401, 'invalid_client', 'Without PKCE the code exchange needs the client secret');
      }
      const refreshToken = base64url(randomBytes(96));
      this.refreshTokens.set(refreshToken, { clientId, userId: grantCode.userId, scope: grantCode.scope, pkce: grantCode.codeChallenge !== null, authorizedAt: this.wallNow() });
      this.currentRefreshTokens.set(grantCode.userId, refreshToken);
      bump(this.statsData.tokensIssued, grant);
      return {
        status: 200,
        body: {
          access_token: this.issueAccessToken('user', clientId, grantCode.scope, grantCode.userId),
          token_type: 'Bearer',
          scope: grantCode.scope,
          expires_in: this.ttl(),
          refresh_token: refreshToken,
        },
      };
    }

    // refresh_token
    const presented = form.get('refresh_token');
    if (!presented) return tokenError(400, 'invalid_request', 'refresh_token must be supplied');
    const stored = this.refreshTokens.get(presented);
    if (!stored || stored.clientId !== clientId) return tokenError(400, 'invalid_grant', 'Invalid refresh token');
    if (this.revokedUsers.has(stored.userId)) return tokenError(400, 'invalid_grant', 'Refresh token revoked');
    if (this.wallNow() >= refreshTokenExpiresAt(new Date(stored.authorizedAt)).getTime()) return tokenError(400, 'invalid_grant', 'Refresh token expired');
    if (!authenticated && !stored.pkce) return tokenError(401, 'invalid_client', 'Invalid client secret');
    const body: Record<string, unknown> = {
      access_token: this.issueAccessToken('user', clientId, stored.scope, stored.userId),
      token_type: 'Bearer',
      scope: stored.scope,
      expires_in: this.ttl(),
    };
    if (this.options.rotateRefreshToken) {
      const next = base64url(randomBytes(96));
      this.refreshTokens.delete(presented);
      this.refreshTokens.set(next, stored);
      if (presented === this.credentials.refreshToken) this.credentials.refreshToken = next;
      if (this.currentRefreshTokens.get(stored.userId) === presented) this.currentRefreshTokens.set(stored.userId, next);
      body.refresh_token = next;
    }
    bump(this.statsData.tokensIssued, grant);
    return { status: 200, body };
  }

  private ttl(): number {
    return this.options.tokenTtlSeconds ?? 3600;
  }

  private issueAccessToken(kind: AccessToken['kind'], clientId: string, scope: string, userId: string | null = null): string {
    const token = `BQ${base64url(randomBytes(60))}`;
    this.accessTokens.set(token, { kind, clientId, userId, scope, expiresAt: this.wallNow() + this.ttl() * 1000, apiCalls: 0 });
    return token;
  }

  // -------------------------------------------------------------------------------------------------------
  // Web API

  /** The token is checked as of the request's arrival: a slow answer does not expire a token that was valid then. */
  private authenticate(req: IncomingMessage, forceExpired: boolean, arrivedAt: number): AccessToken {
    const header = req.headers.authorization;
    const unauthorized = (message: string, error = 'invalid_token') =>
      new HttpError(401, message, { 'www-authenticate': `Bearer realm="spotify", error="${error}", error_description="${message}"` });
    if (!header) throw unauthorized('No token provided', 'invalid_request');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized('Only valid bearer authentication supported', 'invalid_request');
    const token = this.accessTokens.get(match[1]);
    if (!token) throw unauthorized('Invalid access token');
    const limit = this.faults.plan.expireTokenAfterApiCalls;
    if (forceExpired || token.expiresAt <= arrivedAt || (limit !== undefined && token.apiCalls >= limit)) {
      this.statsData.expiredTokenRejections += 1;
      throw unauthorized('The access token expired');
    }
    token.apiCalls += 1;
    return token;
  }

  private async api(req: IncomingMessage, method: string, url: URL, forceExpired: boolean, arrivedAt: number): Promise<Reply> {
    const token = this.authenticate(req, forceExpired, arrivedAt);
    // Development Mode needs the app owner's Premium: without it Spotify refuses every call of every user.
    if (!this.ownerPremium) return apiError(403, APP_OWNER_PREMIUM_REQUIRED);
    if (method !== 'GET') return apiError(405, 'Method not allowed: the fake serves the read endpoints only');
    const segments = url.pathname.split('/').slice(2); // drop '' and 'v1'
    const q = url.searchParams;
    const [first, second, third] = segments;

    if (first === 'me') {
      if (token.kind === 'app') {
        return second === 'top' ? apiError(403, 'Insufficient client scope') : apiError(401, 'Unauthorized.');
      }
      const answered = this.listeningRoute(token, segments.slice(1), q);
      if (answered) return answered;
      const userId = token.userId ?? this.catalog.userId;
      if (segments.length === 1) return ok(this.renderer.me(userId));
      if (second === 'playlists' && segments.length === 2) return this.myPlaylists(userId, q);
      if (second === 'top' && segments.length === 3) return this.top(token, userId, third, q);
      return apiError(404, 'Service not found');
    }

    if (first === 'playlists' && second !== undefined && segments.length <= 3) {
      if (!BASE62_ID.test(second)) return apiError(400, 'Invalid base62 id');
      const playlist = this.playlistsById.get(second);
      if (!playlist || this.catalog.editorialPlaylistIds.includes(second)) return apiError(404, 'Resource not found');
      if (third === undefined) return this.playlist(token, playlist, q);
      if (third === 'items') return this.playlistItems(token, playlist, q);
      if (third === 'tracks') {
        // Closed to development-mode apps since February 2026; extended-quota apps still have it.
        return this.extended() ? this.playlistItems(token, playlist, q) : apiError(403, 'Forbidden');
      }
      return apiError(404, 'Service not found');
    }

    if ((first === 'tracks' || first === 'artists' || first === 'albums' || first === 'episodes' || first === 'shows') && segments.length === 1) {
      // "Get several ..." batch endpoints: removed for development mode.
      return apiError(403, 'Forbidden');
    }
    if (first === 'tracks' && segments.length === 2) {
      if (!BASE62_ID.test(second)) return apiError(400, 'Invalid base62 id');
      return this.catalog.tracks[second] ? ok(this.renderer.track(second)) : apiError(404, 'Resource not found');
    }
    if (first === 'artists' && segments.length === 2) {
      if (!BASE62_ID.test(second)) return apiError(400, 'Invalid base62 id');
      return this.catalog.artists[second] ? ok(this.renderer.artist(second)) : apiError(404, 'Resource not found');
    }
    // Everything else, including what development-mode apps lost (related artists, an artist's top tracks,
    // recommendations, audio features and analysis, browse, markets, other users' profiles): 404.
    return apiError(404, 'Service not found');
  }

  /** The listening endpoints (listening.ts); null for the other /me paths. */
  private listeningRoute(token: AccessToken, segments: string[], q: URLSearchParams): Reply | null {
    const listener = this.listenersById.get(token.userId ?? this.catalog.userId);
    if (!listener) {
      const listeningPath = ['player', 'tracks', 'following'].includes(segments[0] ?? '');
      return listeningPath ? apiError(404, 'No listening data for this user in the fake') : null;
    }
    return this.listening.handle({ listener, scope: token.scope, segments, query: q, nowMs: this.clock.now() });
  }

  private maxLimit(): number {
    return this.options.quirks?.maxLimit ?? 50;
  }

  /** A paging object as a server with `quirks.omitTotal` sends it. */
  private quirky(page: Record<string, unknown>): Record<string, unknown> {
    if (!this.options.quirks?.omitTotal) return page;
    const { total: _total, ...rest } = page;
    return rest;
  }

  private extended(): boolean {
    return this.options.accessMode === 'extended';
  }

  private canReadItems(token: AccessToken, playlist: CatalogPlaylist): boolean {
    if (this.extended()) return true;
    if (token.kind === 'app') return false;
    const me = token.userId ?? this.catalog.userId;
    return playlist.ownerId === me || playlist.collaborators.includes(me);
  }

  /** What the caller owns, collaborates on or follows, as Spotify lists it (each with its `owner` and `collaborative`). */
  private myPlaylists(userId: string, q: URLSearchParams): Reply {
    const { limit, offset } = paging(q, 20, 100_000, this.maxLimit());
    const listed = (p: CatalogPlaylist) => p.ownerId === userId || p.collaborators.includes(userId) || p.followedBy.includes(userId);
    const mine = this.catalog.playlists.filter((p) => listed(p) && !this.catalog.editorialPlaylistIds.includes(p.id));
    const items = mine.slice(offset, offset + limit).map((p) => this.renderer.simplifiedPlaylist(p));
    return ok(this.quirky(this.renderer.page('/me/playlists', items, offset, limit, mine.length)));
  }

  /** The catalog's top lists for its user; another listener's own (listening.ts). */
  private top(token: AccessToken, userId: string, type: string, q: URLSearchParams): Reply {
    if (type !== 'artists' && type !== 'tracks') return apiError(400, `Invalid type "${type}": use artists or tracks`);
    if (!token.scope.split(' ').includes('user-top-read')) return apiError(403, 'Insufficient client scope');
    const range = (q.get('time_range') ?? 'medium_term') as TimeRange;
    if (!TIME_RANGES.includes(range)) return apiError(400, 'Invalid time range: use short_term, medium_term or long_term');
    const { limit, offset } = paging(q, 20, 100_000, this.maxLimit());
    const ids = (this.listenersById.get(userId)?.top ?? this.catalog.top)[type][range];
    const items = ids.slice(offset, offset + limit).map((id) => (type === 'artists' ? this.renderer.artist(id) : this.renderer.track(id)));
    return ok(this.quirky(this.renderer.page(`/me/top/${type}`, items, offset, limit, ids.length, { time_range: range })));
  }

  private playlist(token: AccessToken, playlist: CatalogPlaylist, q: URLSearchParams): Reply {
    const fields = parseFieldsParam(q);
    const body = this.renderer.playlist(playlist, this.canReadItems(token, playlist), EMBEDDED_PAGE_LIMIT, additionalTypesParam(q));
    return ok(fields ? applyFields(body, fields) : body);
  }

  private playlistItems(token: AccessToken, playlist: CatalogPlaylist, q: URLSearchParams): Reply {
    if (!this.canReadItems(token, playlist)) return apiError(403, 'Forbidden');
    const fields = parseFieldsParam(q);
    const { limit, offset } = paging(q, 20, Number.MAX_SAFE_INTEGER, this.maxLimit());
    const body = this.quirky(this.renderer.playlistItemsPage(playlist, offset, limit, additionalTypesParam(q)));
    return ok(fields ? applyFields(body, fields) : body);
  }
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

/** limit 1..50 (Spotify's maximum for these endpoints) and offset >= 0; Spotify's messages otherwise. */
function paging(q: URLSearchParams, defaultLimit: number, maxOffset: number, maxLimit = 50): { limit: number; offset: number } {
  const rawLimit = q.get('limit');
  const rawOffset = q.get('offset');
  const limit = rawLimit === null ? defaultLimit : /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
  const offset = rawOffset === null ? 0 : /^\d+$/.test(rawOffset) ? Number(rawOffset) : NaN;
  if (!(limit >= 1 && limit <= 50)) throw new HttpError(400, 'Invalid limit');
  if (!(offset >= 0 && offset <= maxOffset)) throw new HttpError(400, 'Invalid offset');
  return { limit: Math.min(limit, maxLimit), offset };
}

/**
 * The client's `additional_types`: with `episode` in it (e.g. `track,episode`) episodes come as episode objects.
 * Without it Spotify's reference says only tracks are returned, and it serves an episode squeezed into a track.
 */
function additionalTypesParam(q: URLSearchParams): string | null {
  return q.get('additional_types');
}

function parseFieldsParam(q: URLSearchParams) {
  const text = q.get('fields');
  if (text === null || text === '') return null;
  try {
    return parseFields(text);
  } catch (error) {
    if (error instanceof FieldsSyntaxError) throw new HttpError(400, `Invalid fields parameter: ${error.message}`);
    throw error;
  }
}

function readBody(req: IncomingMessage, maxBytes = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new HttpError(413, 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the fake on loopback (an ephemeral port unless `port` is given) and resolves once it listens. */
export async function startFakeSpotify(options: FakeSpotifyOptions = {}): Promise<FakeSpotifyServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`startFakeSpotify: port must be 0-65535 (got ${port})`);
  if (options.tokenTtlSeconds !== undefined && !(Number.isInteger(options.tokenTtlSeconds) && options.tokenTtlSeconds >= 1)) {
    throw new Error(`startFakeSpotify: tokenTtlSeconds must be a whole number >= 1 (got ${options.tokenTtlSeconds})`);
  }
  const maxLimit = options.quirks?.maxLimit;
  if (maxLimit !== undefined && !(Number.isInteger(maxLimit) && maxLimit >= 1 && maxLimit <= 50)) {
    throw new Error(`startFakeSpotify: quirks.maxLimit must be a whole number from 1 to 50 (got ${maxLimit})`);
  }
  const fake = new FakeSpotify(options.catalog ?? loadSampleCatalog(options.asOf), options);
  const server: Server = createServer((req, res) => {
    fake.handle(req, res).catch((error: Error) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: { status: 500, message: `fake Spotify internal error: ${error.message}` } }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`startFakeSpotify: ${host}:${port} is already in use; pass port 0 for a free one`) : error),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : address.address;
  fake.setBaseUrl(`http://${hostInUrl}:${address.port}`);

  let closing: Promise<void> | null = null;
  return {
    apiBaseUrl: fake.apiBaseUrl,
    accountsBaseUrl: fake.accountsBaseUrl,
    credentials: fake.credentials,
    stats: () => fake.stats(),
    requests: () => fake.requests(),
    setFaults: (plan) => fake.setFaults(plan),
    now: () => fake.clock.now(),
    advanceClock: (ms) => fake.clock.advance(ms),
    setClock: (at) => fake.clock.set(at),
    listeners: () => fake.listenerCredentials(),
    revokeListener: (userId) => fake.revokeListener(userId),
    setOwnerPremium: (active) => fake.setOwnerPremium(active),
    authorizeAs: (userId) => fake.authorizeAs(userId),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
