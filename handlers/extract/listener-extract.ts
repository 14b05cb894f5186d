/**
 * One listener's part of a run: who they are, then (as asked) their plays since the stored cursor, saved tracks and
 * followed artists, each written as one raw document under the run's prefix (docs/data-contracts.md). The listener
 * is read with their own client (their own refresh token).
 *
 * A listener that fails (a revoked token, an endpoint that keeps failing) is reported, not thrown: one listener's
 * trouble never stops the others. What was written before the failure stays listed, so the run keeps it.
 */
import { runPrefix } from '../shared/manifest';
import type { RawObjectWriter } from '../shared/raw-writer';
import { pollPlays, readFollowedArtists, readProfile, readSavedTracks, type ListenerProfile, type PlaysPoll } from './listening';
import { readPlaysCursor, type StateObjects } from './plays-cursor';
import { RunStoppedError, SpotifyApiError, SpotifyFatalError, type SpotifyClient } from './spotify-client';

export type ListeningKind = 'plays' | 'saved_tracks' | 'followed_artists';

export interface ListeningObject {
  key: string;
  kind: ListeningKind;
  /** The listener's Spotify user id. */
  entity_id: string;
  bytes: number;
  sha256: string;
  items: number;
  pages: number;
}

export interface ListenerError {
  kind: 'listener' | ListeningKind;
  /** The configured listener name. */
  entity_id: string;
  http_status: number | null;
  message: string;
}

/** A poll that may have missed plays: reported in the manifest and the run report. */
export interface PlaysGap {
  listener: string;
  spotify_user_id: string;
  /** The cursor the poll started from, and the oldest new play it could still reach (ISO 8601, UTC). */
  cursor_before: string;
  oldest_new_play: string | null;
  message: string;
}

export interface ListenerOutcome {
  listener: string;
  profile: ListenerProfile | null;
  objects: ListeningObject[];
  errors: ListenerError[];
  plays: PlaysPoll | null;
  gap: PlaysGap | null;
  /** The run stopped (quota, time budget): the caller stops the other listeners too. */
  stopped: RunStoppedError | null;
}

export interface ExtractListenerInput {
  listener: string;
  client: SpotifyClient;
  runId: string;
  extractDate: string;
  writer: RawObjectWriter;
  /** Where plays cursors are read (written by the run after its manifest). */
  state: StateObjects;
  what: { plays: boolean; savedTracks: boolean; followedArtists: boolean };
  market?: string;
}

export function listeningKey(runId: string, extractDate: string, kind: ListeningKind, spotifyUserId: string): string {
  return `${runPrefix(runId, extractDate)}${kind}/${encodeURIComponent(spotifyUserId)}.json`;
}

function describe(error: unknown): { status: number | null; message: string } {
  if (error instanceof SpotifyApiError) return { status: error.status, message: error.spotifyMessage };
  return { status: null, message: error instanceof Error ? error.message : String(error) };
}

export async function extractListener(input: ExtractListenerInput): Promise<ListenerOutcome> {
  const { listener, client, writer } = input;
  const outcome: ListenerOutcome = { listener, profile: null, objects: [], errors: [], plays: null, gap: null, stopped: null };
  const fail = (kind: ListenerError['kind'], error: unknown): boolean => {
    if (error instanceof RunStoppedError) {
      outcome.stopped = error;
      return false;
    }
    const { status, message } = describe(error);
    outcome.errors.push({ kind, entity_id: listener, http_status: status, message });
    // A refused token or an unreachable API: nothing else of this listener can work.
    return !(error instanceof SpotifyFatalError);
  };

  try {
    outcome.profile = await readProfile(client);
  } catch (error) {
    fail('listener', error);
    return outcome;
  }
  const userId = outcome.profile.spotifyUserId;
  const base = {
    spotify_user_id: userId,
    listener_name: listener,
    display_name: outcome.profile.displayName,
  };
  const write = async (kind: ListeningKind, doc: Record<string, unknown>, items: number, pages: number) => {
    const key = listeningKey(input.runId, input.extractDate, kind, userId);
    const written = await writer.put(key, JSON.stringify({ kind, ...base, fetched_at: new Date().toISOString(), ...doc }), 'application/json');
    outcome.objects.push({ key, kind, entity_id: userId, ...written, items, pages });
  };

  if (input.what.plays) {
    try {
      const cursor = await readPlaysCursor(input.state, userId);
      const poll = await pollPlays(client, cursor);
      outcome.plays = poll;
      await write(
        'plays',
        { cursor_before: poll.cursorBefore, cursor_after: poll.cursorAfter, possible_gap: poll.possibleGap, pages: poll.pages },
        poll.newPlays,
        poll.pages.length,
      );
      if (poll.possibleGap && poll.cursorBefore !== null) {
        const from = new Date(poll.cursorBefore).toISOString();
        const to = poll.oldestNewPlayAt === null ? null : new Date(poll.oldestNewPlayAt).toISOString();
        outcome.gap = {
          listener,
          spotify_user_id: userId,
          cursor_before: from,
          oldest_new_play: to,
          message:
            `plays between ${from} and ${to ?? 'now'} may be missing: Spotify serves only the last 50 plays and ` +
            `${listener} played more than that since the previous poll. Poll more often (extract.playsSchedule).`,
        };
      }
    } catch (error) {
      if (!fail('plays', error)) return outcome;
    }
  }
  if (input.what.savedTracks && !outcome.stopped) {
    try {
      const saved = await readSavedTracks(client, input.market);
      await write('saved_tracks', { pages: saved.pages }, saved.items, saved.pages.length);
    } catch (error) {
      if (!fail('saved_tracks', error)) return outcome;
    }
  }
  if (input.what.followedArtists && !outcome.stopped) {
    try {
      const followed = await readFollowedArtists(client);
      await write('followed_artists', { pages: followed.pages }, followed.items, followed.pages.length);
    } catch (error) {
      fail('followed_artists', error);
    }
  }
  return outcome;
}
