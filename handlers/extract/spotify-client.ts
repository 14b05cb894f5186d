/**
 * A small Spotify Web API client built for unattended runs: token caching and refresh, a bound on concurrent
 * requests, Retry-After honoured across all requests, capped exponential backoff with jitter for 5xx,
 * timeouts, resets and malformed bodies, and a clean stop when Spotify asks for more time than the run has.
 * It uses Node's fetch and nothing else, so it behaves the same in Lambda, the local run and the tests.
 */
import { setMaxListeners } from 'node:events';
import type { StoppedEarly } from '../shared/manifest';

export interface SpotifyCredentials {
  clientId: string;
  clientSecret?: string;
  refreshToken?: string;
}

export type AuthMode = 'user' | 'client-credentials';

/** The logging surface the client needs; Powertools' Logger and console-like objects both fit. */
export interface MinimalLogger {
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export const silentLogger: MinimalLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ClientStats {
  api_calls: number;
  token_calls: number;
  retries: number;
  rate_limited: number;
  /** Sum of the Retry-After waits Spotify asked for (seconds); the benchmark compares wall time to it. */
  retry_after_seconds_total: number;
}

export interface BackoffOptions {
  /** First retry waits up to this long (full jitter); each retry doubles it, up to capMs. */
  baseMs: number;
  capMs: number;
}

export interface SpotifyClientOptions {
  apiBaseUrl: string;
  accountsBaseUrl: string;
  authMode: AuthMode;
  credentials: SpotifyCredentials;
  onRefreshTokenRotated?: (newToken: string) => Promise<void>;
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
  maxRetries: number;
  /** Epoch ms after which no wait may end: a Retry-After past it stops the run instead. */
  deadline: number;
  backoff?: BackoffOptions;
  logger?: MinimalLogger;
}

/** The API answered with an error for one entity (404, 403, exhausted 5xx, ...). The run records it and goes on. */
export class SpotifyApiError extends Error {
  constructor(
    readonly endpoint: string,
    readonly status: number | null,
    readonly spotifyMessage: string,
  ) {
    super(`${endpoint}: ${status === null ? 'no HTTP answer' : `HTTP ${status}`}: ${spotifyMessage}`);
    this.name = 'SpotifyApiError';
  }
}

/** Spotify asked the run to wait longer than it may (quota 429, long Retry-After): stop cleanly, keep what is done. */
export class RunStoppedError extends Error {
  constructor(readonly stopped: StoppedEarly) {
    super(stopped.message);
    this.name = 'RunStoppedError';
  }
}

/** Nothing more can work in this run: the API is unreachable, or the credentials are refused. */
export class SpotifyFatalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpotifyFatalError';
  }
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 8_000 };
/** Tokens are renewed this long before Spotify's expiry (capped to a tenth of a short lifetime). */
const TOKEN_EXPIRY_MARGIN_MS = 60_000;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

type Outcome =
  | { kind: 'ok'; body: unknown }
  | { kind: 'retry'; status: number | null; cause: string; unreachable?: boolean }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'rate-limited'; retryAfterSeconds: number; quota: boolean; message: string }
  | { kind: 'fail'; status: number; message: string };

class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After is seconds, or (rarely) an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number {
  if (!value) return 1;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 1 : Math.max(0, (date - now) / 1000);
}

/** Spotify's error bodies: `{"error":{"status":404,"message":"..."}}` (API) or `{"error":"invalid_grant",...}` (accounts). */
function errorDetails(body: unknown): { message: string; reason?: string } {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const error = b.error;
    if (error && typeof error === 'object') {
      const e = error as Record<string, unknown>;
      return {
        message: typeof e.message === 'string' ? e.message : JSON.stringify(e),
        reason: typeof e.reason === 'string' ? e.reason : typeof b.reason === 'string' ? b.reason : undefined,
      };
    }
    if (typeof error === 'string') {
      const description = typeof b.error_description === 'string' ? `: ${b.error_description}` : '';
      return { message: `${error}${description}`, reason: typeof b.reason === 'string' ? b.reason : undefined };
    }
  }
  return { message: 'no error message in the response' };
}

function networkCause(error: unknown): { text: string; unreachable: boolean } {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return { text: 'timed out', unreachable: false };
  const code = err?.cause?.code;
  const text = code ? `${code}${err.cause?.message ? ` (${err.cause.message})` : ''}` : (err?.message ?? String(error));
  return { text: `network error: ${text}`, unreachable: code !== undefined && UNREACHABLE_CODES.has(code) };
}

export class SpotifyClient {
  readonly stats: ClientStats = { api_calls: 0, token_calls: 0, retries: 0, rate_limited: 0, retry_after_seconds_total: 0 };
  private readonly semaphore: Semaphore;
  private readonly backoff: BackoffOptions;
  private readonly logger: MinimalLogger;
  private readonly stop = new AbortController();
  private readonly credentials: SpotifyCredentials;
  private token: { value: string; renewAt: number } | null = null;
  private tokenInFlight: Promise<string> | null = null;
  /** A 429 pauses every request, not just the one that saw it: Spotify's window is per app. */
  private pausedUntil = 0;

  constructor(private readonly options: SpotifyClientOptions) {
    this.semaphore = new Semaphore(options.maxConcurrentRequests);
    // Every in-flight request and every wait listens on the run's stop signal; hundreds are normal here.
    setMaxListeners(0, this.stop.signal);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.logger = options.logger ?? silentLogger;
    this.credentials = { ...options.credentials };
    if (options.authMode === 'user' && !options.credentials.refreshToken) {
      throw new SpotifyFatalError(
        'authMode "user" needs a refresh token and none was given. Run `pipeline authorize` once to get one ' +
          '(or set spotify.authMode to "client-credentials" if your app still has that access).',
      );
    }
    if (options.authMode === 'client-credentials' && !options.credentials.clientSecret) {
      throw new SpotifyFatalError('authMode "client-credentials" needs the app\'s client secret and none was given.');
    }
  }

  /** Stops every waiting and future request with this reason (quota, fatal error elsewhere in the run). */
  abort(reason: Error): void {
    if (!this.stop.signal.aborted) this.stop.abort(reason);
  }

  get stopReason(): Error | null {
    return this.stop.signal.aborted ? (this.stop.signal.reason as Error) : null;
  }

  /** GET an API path (relative to apiBaseUrl) and return the parsed JSON body. `label` names it in errors. */
  async getJson(path: string, query: Record<string, string | number | undefined>, label: string): Promise<unknown> {
    const url = new URL(this.options.apiBaseUrl.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    let refreshedAfter401 = false;
    let attempt = 0;
    for (;;) {
      this.throwIfStopped();
      await this.waitForRateLimit(label);
      const token = await this.accessToken();
      const outcome = await this.semaphore.run(() => {
        this.throwIfStopped();
        this.stats.api_calls += 1;
        return this.request(url, { headers: { Authorization: `Bearer ${token}` } });
      });
      switch (outcome.kind) {
        case 'ok':
          return outcome.body;
        case 'fail':
          throw new SpotifyApiError(label, outcome.status, outcome.message);
        case 'unauthorized':
          // An access token can expire between our check and Spotify's: renew once, then believe the 401.
          if (refreshedAfter401) {
            throw new SpotifyFatalError(
              `${label}: HTTP 401 with a freshly issued access token (${outcome.message}). The credentials do not ` +
                'grant this call; re-run `pipeline authorize` with the scopes in docs/extraction.md.',
            );
          }
          refreshedAfter401 = true;
          this.invalidateToken(token);
          continue;
        case 'rate-limited':
          this.onRateLimited(outcome, label);
          continue;
        case 'retry':
          if (attempt >= this.options.maxRetries) {
            if (outcome.unreachable) {
              throw new SpotifyFatalError(
                `${label}: the Spotify API at ${this.options.apiBaseUrl} is unreachable (${outcome.cause}) after ` +
                  `${attempt + 1} attempts. Check spotify.apiBaseUrl and the network, then run again.`,
              );
            }
            throw new SpotifyApiError(label, outcome.status, `${outcome.cause} (gave up after ${attempt + 1} attempts)`);
          }
          attempt += 1;
          this.stats.retries += 1;
          await this.backoffWait(attempt, label, outcome.cause);
          continue;
      }
    }
  }

  private throwIfStopped(): void {
    if (this.stop.signal.aborted) throw this.stop.signal.reason;
  }

  private async waitForRateLimit(label: string): Promise<void> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      this.logger.debug('waiting for Spotify rate limit', { endpoint: label, waitMs: wait });
      await sleep(wait, this.stop.signal);
    }
  }

  private onRateLimited(outcome: Extract<Outcome, { kind: 'rate-limited' }>, label: string): void {
    this.stats.rate_limited += 1;
    const seconds = outcome.retryAfterSeconds;
    if (outcome.quota) {
      this.stopRun({
        reason: 'quota_exceeded',
        message:
          `Spotify answered ${label} with a quota 429 (QUOTA_EXCEEDED, Retry-After ${seconds}s): the app's quota is ` +
          'used up. The run kept what was complete; the next scheduled run catches up.',
        retry_after_seconds: seconds,
      });
    }
    const until = Date.now() + seconds * 1000;
    if (until > this.options.deadline) {
      this.stopRun({
        reason: 'retry_after_beyond_budget',
        message:
          `Spotify asked to wait ${seconds}s (Retry-After on ${label}), past the run's time budget ` +
          `(${Math.max(0, Math.round((this.options.deadline - Date.now()) / 1000))}s left). The run kept what was ` +
          'complete; the next run catches up.',
        retry_after_seconds: seconds,
      });
    }
    this.stats.retry_after_seconds_total += seconds;
    if (until > this.pausedUntil) this.pausedUntil = until;
    this.logger.warn('rate limited by Spotify; honouring Retry-After', { endpoint: label, retryAfterSeconds: seconds });
  }

  private stopRun(stopped: StoppedEarly): never {
    const error = new RunStoppedError(stopped);
    this.abort(error);
    throw this.stop.signal.reason;
  }

  private async backoffWait(attempt: number, label: string, cause: string): Promise<void> {
    const ceiling = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** (attempt - 1));
    // Full jitter: spreads retries of concurrent requests so they do not hit the API in step.
    const delay = Math.round(Math.random() * ceiling);
    if (Date.now() + delay > this.options.deadline) {
      this.stopRun({
        reason: 'time_budget_exhausted',
        message: `the run's time budget ran out while retrying ${label} (${cause}). The run kept what was complete.`,
        retry_after_seconds: null,
      });
    }
    this.logger.warn('retrying Spotify request', { endpoint: label, attempt, delayMs: delay, cause });
    await sleep(delay, this.stop.signal);
  }

  /** One HTTP exchange, body included, under the request timeout. Never throws for HTTP or network trouble. */
  private async request(url: URL, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Outcome> {
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    const signal = AbortSignal.any([timeout, this.stop.signal]);
    let status: number;
    let retryAfterHeader: string | null;
    let text: string;
    try {
      const response = await fetch(url, { ...init, signal });
      status = response.status;
      retryAfterHeader = response.headers.get('retry-after');
      text = await response.text();
    } catch (error) {
      if (this.stop.signal.aborted) throw this.stop.signal.reason;
      const cause = networkCause(error);
      return { kind: 'retry', status: null, cause: cause.text, unreachable: cause.unreachable };
    }
    let body: unknown;
    let parsed = true;
    try {
      body = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      parsed = false;
    }
    if (status >= 200 && status < 300) {
      if (!parsed || body === null || typeof body !== 'object') {
        return { kind: 'retry', status, cause: `HTTP ${status} with a malformed JSON body` };
      }
      return { kind: 'ok', body };
    }
    const details = parsed ? errorDetails(body) : { message: text.slice(0, 200) || 'empty body' };
    if (status === 429) {
      return {
        kind: 'rate-limited',
        retryAfterSeconds: parseRetryAfter(retryAfterHeader),
        quota: details.reason === 'QUOTA_EXCEEDED',
        message: details.message,
      };
    }
    if (status === 401) return { kind: 'unauthorized', message: details.message };
    if (status >= 500 || status === 408) return { kind: 'retry', status, cause: `HTTP ${status}: ${details.message}` };
    return { kind: 'fail', status, message: details.message };
  }

  private invalidateToken(used: string): void {
    if (this.token?.value === used) this.token = null;
  }

  private async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.renewAt) return this.token.value;
    // One token request at a time: concurrent callers share it.
    this.tokenInFlight ??= this.fetchToken().finally(() => {
      this.tokenInFlight = null;
    });
    return this.tokenInFlight;
  }

  private async fetchToken(): Promise<string> {
    const { clientId, clientSecret, refreshToken } = this.credentials;
    const form = new URLSearchParams();
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (this.options.authMode === 'client-credentials') {
      form.set('grant_type', 'client_credentials');
    } else {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', refreshToken as string);
    }
    if (clientSecret) {
      headers.Authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    } else {
      // A PKCE client has no secret: Spotify identifies it by client_id in the body.
      form.set('client_id', clientId);
    }
    const url = new URL(`${this.options.accountsBaseUrl.replace(/\/+$/, '')}/api/token`);
    let attempt = 0;
    for (;;) {
      this.throwIfStopped();
      this.stats.token_calls += 1;
      const outcome = await this.request(url, { method: 'POST', headers, body: form.toString() });
      if (outcome.kind === 'ok') return this.acceptToken(outcome.body as Record<string, unknown>);
      if (outcome.kind === 'rate-limited') {
        this.onRateLimited(outcome, 'POST /api/token');
        await this.waitForRateLimit('POST /api/token');
        continue;
      }
      if (outcome.kind === 'retry' && attempt < this.options.maxRetries) {
        attempt += 1;
        this.stats.retries += 1;
        await this.backoffWait(attempt, 'POST /api/token', outcome.cause);
        continue;
      }
      const what =
        outcome.kind === 'retry'
          ? `${outcome.cause} after ${attempt + 1} attempts`
          : outcome.kind === 'unauthorized' || outcome.kind === 'fail'
            ? `HTTP ${outcome.kind === 'fail' ? outcome.status : 401}: ${outcome.message}`
            : 'unexpected answer';
      const advice =
        this.options.authMode === 'user'
          ? 'If the refresh token was revoked or lost, run `pipeline authorize` again to store a new one.'
          : 'Check the client id and secret in the Spotify developer dashboard.';
      throw new SpotifyFatalError(
        `getting a Spotify access token from ${this.options.accountsBaseUrl} failed (${what}). ${advice}`,
      );
    }
  }

  private async acceptToken(body: Record<string, unknown>): Promise<string> {
    const accessToken = body.access_token;
    if (typeof accessToken !== 'string' || accessToken.length === 0) {
      throw new SpotifyFatalError('the Spotify token endpoint answered without an access_token');
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    const margin = Math.min(TOKEN_EXPIRY_MARGIN_MS, lifetimeMs / 10);
    this.token = { value: accessToken, renewAt: Date.now() + lifetimeMs - margin };
    const rotated = body.refresh_token;
    if (typeof rotated === 'string' && rotated.length > 0 && rotated !== this.credentials.refreshToken) {
      this.credentials.refreshToken = rotated;
      // A rotated refresh token that is not stored is a pipeline that dies a week later: persist it now.
      if (this.options.onRefreshTokenRotated) {
        try {
          await this.options.onRefreshTokenRotated(rotated);
        } catch (error) {
          throw new SpotifyFatalError(
            `Spotify issued a new refresh token but storing it failed: ${(error as Error).message}. ` +
              'Fix the secret store access, then run `pipeline authorize` if the next run cannot get a token.',
            { cause: error },
          );
        }
        this.logger.info('stored the rotated Spotify refresh token');
      } else {
        this.logger.warn('Spotify rotated the refresh token and no store was configured to keep it');
      }
    }
    return accessToken;
  }
}
