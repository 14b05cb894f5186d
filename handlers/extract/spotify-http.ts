/**
 * One HTTP exchange with Spotify, sorted into what the caller should do next (done, retry, refresh the token,
 * wait for the rate limit, or give up on this entity). Uses Node's fetch and nothing else, so it behaves the same
 * in Lambda, the local run and the tests.
 */

export type Outcome =
  | { kind: 'ok'; body: unknown }
  | { kind: 'retry'; status: number | null; cause: string; unreachable?: boolean }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'rate-limited'; retryAfterSeconds: number; quota: boolean; message: string }
  /** `code`: the accounts service's error code (`invalid_grant`, `invalid_client`, ...), when it sent one. */
  | { kind: 'fail'; status: number; message: string; code?: string };

/** A 401 that says the token lacks a scope ("Permissions missing", "Insufficient client scope"). */
const MISSING_PERMISSION = /permissions? missing|insufficient (client )?scope/i;

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Where the client reads the time and waits: every pause, backoff and deadline is decided on one clock. The real
 * one is the default; tests pass a fake one and drive time by event order instead of racing the wall clock.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` on this clock, or rejects with the signal's reason once it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The machine's clock: Date.now and timers. */
export const systemClock: Clock = { now: () => Date.now(), sleep };

/**
 * Retry-After is whole seconds on Spotify (fractions are accepted, for test servers), or rarely an HTTP date.
 * Missing or unreadable: 1 s.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number {
  if (!value) return 1;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 1 : Math.max(0, (date - now) / 1000);
}

/** Spotify's error bodies: `{"error":{"status":404,"message":"..."}}` (API) or `{"error":"invalid_grant",...}` (accounts). */
/**
 * Spotify's 403 to a Development Mode app whose owner has no active Premium subscription (required since February
 * 2026): "Active premium subscription required for the owner of the app. When the subscription status changes, it
 * can take a few hours before requests are allowed again." Every call of every listener gets it.
 */
export const APP_OWNER_PREMIUM = /premium subscription required for the owner of the app/i;

/** What to do about APP_OWNER_PREMIUM, for the error and the run summary. */
export const APP_OWNER_PREMIUM_ADVICE =
  'the Spotify account that owns the app (the developer dashboard account of the client id) has no active Premium ' +
  'subscription, which a Development Mode app needs since February 2026, so Spotify refuses every call of every ' +
  'listener. Renew Premium on that account; it can take a few hours before Spotify allows requests again. The ' +
  "listeners' authorisations are fine: do not authorise them again";

export function errorDetails(body: unknown): { message: string; reason?: string; code?: string } {
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
      return { message: `${error}${description}`, reason: typeof b.reason === 'string' ? b.reason : undefined, code: error };
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

export interface ExchangeOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Aborting it abandons the exchange and rethrows the signal's reason. Token calls pass none: never cut. */
  stop?: AbortSignal;
}

/** One HTTP exchange, body included, under the timeout. Never throws for HTTP or network trouble. */
export async function exchange(url: URL, options: ExchangeOptions): Promise<Outcome> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.stop ? AbortSignal.any([timeout, options.stop]) : timeout;
  let status: number;
  let retryAfterHeader: string | null;
  let text: string;
  try {
    const response = await fetch(url, { method: options.method, headers: options.headers, body: options.body, signal });
    status = response.status;
    retryAfterHeader = response.headers.get('retry-after');
    text = await response.text();
  } catch (error) {
    if (options.stop?.aborted) throw options.stop.reason;
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
  // Spotify's /me/player endpoints refuse a token without their scope with 401 "Permissions missing": an answer about
  // what the token may do, not an expired token; renewing it would only be refused again.
  if (status === 401 && MISSING_PERMISSION.test(details.message)) return { kind: 'fail', status, message: details.message };
  if (status === 401) return { kind: 'unauthorized', message: details.message };
  if (status >= 500 || status === 408) return { kind: 'retry', status, cause: `HTTP ${status}: ${details.message}` };
  return { kind: 'fail', status, message: details.message, code: details.code };
}
