/**
 * A listener's documents: their plays since the stored cursor, saved tracks and followed artists, each written as
 * one raw object under the run's prefix (`<kind>/<spotify_user_id>.json`, docs/data-contracts.md) and described by
 * the manifest entry returned. Every listener is read with their own client (their own refresh token); who they
 * are (/v1/me) is read once per run and names their documents.
 *
 * extractRun (extract-run.ts) runs these as entities of the run (run-attempt.ts), with its checkpoint and passes.
 */
import { LISTENING_DOCUMENTS } from '../../schemas/raw-documents';
import { listeningKey, type ListeningKind, type ManifestError, type ManifestObject, type PlaysGap } from '../shared/manifest';
import type { RawObjectWriter } from '../shared/raw-writer';
import { listenerKeyOf, pollPlays, readFollowedArtists, readSavedTracks, type ListenerProfile } from './listening';
import { readPlaysCursor } from './plays-cursor';
import { SpotifyApiError, SpotifyFatalError, type SpotifyClient } from './spotify-client';

export interface ListenerContext {
  /** The listener's configured name. */
  name: string;
  client: SpotifyClient;
  runId: string;
  extractDate: string;
  /** Writes the documents; reads the plays cursor (raw/_state/plays/). */
  writer: RawObjectWriter;
  /** Who the listener is: `/v1/me` at most once per run, none in a plays run whose stored identity holds (ListenerIdentity). */
  profile: () => Promise<ListenerProfile>;
  /** What authorises this listener again: `pipeline authorize --listener NAME` (`pipeline authorize` for the implicit one). */
  authorizeCommand: string;
  /** The listeners configured before this one: a Spotify account two of them authorised as is read as the first. */
  earlier?: Array<Pick<ListenerContext, 'name' | 'profile'>>;
}

/** The scope each listener document needs (what `pipeline authorize` asks for, docs/extraction.md). */
export const LISTENING_SCOPE = Object.fromEntries(LISTENING_DOCUMENTS.map((d) => [d.kind, d.scope])) as Record<ListeningKind, string>;

/** The command that authorises a listener again: their own unless they are the implicit one (the app secret's token). */
export function authorizeCommandOf(name: string, configured: boolean): string {
  return configured ? `pipeline authorize --listener ${name}` : 'pipeline authorize';
}

/**
 * A 403 (or a 401 "Permissions missing") on a listener document: most often an authorisation from before the
 * pipeline read it (without its scope). The error says which scope and how the listener gets it.
 */
function forbiddenError(ctx: ListenerContext, kind: ListeningKind, error: SpotifyApiError): SpotifyApiError {
  const scope = LISTENING_SCOPE[kind];
  const scopeNamed = /scope|permission/i.test(error.spotifyMessage);
  const message =
    `${error.spotifyMessage}. Reading ${kind.replace('_', ' ')} needs the scope ${scope}` +
    (scopeNamed ? `, which listener ${ctx.name}'s authorisation lacks (given before the pipeline asked for it)` : '') +
    `: run \`${ctx.authorizeCommand}\` to authorise them again with every scope the pipeline needs` +
    (scopeNamed
      ? '.'
      : ' (for an app in development mode, also check that their Spotify account is listed under User Management in ' +
        "the developer dashboard, and that the app owner's Premium subscription is active: without it Spotify refuses every call).");
  return new SpotifyApiError(error.endpoint, error.status, message, error.transient);
}

/** Reads one of the listener's documents and writes it; the manifest entry describes it. */
export async function fetchListening(ctx: ListenerContext, kind: ListeningKind): Promise<ManifestObject> {
  try {
    return await readAndWrite(ctx, kind);
  } catch (error) {
    // 403 "Insufficient client scope" here; 401 "Permissions missing" on Spotify's other /me/player endpoints.
    throw error instanceof SpotifyApiError && (error.status === 403 || error.status === 401) ? forbiddenError(ctx, kind, error) : error;
  }
}

/**
 * Who the listener is, checked against the listeners configured before them: two listeners authorised as one
 * Spotify account would write the same documents (and move the same plays cursor). The first listed is read; the
 * other's credentials are refused for this run, as a listener error that says what to do.
 */
async function ownProfile(ctx: ListenerContext): Promise<ListenerProfile> {
  const profile = await ctx.profile();
  for (const earlier of ctx.earlier ?? []) {
    const theirs = await earlier.profile().catch(() => null); // a listener who cannot be read owns nothing
    // Compared by account id: one account keeps it whatever its user id reads today.
    if (theirs && listenerKeyOf(theirs) === listenerKeyOf(profile)) {
      throw new SpotifyFatalError(
        `listener ${ctx.name} is authorised as the same Spotify account (${profile.spotifyUserId}) as listener ` +
          `${earlier.name}, who is read instead. Run \`${ctx.authorizeCommand}\` logged in to Spotify as ${ctx.name}'s ` +
          'own account (a private browser window helps), or remove one of them from spotify.listeners.',
        { credentialsProblem: true },
      );
    }
  }
  return profile;
}

/** What one read of a listener document gives: its body fields, what its manifest entry adds, its size. */
interface DocumentRead {
  body: Record<string, unknown>;
  extra?: Partial<ManifestObject>;
  items: number;
  pages: number;
}

/** How each listener document is read: a kind declared in schemas/raw-documents.json without a reader here does not compile. */
const READERS: Record<ListeningKind, (ctx: ListenerContext, profile: ListenerProfile) => Promise<DocumentRead>> = {
  plays: async (ctx, profile) => {
    const poll = await pollPlays(ctx.client, await readPlaysCursor(ctx.writer, profile));
    return {
      body: { cursor_before: poll.cursorBefore, cursor_after: poll.cursorAfter, possible_gap: poll.possibleGap, pages: poll.pages },
      extra: { cursor_before: poll.cursorBefore, cursor_after: poll.cursorAfter, possible_gap: poll.possibleGap, oldest_new_play_at: poll.oldestNewPlayAt },
      items: poll.newPlays,
      pages: poll.pages.length,
    };
  },
  saved_tracks: async (ctx) => {
    const read = await readSavedTracks(ctx.client);
    return {
      body: { pages: read.pages, changed_during_fetch: read.changedWhileRead },
      extra: { changed_during_fetch: read.changedWhileRead },
      items: read.items,
      pages: read.pages.length,
    };
  },
  followed_artists: async (ctx) => {
    const read = await readFollowedArtists(ctx.client);
    return { body: { pages: read.pages }, items: read.items, pages: read.pages.length };
  },
};

async function readAndWrite(ctx: ListenerContext, kind: ListeningKind): Promise<ManifestObject> {
  const profile = await ownProfile(ctx);
  const userId = profile.spotifyUserId;
  const key = listeningKey(ctx.runId, ctx.extractDate, kind, userId);
  const { body, extra, items, pages } = await READERS[kind](ctx, profile);
  const accountId = profile.accountId === null ? {} : { account_id: profile.accountId };
  const document = {
    kind,
    spotify_user_id: userId,
    ...accountId,
    listener_name: ctx.name,
    display_name: profile.displayName,
    fetched_at: new Date().toISOString(),
    ...body,
  };
  const written = await ctx.writer.put(key, JSON.stringify(document), 'application/json');
  return { key, kind, entity_id: ctx.name, ...written, items, pages, fetched_in_run: ctx.runId, spotify_user_id: userId, ...accountId, ...extra };
}

/** The possible gap a plays object reports, for the manifest and the run report; null when there is none. */
export function playsGapOf(object: ManifestObject): PlaysGap | null {
  if (object.kind !== 'plays' || !object.possible_gap || object.cursor_before === null || object.cursor_before === undefined) return null;
  const from = new Date(object.cursor_before).toISOString();
  const oldest = object.oldest_new_play_at;
  const to = oldest === null || oldest === undefined ? null : new Date(oldest).toISOString();
  return {
    listener: object.entity_id,
    spotify_user_id: object.spotify_user_id ?? '',
    cursor_before: from,
    oldest_new_play: to,
    message:
      `plays of ${object.entity_id} between ${from} and ${to ?? 'now'} may be missing: Spotify serves only the last 50 ` +
      'plays and more than that were played since the previous poll. Poll more often (extract.playsSchedule).',
  };
}

/** The manifest error for a listener that failed as a whole (a refused token, an unreachable API). */
export function listenerError(name: string, error: unknown): ManifestError {
  const status = error instanceof SpotifyApiError ? error.status : null;
  const message = error instanceof SpotifyApiError ? error.spotifyMessage : error instanceof Error ? error.message : String(error);
  return { kind: 'listener', entity_id: name, http_status: status, message };
}
