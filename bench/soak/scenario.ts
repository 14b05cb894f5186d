/**
 * The simulated year's events, as instants on the fake Spotify's clock, and what they should cause: the alerts a
 * user must get (the expected count E is derived from these events alone, never from what the pipeline reports).
 *
 * - Two listeners, sam and mira, polled hourly and extracted weekly (Mondays 06:00 UTC) from a Monday start.
 * - Tokens live six months from authorising (the fake Spotify expires them by age on its clock). Both listeners
 *   authorised together, six months before the middle of the run. sam re-authorises promptly after each 14-day
 *   warning; mira lets her token expire and re-authorises only `miraLateHours` later (a dead token: plays fall off
 *   Spotify's 50-play horizon), then promptly after the next warning.
 * - Spotify is down for three days (every request 503), over a weekly run.
 * - Throughout, 10% of API requests fault (429, 5xx, resets, malformed JSON).
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;
/** Alarms' thresholds, as deployed (cli/health/health-report.ts DEFAULT_THRESHOLDS): the oracle uses the same numbers. */
export const WARNING_DAYS = 14;
export const PLAYS_MAX_AGE_HOURS = 24;
export const WEEKLY_MAX_AGE_HOURS = 8 * 24;

export type AlertKey = string;

export interface Scenario {
  start: number;
  end: number;
  weeks: number;
  listeners: readonly ['sam', 'mira'];
  /** Authorisations per listener (epoch ms), in order: the first is before the start. */
  authorisations: Record<'sam' | 'mira', number[]>;
  /** [from, to) while mira's token is dead (expired, not yet re-authorised). Both first authorisations are at the same instant. */
  miraDead: [number, number];
  outage: [number, number];
  faultFraction: number;
}

function addMonths(at: number, months: number): number {
  const d = new Date(at);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

export function expiryOf(authorisedAt: number): number {
  return addMonths(authorisedAt, 6);
}

/** The year (or `weeks`) of events; with fewer weeks everything is placed at the same fractions of the run. */
export function buildScenario(weeks = 52, miraLateHours = 36): Scenario {
  const start = Date.parse('2026-01-05T00:00:00Z'); // a Monday
  const end = start + weeks * WEEK_MS;
  const middle = start + Math.round(weeks / 2) * WEEK_MS - 3 * DAY_MS; // a Friday: no weekly run inside mira's dead hours
  const miraFirst = addMonths(middle, -6);
  const miraExpiry = expiryOf(miraFirst);
  const miraSecond = miraExpiry + miraLateHours * HOUR_MS;
  // Prompt re-authorisations: a day after the warning starts.
  const prompt = (authorisedAt: number) => expiryOf(authorisedAt) - (WARNING_DAYS - 1) * DAY_MS;
  const chain = (first: number): number[] => {
    const out = [first];
    while (expiryOf(out[out.length - 1]) - WARNING_DAYS * DAY_MS < end) out.push(prompt(out[out.length - 1]));
    return out;
  };
  const mira = [miraFirst, ...chain(miraSecond)];
  const outageStart = start + Math.round(weeks * 0.7) * WEEK_MS; // Monday 00:00: the 06:00 weekly run falls inside
  return {
    start,
    end,
    weeks,
    listeners: ['sam', 'mira'],
    authorisations: { sam: chain(miraFirst), mira },
    miraDead: [miraExpiry, miraSecond],
    outage: [outageStart, outageStart + 3 * DAY_MS],
    faultFraction: 0.1,
  };
}

/** The authorisation in force at `at` (the latest one not after it). */
export function authorisedAt(scenario: Scenario, listener: 'sam' | 'mira', at: number): number {
  const list = scenario.authorisations[listener].filter((t) => t <= at);
  return list[list.length - 1];
}

/**
 * The alerts the events must raise, each named by kind and listener (an alert is raised once per episode):
 * - a token warning per authorisation whose expiry's warning window starts inside the run;
 * - mira's expiry, and her plays missing for a day when she stayed dead longer than that;
 * - the outage: plays missing for a day for both, and the weekly extract missing (the outage's weekly run fails);
 * - a plays gap per listener and dead spell that lost plays beyond reach (`lostBeyondReach`).
 */
export function expectedAlerts(scenario: Scenario, lostBeyondReach: Record<'sam' | 'mira', { dead: number; outage: number }>): AlertKey[] {
  const alerts: AlertKey[] = [];
  for (const listener of scenario.listeners) {
    for (const at of scenario.authorisations[listener]) {
      // Warned while the run is judged: the warning window [expiry - 14 d, expiry) overlaps it.
      const warns = expiryOf(at) - WARNING_DAYS * DAY_MS;
      if (expiryOf(at) > scenario.start && warns < scenario.end) alerts.push(`token-expiring:${listener}`);
    }
  }
  const [deadFrom, deadTo] = scenario.miraDead;
  if (deadFrom < scenario.end) {
    alerts.push('token-expired:mira');
    if (deadTo - deadFrom > PLAYS_MAX_AGE_HOURS * HOUR_MS) alerts.push('plays-missing:mira');
  }
  for (const listener of scenario.listeners) {
    alerts.push(`plays-missing:${listener}`, `weekly-extract-missing:${listener}`);
  }
  for (const listener of scenario.listeners) {
    if (lostBeyondReach[listener].dead > 0) alerts.push(`plays-gap:${listener}`);
    if (lostBeyondReach[listener].outage > 0) alerts.push(`plays-gap:${listener}`);
  }
  return alerts.sort();
}
