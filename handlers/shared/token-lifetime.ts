/**
 * Spotify's refresh-token lifetime (since mid-2026): six months from the user's ORIGINAL authorisation; refreshing
 * does not extend it, and an expired token answers `invalid_grant`. The one place that rule lives.
 */
export const REFRESH_TOKEN_LIFETIME_MONTHS = 6;
const DAY_MS = 86_400_000;

/** When a token authorised at `authorizedAt` expires (six calendar months later, UTC), and whole days left at `now`. */
export function refreshTokenLifetime(authorizedAt: Date, now: Date): { expiresAt: Date; daysLeft: number } {
  const expiresAt = new Date(authorizedAt.getTime());
  expiresAt.setUTCMonth(expiresAt.getUTCMonth() + REFRESH_TOKEN_LIFETIME_MONTHS);
  return { expiresAt, daysLeft: Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS) };
}
