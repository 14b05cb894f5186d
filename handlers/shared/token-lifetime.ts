/**
 * The one rule of a Spotify refresh token's life (Spotify developer blog, 2026-06-18): it expires six calendar
 * months after the user's ORIGINAL authorisation; refreshing (even with rotation) does not extend it, and an expired
 * token answers `invalid_grant`. `pipeline authorize` records the instant (`authorizedAt`, ISO-8601 UTC) beside
 * the token; every run reports each listener's days left (a log line, the run summary and the RefreshTokenDaysLeft
 * metric, whose alarm fires EXPIRY_WARNING_DAYS before). A token stored before the instant was recorded has an
 * unknown lifetime: it keeps working, and is reported as unknown with the advice to authorise again.
 */

export const REFRESH_TOKEN_LIFETIME_MONTHS = 6;
/** The alarm (and the run's warning) goes off when this many days or fewer are left. */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

/** The exact command that authorises a listener again (package.json: `npm run pipeline -- <command>`). */
export function reauthorizeCommand(listener: string | null): string {
  return `npm run pipeline -- authorize${listener ? ` --listener ${listener}` : ''}`;
}

/** Six calendar months after `authorizedAt`, in UTC; a day the month lacks (31 August) is its last day. */
export function refreshTokenExpiresAt(authorizedAt: Date): Date {
  const end = new Date(authorizedAt.getTime());
  const day = end.getUTCDate();
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + REFRESH_TOKEN_LIFETIME_MONTHS);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(day, lastDay));
  return end;
}

export type TokenLifetime =
  | { listener: string; known: true; authorizedAt: string; expiresAt: string; daysLeft: number; expired: boolean; warn: boolean }
  | { listener: string; known: false; advice: string };

/** Parses a recorded instant; undefined when absent, an error naming the fix when it is not an ISO-8601 UTC instant. */
export function parseAuthorizedAt(value: unknown, source: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new Error(
      `${source}: "authorizedAt" must be an ISO-8601 UTC instant such as 2026-06-01T12:00:00Z (got ${JSON.stringify(value)}); ` +
        'fix it, or remove it and authorise again to record it',
    );
  }
  return value;
}

/** Days left are whole days, rounded down: 0.9 days left is 0, and anything past expiry is negative. */
export function tokenLifetime(listener: string, authorizedAt: string | undefined, now: Date, command = reauthorizeCommand(listener)): TokenLifetime {
  if (!authorizedAt) {
    return {
      listener,
      known: false,
      advice:
        `when listener ${listener} authorised is not recorded, so when their refresh token expires (six months after) is unknown: ` +
        `run \`${command}\` to record it (and start a new six months)`,
    };
  }
  const expiresAt = refreshTokenExpiresAt(new Date(authorizedAt));
  const daysLeft = Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS);
  return {
    listener,
    known: true,
    authorizedAt,
    expiresAt: expiresAt.toISOString(),
    daysLeft,
    expired: now.getTime() >= expiresAt.getTime(),
    warn: daysLeft <= EXPIRY_WARNING_DAYS,
  };
}

/** One line per listener for the run's log and summary: `sam: 41 days of token left (expires 2027-01-15)`. */
export function describeLifetime(lifetime: TokenLifetime, command = reauthorizeCommand(lifetime.listener)): string {
  if (!lifetime.known) return `${lifetime.listener}: token lifetime unknown (${lifetime.advice})`;
  const day = lifetime.expiresAt.slice(0, 10);
  if (lifetime.expired) {
    return `${lifetime.listener}: refresh token EXPIRED on ${day} (six months after authorising on ${lifetime.authorizedAt.slice(0, 10)}): run \`${command}\``;
  }
  const left = `${lifetime.daysLeft} day${lifetime.daysLeft === 1 ? '' : 's'} of token left (expires ${day})`;
  return lifetime.warn ? `${lifetime.listener}: ${left}: run \`${command}\` before then` : `${lifetime.listener}: ${left}`;
}

/**
 * What an `invalid_grant` means, given what was recorded: past the six months it is the expiry (say so and when);
 * otherwise a revocation or a lost rotation, or, unrecorded, possibly the expiry.
 */
export function invalidGrantAdvice(authorizedAt: string | undefined, now: Date, where: string, command: string): string {
  if (authorizedAt) {
    const expiresAt = refreshTokenExpiresAt(new Date(authorizedAt));
    if (now.getTime() >= expiresAt.getTime()) {
      return (
        `The refresh token in ${where} expired: Spotify refresh tokens live six months from the original authorisation ` +
        `(${authorizedAt.slice(0, 10)}), so it ended on ${expiresAt.toISOString().slice(0, 10)}. Run \`${command}\` to authorise again.`
      );
    }
    return (
      `The refresh token in ${where} was refused within its six months (authorised ${authorizedAt.slice(0, 10)}, expires ` +
      `${expiresAt.toISOString().slice(0, 10)}): it was revoked (the user removed the app) or a rotated token was lost. Run \`${command}\` to store a new one.`
    );
  }
  return (
    `The refresh token in ${where} was refused: it expired (Spotify refresh tokens live six months from the original ` +
    `authorisation, which was not recorded), was revoked, or a rotated token was lost. Run \`${command}\` to store a new one.`
  );
}
