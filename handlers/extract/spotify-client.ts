/**
 * A small Spotify Web API client built for unattended runs. Every request, right before it is sent:
 * waits for a connection slot (a bound on concurrent requests), passes the app's rate-limit gate (Retry-After
 * honoured by every request, queued ones included, the latest pause winning), and takes an access token valid
 * at that moment. Answers are sorted: expired tokens are renewed and the request repeated as often as tokens
 * expire; 5xx, timeouts, resets and malformed bodies are retried with capped exponential backoff and full jitter;
 * a quota 429 or a Retry-After past the run's budget stops the run cleanly.
 */
import { setMaxListeners } from 'node:events';
import type { StoppedEarly } from '../shared/manifest';
import { asCredentialStore, type SpotifyCredentials, type SpotifyCredentialStore } from '../shared/spotify-secret';
import { AccessTokens, type IssuedToken } from './access-tokens';
import { RateLimitGate } from './rate-limit-gate';
import { APP_OWNER_PREMIUM, APP_OWNER_PREMIUM_ADVICE, exchange, systemClock, type Clock, type Outcome } from './spotify-http';

export type { SpotifyCredentials, SpotifyCredentialStore } from '../shared/spotify-secret';
export { parseRetryAfter, systemClock, type Clock } from './spotify-http';
export { RateLimitGate } from './rate-limit-gate';

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
  /** Of api_calls: playlist item pages (GET /playlists/{id}/items), what an unchanged library should not cost. */
  item_page_calls: number;
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
  /** Plain credentials (a rotated token then goes to onRefreshTokenRotated), or a store that keeps them. */
  credentials: SpotifyCredentials | SpotifyCredentialStore;
  onRefreshTokenRotated?: (newToken: string) => Promise<void>;
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
  maxRetries: number;
  /** Epoch ms after which no wait may end: a Retry-After past it stops the run instead. */
  deadline: number;
  backoff?: BackoffOptions;
  logger?: MinimalLogger;
  /** The app's rate-limit gate; share one between the clients of several listeners of the same app. */
  gate?: RateLimitGate;
  /**
   * Where pauses, backoffs, token lifetimes and the deadline are counted. Default: the gate's clock, else the
   * machine's. A given gate must run on the same clock.
   */
  clock?: Clock;
  /** What authorises these credentials again, named in errors (`pipeline authorize --listener NAME`). */
  authorizeCommand?: string;
}

/** The API answered with an error for one entity (404, 403, exhausted 5xx, ...). The run records it and goes on. */
export class SpotifyApiError extends Error {
  constructor(
    readonly endpoint: string,
    readonly status: number | null,
    readonly spotifyMessage: string,
    /** A retry later may succeed (5xx, timeouts, resets), unlike a 4xx answer about the entity itself. */
    readonly transient = false,
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

/** Nothing more can work with this client: the API is unreachable, or the credentials are refused. */
export class SpotifyFatalError extends Error {
  /**
   * The client's credentials (one listener's) cannot be used: refused, missing, unreadable, or a rotated refresh
   * token could not be stored. Another listener's client is unaffected, so a run with several listeners goes on.
   */
  readonly credentialsProblem: boolean;

  constructor(message: string, options?: { cause?: unknown; credentialsProblem?: boolean }) {
    super(message, options);
    this.name = 'SpotifyFatalError';
    this.credentialsProblem = options?.credentialsProblem ?? false;
  }
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 8_000 };
/** A token call gets at least this long: cut after Spotify rotated the refresh token, it would lose the new one. */
const TOKEN_TIMEOUT_MS = 30_000;
/** Expiry refreshes of one request before it gives up (tokens that die faster than a request can be sent). */
const MAX_EXPIRIES_PER_REQUEST = 10;

const ITEM_PAGE_PATH = /\/playlists\/[^/]+\/items$/;

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

export class SpotifyClient {
  readonly stats: ClientStats = { api_calls: 0, item_page_calls: 0, token_calls: 0, retries: 0, rate_limited: 0, retry_after_seconds_total: 0 };
  readonly gate: RateLimitGate;
  private readonly clock: Clock;
  private readonly slots: Semaphore;
  private readonly backoff: BackoffOptions;
  private readonly logger: MinimalLogger;
  private readonly stop = new AbortController();
  private readonly tokens: AccessTokens;

  constructor(private readonly options: SpotifyClientOptions) {
    this.slots = new Semaphore(options.maxConcurrentRequests);
    this.clock = options.clock ?? options.gate?.clock ?? systemClock;
    this.gate = options.gate ?? new RateLimitGate(this.clock);
    if (this.gate.clock !== this.clock) throw new Error('a SpotifyClient and its rate-limit gate must run on one clock');
    // Every in-flight request and every wait listens on the run's stop signal; hundreds are normal here.
    setMaxListeners(0, this.stop.signal);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.logger = options.logger ?? silentLogger;
    const plain = options.credentials as SpotifyCredentials;
    if (typeof plain.clientId === 'string') {
      if (options.authMode === 'user' && !plain.refreshToken) {
        throw new SpotifyFatalError(
          'authMode "user" needs a refresh token and none was given. Run `pipeline authorize` once to get one ' +
            '(or set spotify.authMode to "client-credentials" if your app still has that access).',
        );
      }
      if (options.authMode === 'client-credentials' && !plain.clientSecret) {
        throw new SpotifyFatalError('authMode "client-credentials" needs the app\'s client secret and none was given.');
      }
    }
    this.tokens = new AccessTokens({
      accountsBaseUrl: options.accountsBaseUrl,
      authMode: options.authMode,
      store: asCredentialStore(options.credentials, options.onRefreshTokenRotated),
      timeoutMs: Math.max(TOKEN_TIMEOUT_MS, options.requestTimeoutMs),
      maxRetries: options.maxRetries,
      backoffWait: (attempt, label, cause) => this.backoffWait(attempt, label, cause),
      onRateLimited: (outcome, label) => this.onRateLimited(outcome, label),
      onTokenCall: () => {
        this.stats.token_calls += 1;
      },
      onRotationStored: (outcome) => {
        if (outcome === 'kept-newer') {
          this.logger.warn('Spotify rotated the refresh token, but the store already holds a newer authorisation; kept that one');
        } else {
          this.logger.info('stored the rotated Spotify refresh token', { outcome });
        }
      },
      fatal: (message, cause, credentialsProblem) => new SpotifyFatalError(message, { cause, credentialsProblem }),
      authorizeCommand: options.authorizeCommand,
      clock: this.clock,
    });
  }

  /** Stops every waiting and future request with this reason (quota, fatal error elsewhere in the run). */
  abort(reason: Error): void {
    if (!this.stop.signal.aborted) this.stop.abort(reason);
  }

  get stopReason(): Error | null {
    return this.stop.signal.aborted ? (this.stop.signal.reason as Error) : null;
  }

  /** A fingerprint of the refresh token in use (AccessTokens.refreshTokenFingerprint); null without one. */
  refreshTokenFingerprint(): Promise<string | null> {
    return this.tokens.refreshTokenFingerprint();
  }

  /** Resolves once no token call is under way, so a rotated refresh token is stored before the run returns. */
  settled(): Promise<void> {
    return this.tokens.settled();
  }

  /** GET an API path (relative to apiBaseUrl) and return the parsed JSON body. `label` names it in errors. */
  async getJson(path: string, query: Record<string, string | number | undefined>, label: string): Promise<unknown> {
    const url = new URL(this.options.apiBaseUrl.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    let attempt = 0;
    let expiries = 0;
    for (;;) {
      this.throwIfStopped();
      const { outcome, token } = await this.slots.run(() => this.send(url));
      switch (outcome.kind) {
        case 'ok':
          this.tokens.accepted(token);
          return outcome.body;
        case 'fail':
          this.tokens.accepted(token); // Spotify authenticated the call and answered about the entity
          // ... unless the answer is about the app: then every call of every listener gets it, so the run stops.
          if (outcome.status === 403 && APP_OWNER_PREMIUM.test(outcome.message)) {
            this.stopRun({
              reason: 'app_owner_premium_required',
              message: `Spotify answered ${label} with 403 "${outcome.message}": ${APP_OWNER_PREMIUM_ADVICE}. The run kept what was complete; the next run catches up.`,
              retry_after_seconds: null,
            });
          }
          throw new SpotifyApiError(label, outcome.status, outcome.message);
        case 'unauthorized':
          try {
            this.tokens.refused(token, outcome.message, label);
          } catch (fatal) {
            this.abort(fatal as Error);
            throw fatal;
          }
          expiries += 1;
          if (expiries > MAX_EXPIRIES_PER_REQUEST) {
            throw new SpotifyApiError(label, 401, `access tokens expired ${expiries} times before this request got through: ${outcome.message}`, true);
          }
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
            throw new SpotifyApiError(label, outcome.status, `${outcome.cause} (gave up after ${attempt + 1} attempts)`, true);
          }
          attempt += 1;
          this.stats.retries += 1;
          await this.backoffWait(attempt, label, outcome.cause);
          continue;
      }
    }
  }

  /**
   * Inside a connection slot: wait out any rate-limit pause, take a token valid now, and send, all right before
   * the send. The gate is checked again after the token: a 429 may have come in while the token was fetched.
   */
  private async send(url: URL): Promise<{ outcome: Outcome; token: IssuedToken }> {
    let token: IssuedToken;
    do {
      await this.gate.passage(this.stop.signal);
      token = await this.tokens.current(this.stop.signal);
      this.throwIfStopped();
    } while (this.gate.isPaused());
    this.stats.api_calls += 1;
    if (ITEM_PAGE_PATH.test(url.pathname)) this.stats.item_page_calls += 1;
    const outcome = await exchange(url, {
      headers: { Authorization: `Bearer ${token.value}` },
      timeoutMs: this.options.requestTimeoutMs,
      stop: this.stop.signal,
    });
    return { outcome, token };
  }

  private throwIfStopped(): void {
    if (this.stop.signal.aborted) throw this.stop.signal.reason;
  }

  /** Records a 429, stops the run when Spotify asks for more than it has, and pauses the gate; returns the end. */
  private onRateLimited(outcome: Extract<Outcome, { kind: 'rate-limited' }>, label: string): number {
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
    const until = this.clock.now() + seconds * 1000;
    if (until > this.options.deadline) {
      this.stopRun({
        reason: 'retry_after_beyond_budget',
        message:
          `Spotify asked to wait ${seconds}s (Retry-After on ${label}), past the run's time budget ` +
          `(${Math.max(0, Math.round((this.options.deadline - this.clock.now()) / 1000))}s left). The run kept what was ` +
          'complete; the next run catches up.',
        retry_after_seconds: seconds,
      });
    }
    this.stats.retry_after_seconds_total += seconds;
    this.gate.pauseUntil(until);
    this.logger.warn('rate limited by Spotify; honouring Retry-After', { endpoint: label, retryAfterSeconds: seconds });
    return until;
  }

  private stopRun(stopped: StoppedEarly): never {
    this.abort(new RunStoppedError(stopped));
    throw this.stop.signal.reason;
  }

  private async backoffWait(attempt: number, label: string, cause: string): Promise<void> {
    const ceiling = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** (attempt - 1));
    // Full jitter: spreads retries of concurrent requests so they do not hit the API in step.
    const delay = Math.round(Math.random() * ceiling);
    if (this.clock.now() + delay > this.options.deadline) {
      this.stopRun({
        reason: 'time_budget_exhausted',
        message: `the run's time budget ran out while retrying ${label} (${cause}). The run kept what was complete.`,
        retry_after_seconds: null,
      });
    }
    this.logger.warn('retrying Spotify request', { endpoint: label, attempt, delayMs: delay, cause });
    await this.clock.sleep(delay, this.stop.signal);
  }
}
