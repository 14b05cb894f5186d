/**
 * Access tokens of one Spotify authorisation (one listener, or the app in client-credentials mode).
 *
 * - A token is handed out right before a request is sent and renewed shortly before it expires, counted from
 *   when the token call was sent (the earliest Spotify can have issued it), so a request never leaves with a
 *   token past its life, however long it queued or paused.
 * - One token call at a time; concurrent callers share it.
 * - A 401 on a token that worked before is an expiry: renew and go on, as often as tokens expire. A token that
 *   is refused before it ever worked counts as a fresh refusal; two fresh tokens refused in a row are fatal
 *   (Spotify does not accept what its token endpoint issues), with a message that says so.
 * - A rotated refresh token is stored (SpotifyCredentialStore) before the new access token is handed out. The
 *   token call is never cut by the run's stop signal: once sent, Spotify may already have rotated the refresh
 *   token, and the answer is the only copy of the new one.
 */
import { createHash } from 'node:crypto';
import type { SpotifyCredentials, SpotifyCredentialStore } from '../shared/spotify-secret';
import { exchange, systemClock, type Clock, type Outcome } from './spotify-http';
import { invalidGrantAdvice } from '../shared/token-lifetime';

export interface IssuedToken {
  value: string;
  renewAt: number;
  /** Some request was answered (not 401) with it: a later 401 on it means it expired. */
  accepted: boolean;
  /** Already counted as a fresh refusal. */
  refused: boolean;
}

export interface AccessTokensOptions {
  accountsBaseUrl: string;
  authMode: 'user' | 'client-credentials';
  store: SpotifyCredentialStore;
  /** Timeout of one token call; generous, because a call cut after Spotify rotated the token loses it. */
  timeoutMs: number;
  maxRetries: number;
  /** Waits before a retry of the token call (5xx, reset); may throw to stop the run. */
  backoffWait(attempt: number, label: string, cause: string): Promise<void>;
  /** Handles a 429 of the accounts service (stats, quota, budget) and returns when to try again. */
  onRateLimited(outcome: Extract<Outcome, { kind: 'rate-limited' }>, label: string): number;
  onTokenCall(): void;
  onRotationStored(outcome: string): void;
  /** Errors that end the client (its SpotifyFatalError); `credentialsProblem`: this client's credentials cannot be used. */
  fatal(message: string, cause?: unknown, credentialsProblem?: boolean): Error;
  /**
   * The command that authorises these credentials again, named in the errors: `pipeline authorize --listener NAME`
   * for a configured listener (whose token lives apart from the app's). Default `pipeline authorize`.
   */
  authorizeCommand?: string;
  /** The client's clock: token lifetimes and Retry-After waits are counted on it. Default: the machine's. */
  clock?: Clock;
}

/** Tokens are renewed this long before Spotify's expiry (capped to a tenth of a short lifetime). */
const TOKEN_EXPIRY_MARGIN_MS = 60_000;
const LABEL = 'POST /api/token';
/** Matches the extract's passes over entities that failed transiently. */
const TRANSIENT_PASSES = 3;

export class AccessTokens {
  private token: IssuedToken | null = null;
  private inFlight: Promise<IssuedToken> | null = null;
  private freshRefusals = 0;
  private credentials: SpotifyCredentials | null = null;
  /** A token call that failed for good: every later caller gets the same error instead of another call. */
  private failure: Error | null = null;

  private readonly clock: Clock;

  constructor(private readonly options: AccessTokensOptions) {
    this.clock = options.clock ?? systemClock;
  }

  private get authorize(): string {
    return `\`${this.options.authorizeCommand ?? 'pipeline authorize'}\``;
  }

  /**
   * A token valid right now (renewed first when it is about to expire). `stop` ends the caller's wait, never
   * the token call itself.
   */
  async current(stop: AbortSignal): Promise<IssuedToken> {
    if (this.token && this.clock.now() < this.token.renewAt) return this.token;
    if (this.failure) throw this.failure;
    if (!this.inFlight) {
      const call = this.issue(stop);
      this.inFlight = call;
      call.then(
        (token) => {
          this.token = token;
        },
        (error: Error) => {
          if (!stop.aborted || error !== stop.reason) this.failure = error;
        },
      ).finally(() => {
        if (this.inFlight === call) this.inFlight = null;
      });
    }
    return abandonOnAbort(this.inFlight, stop);
  }

  /** The request with this token was answered: it is (still) good. */
  accepted(token: IssuedToken): void {
    token.accepted = true;
    this.freshRefusals = 0;
  }

  /** The request with this token got a 401. Throws when fresh tokens were refused twice in a row. */
  refused(token: IssuedToken, message: string, label: string): void {
    if (this.token === token) this.token = null;
    if (token.accepted || token.refused) return; // an expiry, or this refusal is already counted
    token.refused = true;
    this.freshRefusals += 1;
    if (this.freshRefusals >= 2) {
      throw this.options.fatal(
        `${label}: Spotify refused two freshly issued access tokens in a row (HTTP 401: ${message}). These are not ` +
          `expiries: the API does not accept what the token endpoint at ${this.options.accountsBaseUrl} issues. Check ` +
          'that spotify.apiBaseUrl and spotify.accountsBaseUrl belong to the same Spotify service and that the app ' +
          `is still authorised; if the message names missing permissions, run ${this.authorize} again with the ` +
          'scopes in docs/extraction.md.',
        undefined,
        true,
      );
    }
  }

  /**
   * The refresh token these access tokens come from, as a fingerprint (sha256, first 16 hex digits; null without
   * one): after a rotation, the new token's. It tells whether the credentials are still those a listener's identity
   * was verified with (listener-state.ts) without the token itself ever leaving this class.
   */
  async refreshTokenFingerprint(): Promise<string | null> {
    const { refreshToken } = await this.loadCredentials(false);
    return refreshToken ? createHash('sha256').update(refreshToken).digest('hex').slice(0, 16) : null;
  }

  /** Resolves once no token call is under way: a run waits for this, so a rotated token is stored before it ends. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight.catch(() => undefined);
  }

  private async loadCredentials(fresh: boolean): Promise<SpotifyCredentials> {
    if (!this.credentials || fresh) {
      try {
        this.credentials = await this.options.store.load({ fresh });
      } catch (error) {
        throw this.options.fatal(`reading the Spotify credentials from ${this.options.store.describe()} failed: ${(error as Error).message}`, error, true);
      }
    }
    return this.credentials;
  }

  private request(credentials: SpotifyCredentials): { headers: Record<string, string>; body: string } {
    const { clientId, clientSecret, refreshToken } = credentials;
    const form = new URLSearchParams();
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (this.options.authMode === 'client-credentials') {
      form.set('grant_type', 'client_credentials');
    } else {
      if (!refreshToken) {
        throw this.options.fatal(
          `authMode "user" needs a refresh token and ${this.options.store.describe()} has none. Run ${this.authorize} ` +
            'once to get one (or set spotify.authMode to "client-credentials" if your app still has that access).',
          undefined,
          true,
        );
      }
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', refreshToken);
    }
    if (clientSecret) {
      headers.Authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    } else {
      // A PKCE client has no secret: Spotify identifies it by client_id in the body.
      form.set('client_id', clientId);
    }
    return { headers, body: form.toString() };
  }

  private async issue(stop: AbortSignal): Promise<IssuedToken> {
    let credentials = await this.loadCredentials(false);
    const url = new URL(`${this.options.accountsBaseUrl.replace(/\/+$/, '')}/api/token`);
    let attempt = 0;
    let reloaded = false;
    for (;;) {
      // Before a call is sent, a stopped run need not send it; once sent, it runs to its end.
      if (stop.aborted) throw stop.reason;
      const { headers, body } = this.request(credentials);
      const sentAt = this.clock.now();
      this.options.onTokenCall();
      const outcome = await exchange(url, { method: 'POST', headers, body, timeoutMs: this.options.timeoutMs });
      if (outcome.kind === 'ok') return this.accept(outcome.body as Record<string, unknown>, credentials, sentAt);
      if (outcome.kind === 'rate-limited') {
        const until = this.options.onRateLimited(outcome, LABEL);
        await this.clock.sleep(Math.max(0, until - this.clock.now()), stop);
        continue;
      }
      // A dead accounts service fails fast; one that answers badly gets as many attempts as an entity gets over
      // the run's passes, since without a token nothing else can go on.
      const budget = outcome.kind === 'retry' && outcome.unreachable ? this.options.maxRetries : TRANSIENT_PASSES * (this.options.maxRetries + 1) - 1;
      if (outcome.kind === 'retry' && attempt < budget) {
        attempt += 1;
        await this.options.backoffWait(Math.min(attempt, this.options.maxRetries + 1), LABEL, outcome.cause);
        continue;
      }
      if (outcome.kind === 'fail' && outcome.code === 'invalid_grant' && !reloaded && this.options.authMode === 'user') {
        // Another process (a warm Lambda container, an earlier run) may have rotated the token and stored the
        // new one after this run read it: read the store afresh once.
        reloaded = true;
        const fresh = await this.loadCredentials(true);
        if (fresh.refreshToken !== credentials.refreshToken) {
          credentials = fresh;
          continue;
        }
      }
      // An answer about the credentials (invalid_grant, invalid_client) is theirs; a service that never answered is not.
      throw this.options.fatal(this.failureMessage(outcome, attempt, credentials), undefined, outcome.kind === 'fail' || outcome.kind === 'unauthorized');
    }
  }

  private failureMessage(outcome: Outcome, attempt: number, credentials: SpotifyCredentials): string {
    const what =
      outcome.kind === 'retry'
        ? `${outcome.cause} after ${attempt + 1} attempts`
        : outcome.kind === 'unauthorized' || outcome.kind === 'fail'
          ? `HTTP ${outcome.kind === 'fail' ? outcome.status : 401}: ${outcome.message}`
          : 'unexpected answer';
    const advice =
      outcome.kind === 'retry'
        ? outcome.unreachable
          ? 'Check spotify.accountsBaseUrl and the network, then run again.'
          : "Spotify's accounts service kept failing; run again later (the same run id resumes where this one stopped)."
        : outcome.kind === 'fail' && outcome.code === 'invalid_grant'
          ? invalidGrantAdvice(
              credentials.authorizedAt,
              new Date(this.clock.now()),
              this.options.store.describe(),
              (this.options.authorizeCommand ?? 'pipeline authorize').replace(/^pipeline /, 'npm run pipeline -- '),
            )
          : this.options.authMode === 'user'
            ? `Check the client id (and secret) in ${this.options.store.describe()} against the Spotify developer dashboard; if the authorisation was revoked, run ${this.authorize} again.`
            : 'Check the client id and secret in the Spotify developer dashboard.';
    return `getting a Spotify access token from ${this.options.accountsBaseUrl} failed (${what}). ${advice}`;
  }

  private async accept(body: Record<string, unknown>, credentials: SpotifyCredentials, sentAt: number): Promise<IssuedToken> {
    const accessToken = body.access_token;
    if (typeof accessToken !== 'string' || accessToken.length === 0) {
      throw this.options.fatal('the Spotify token endpoint answered without an access_token');
    }
    const rotated = body.refresh_token;
    if (typeof rotated === 'string' && rotated.length > 0 && rotated !== credentials.refreshToken) {
      const previous = credentials.refreshToken ?? '';
      // From now on the old token is dead: this run refreshes with the new one even if storing it fails below.
      credentials.refreshToken = rotated;
      try {
        this.options.onRotationStored(await this.options.store.saveRotatedRefreshToken(previous, rotated));
      } catch (error) {
        // These credentials cannot be used on: a run with several listeners goes on without this one.
        throw this.options.fatal(
          `Spotify rotated the refresh token and storing the new one in ${this.options.store.describe()} failed: ` +
            `${(error as Error).message}. These credentials are not used further in this run rather than go on with a ` +
            'token no later run will have (what was extracted with them is kept for a resume); fix the store\'s ' +
            `permissions, and if the next run cannot get a token, run ${this.authorize} again.`,
          error,
          true,
        );
      }
    }
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600) * 1000;
    const margin = Math.min(TOKEN_EXPIRY_MARGIN_MS, lifetimeMs / 10);
    return { value: accessToken, renewAt: sentAt + lifetimeMs - margin, accepted: false, refused: false };
  }
}

/** Waits for `promise`, or rejects with the signal's reason once it aborts (the promise itself goes on). */
function abandonOnAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
