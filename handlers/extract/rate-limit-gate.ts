/**
 * Spotify's rate limit is per app (a rolling 30 s window): a 429 with Retry-After pauses every request of the
 * app, not only the one that got it. The gate is that shared pause. Every request passes it right before it is
 * sent (after waiting for a connection slot and a token, so queued requests are held too), and a waiter looks at
 * the gate again after each sleep, so a later 429 that pushes the pause further out holds back requests already
 * sleeping on an earlier one. The latest end wins. One gate serves every client of the app (several listeners).
 */
import { systemClock, type Clock } from './spotify-http';

export class RateLimitGate {
  private until = 0;

  /** `clock` decides when a pause ends; the clients behind this gate read the time from it too. */
  constructor(readonly clock: Clock = systemClock) {}

  /** Epoch ms until which nothing may be sent (0 or past: open). */
  get pausedUntil(): number {
    return this.until;
  }

  isPaused(now = this.clock.now()): boolean {
    return now < this.until;
  }

  /** Pause every request until `untilMs` unless a pause already runs longer. */
  pauseUntil(untilMs: number): void {
    if (untilMs > this.until) this.until = untilMs;
  }

  /** Resolves once no pause is in force; rejects with the signal's reason when it aborts first. */
  async passage(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.until - this.clock.now();
      if (wait <= 0) return;
      await this.clock.sleep(wait, signal);
    }
  }
}
