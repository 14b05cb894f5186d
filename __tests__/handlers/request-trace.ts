/**
 * What the client sent, judged on the client's own clock and in the order things happened in this one process,
 * instead of by the fake server's clock racing the client's (which under CPU load makes a request that was on
 * its way when a 429 went out look like one sent inside the pause, or a token used in time look expired).
 *
 * The trace records every pause the client's rate-limit gate was given (until when, on the gate's clock), every
 * access token issued (its life counted from when the token call was sent: the earliest Spotify can have issued
 * it) and every Web API request as it left through fetch (when, with which token). A request that left after a
 * pause was set and before that pause's end was sent inside it; a request already on its way when the 429 came
 * back was sent before the pause was set, so the order tells them apart however slowly the machine runs.
 *
 * Requests are recorded at fetch, below the client, so a client that skips the gate is caught; 429 answers are
 * counted there too, so a client that never pauses the gate is caught as well (pauses != 429s).
 */
import { RateLimitGate } from '../../handlers/extract/rate-limit-gate';
import type { Clock } from '../../handlers/extract/spotify-http';

export type TraceEvent =
  | { kind: 'pause'; at: number; until: number }
  | { kind: 'token'; sentAt: number; token: string; expiresAt: number }
  | { kind: 'send'; at: number; url: string; token: string | null };

export interface RequestTrace {
  /** The gate to hand to the run (ExtractRunInput.rateLimitGate) or the client. */
  gate: RateLimitGate;
  events: TraceEvent[];
  /** 429 answers that reached the client through fetch (Web API and token endpoint). */
  rateLimitedAnswers(): number;
  /** Web API requests sent while a pause set before them was still running. */
  sentDuringPause(): Array<{ url: string; at: number; pausedUntil: number }>;
  /** Web API requests sent with a token at or past the end of its life, or with one no token call issued. */
  sentWithExpiredToken(): Array<{ url: string; at: number; expiresAt: number | null }>;
  /** Puts the real fetch back. */
  stop(): void;
}

class TracingGate extends RateLimitGate {
  constructor(
    clock: Clock | undefined,
    private readonly events: TraceEvent[],
  ) {
    super(clock);
  }

  override pauseUntil(untilMs: number): void {
    this.events.push({ kind: 'pause', at: this.clock.now(), until: untilMs });
    super.pauseUntil(untilMs);
  }
}

function bearer(init: RequestInit | undefined): string | null {
  const headers = new Headers(init?.headers);
  return headers.get('authorization')?.replace(/^Bearer /, '') ?? null;
}

export interface TraceOptions {
  clock?: Clock;
  /** Tells Web API requests (default `/v1/`) from token calls (default `/api/token`). */
  apiPath?: string;
  tokenPath?: string;
  /** Called as each request leaves (any path), before it is sent. */
  onRequest?(url: URL, init: RequestInit | undefined): void;
  /** A promise to hand this request's answer to the client only once something else has happened (event order). */
  holdAnswer?(url: URL, response: Response): Promise<void> | null;
}

/** Starts tracing: wraps the global fetch until stop(). */
export function traceRequests(options: TraceOptions = {}): RequestTrace {
  const events: TraceEvent[] = [];
  const gate = new TracingGate(options.clock, events);
  const apiPath = options.apiPath ?? '/v1/';
  const tokenPath = options.tokenPath ?? '/api/token';
  const realFetch = globalThis.fetch;
  let rateLimited = 0;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const parsed = new URL(url);
    const path = parsed.pathname;
    // Recorded synchronously at the call: the instant the request leaves, on the gate's clock.
    const at = gate.clock.now();
    if (path.includes(apiPath)) events.push({ kind: 'send', at, url, token: bearer(init) });
    options.onRequest?.(parsed, init);
    const response = await realFetch(input, init);
    await options.holdAnswer?.(parsed, response);
    if (response.status === 429) rateLimited += 1;
    if (path.endsWith(tokenPath) && response.ok) {
      const body = (await response.clone().json().catch(() => null)) as { access_token?: string; expires_in?: number } | null;
      if (body?.access_token) {
        events.push({ kind: 'token', sentAt: at, token: body.access_token, expiresAt: at + (body.expires_in ?? 3600) * 1000 });
      }
    }
    return response;
  };
  return {
    gate,
    events,
    rateLimitedAnswers: () => rateLimited,
    sentDuringPause() {
      const inside: Array<{ url: string; at: number; pausedUntil: number }> = [];
      let pausedUntil = 0;
      for (const event of events) {
        if (event.kind === 'pause') pausedUntil = Math.max(pausedUntil, event.until);
        else if (event.kind === 'send' && event.at < pausedUntil) inside.push({ url: event.url, at: event.at, pausedUntil });
      }
      return inside;
    },
    sentWithExpiredToken() {
      const issued = new Map<string, number>();
      const expired: Array<{ url: string; at: number; expiresAt: number | null }> = [];
      for (const event of events) {
        if (event.kind === 'token') issued.set(event.token, event.expiresAt);
        else if (event.kind === 'send') {
          const expiresAt = event.token === null ? undefined : issued.get(event.token);
          if (expiresAt === undefined || event.at >= expiresAt) expired.push({ url: event.url, at: event.at, expiresAt: expiresAt ?? null });
        }
      }
      return expired;
    },
    stop() {
      globalThis.fetch = realFetch;
    },
  };
}
