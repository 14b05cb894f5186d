/**
 * Listeners: the Spotify users the pipeline reads, each authorised once with their own refresh token. A
 * development-mode Spotify app serves at most 5 authorised users (and its owner needs Premium), so at most 5.
 *
 * Where each listener's refresh token lives:
 * - in AWS: the app secret `<project>-<env>/spotify`, under `listeners.<name>` beside the app's client id (one secret
 *   for every listener, written by compare-and-set), unless `refreshToken.awsSecretId` names a secret of their own;
 * - locally: the environment variable `SPOTIFY_REFRESH_TOKEN_<NAME>` (name upper-cased, dashes as underscores, or
 *   `refreshToken.env`), else the local secrets file's `listeners.<name>.refreshToken` (`pipeline authorize --listener`).
 *
 * Without any listener configured the pipeline reads one implicit listener, `me`, whose refresh token is the app
 * secret's own `refreshToken`: the single-user setup keeps working unchanged.
 */
import { z } from 'zod';

export const MAX_LISTENERS = 5;
export const DEFAULT_LISTENER_NAME = 'me';
const LISTENER_NAME = /^[a-z][a-z0-9-]{0,29}$/;

/** Lower-case letters, digits and dashes; names the listener in reports, the warehouse and its secret. */
export const ListenerNameSchema = z.string().regex(LISTENER_NAME, 'a listener name is 1-30 lower-case letters, digits and dashes, starting with a letter');

/** True for a time zone name the runtime's IANA database knows ("Europe/Berlin", "UTC"). */
export function isIanaTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const ListenerConfigSchema = z.object({
  name: ListenerNameSchema,
  refreshToken: z
    .object({
      /** AWS secret (name or ARN) holding `{"refreshToken": "..."}` for this listener. */
      awsSecretId: z.string().min(1).optional(),
      /** Environment variable holding the refresh token in local runs. */
      env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'env must be an environment variable name (A-Z, 0-9, _)').optional(),
    })
    .prefault({}),
  /**
   * The listener's own IANA time zone: the dashboard's clock, days, weeks and years for them (UTC when absent).
   * Storage stays UTC.
   */
  timeZone: z
    .string()
    .refine(isIanaTimeZone, {
      error: (issue) => `timeZone "${String(issue.input)}" is not an IANA time zone name: use one like "Europe/Berlin", "America/New_York" or "UTC"`,
    })
    .optional(),
});
export type ListenerConfig = z.output<typeof ListenerConfigSchema>;

export const ListenersSchema = z
  .array(ListenerConfigSchema)
  .max(MAX_LISTENERS, `at most ${MAX_LISTENERS} listeners: a development-mode Spotify app serves at most ${MAX_LISTENERS} authorised users`)
  .default([])
  .superRefine((listeners, ctx) => {
    const seen = new Set<string>();
    listeners.forEach((listener, index) => {
      if (seen.has(listener.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `listener "${listener.name}" is listed twice` });
      seen.add(listener.name);
    });
  });

/** What the listening part of a run reads, per listener. */
export const ListeningConfigSchema = z
  .object({
    /** Recently played, polled from each listener's cursor (the frequent schedule, and every full run). */
    plays: z.boolean().default(true),
    /** Saved tracks and followed artists, with the weekly run. */
    savedTracks: z.boolean().default(true),
    followedArtists: z.boolean().default(true),
  })
  .prefault({});

/** The configured listeners, or the implicit `me` when none is configured. */
export function effectiveListeners(listeners: ListenerConfig[]): ListenerConfig[] {
  return listeners.length > 0 ? listeners : [{ name: DEFAULT_LISTENER_NAME, refreshToken: {} }];
}

/** True for the implicit listener whose token is the app secret's own `refreshToken`. */
export function isImplicitListener(listeners: ListenerConfig[]): boolean {
  return listeners.length === 0;
}

/** `SPOTIFY_REFRESH_TOKEN_<NAME>` unless the listener names another variable. */
export function listenerEnvVar(listener: ListenerConfig): string {
  return listener.refreshToken.env ?? `SPOTIFY_REFRESH_TOKEN_${listener.name.toUpperCase().replace(/-/g, '_')}`;
}

/** Listener name -> time zone, as the dashboard reads it ($DASHBOARD_TIME_ZONES). */
export function dashboardTimeZones(listeners: ListenerConfig[]): string {
  return JSON.stringify(Object.fromEntries(effectiveListeners(listeners).map((l) => [l.name, l.timeZone ?? 'UTC'])));
}
