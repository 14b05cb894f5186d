/**
 * A clock that moves only when the test says so: sleeps resolve in order of their end when advance() passes it.
 * The test waits for "someone is asleep" (an event) instead of for some milliseconds to pass, so what it proves
 * does not depend on how fast the machine runs.
 */
import type { Clock } from '../../handlers/extract/spotify-http';

interface Timer {
  at: number;
  resolve(): void;
}

export class FakeClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private sleeperWaits: Array<{ count: number; resolve(): void }> = [];

  constructor(start = Date.parse('2026-11-25T06:00:00Z')) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer: Timer = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.notifySleepers();
    });
  }

  /** How many sleeps are waiting. */
  get sleeping(): number {
    return this.timers.length;
  }

  /** Resolves once at least `count` sleeps are waiting. */
  sleepers(count = 1): Promise<void> {
    return new Promise((resolve) => {
      this.sleeperWaits.push({ count, resolve });
      this.notifySleepers();
    });
  }

  /** Moves the clock on by `ms` and wakes, in order, every sleep that ends by then. */
  advance(ms: number): void {
    this.current += ms;
    const due = this.timers.filter((t) => t.at <= this.current).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.current);
    for (const timer of due) timer.resolve();
  }

  private notifySleepers(): void {
    const ready = this.sleeperWaits.filter((w) => this.timers.length >= w.count);
    this.sleeperWaits = this.sleeperWaits.filter((w) => !ready.includes(w));
    for (const wait of ready) wait.resolve();
  }
}
