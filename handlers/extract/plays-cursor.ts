/**
 * Each listener's plays cursor (`raw/_state/plays/<spotify_user_id>.json`): the newest played_at (Unix ms) of a
 * poll whose raw data and manifest are written. The next poll asks Spotify for the plays after it.
 *
 * Written only after the run's manifest, so a run that fails before its manifest leaves the cursor where it was
 * and the next poll reads those plays again (the warehouse keeps each play once). The cursor only moves forward: a
 * re-run of an older run id never moves it back. Unreadable state counts as no cursor: the next poll then takes
 * everything Spotify still serves (at most 50 plays) and nothing already stored is lost.
 */
import { playsCursorStateKey } from '../shared/manifest';

/** The object access the cursor needs: the raw writer (local folder or S3) provides both. */
export interface StateObjects {
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, body: string | Uint8Array, contentType: string): Promise<unknown>;
}

export interface PlaysCursorState {
  state_version: 1;
  spotify_user_id: string;
  /** The newest played_at stored, Unix ms. */
  cursor_ms: number;
  /** The same instant, ISO 8601 (UTC), for people reading the file. */
  cursor_at: string;
  /** The run whose manifest lists the play at the cursor. */
  run_id: string;
  updated_at: string;
}

export function playsCursorKey(spotifyUserId: string): string {
  if (!spotifyUserId || /[/\\]|^\.\.?$/.test(spotifyUserId)) {
    throw new Error(`"${spotifyUserId}" cannot name a plays cursor: a Spotify user id has no slashes`);
  }
  return playsCursorStateKey(spotifyUserId);
}

/** The stored cursor (ms), or null when there is none or it cannot be read. */
export async function readPlaysCursor(state: StateObjects, spotifyUserId: string): Promise<number | null> {
  let bytes: Uint8Array | null;
  try {
    bytes = await state.get(playsCursorKey(spotifyUserId));
  } catch {
    return null;
  }
  if (!bytes) return null;
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<PlaysCursorState>;
    const ok = doc.state_version === 1 && doc.spotify_user_id === spotifyUserId && Number.isSafeInteger(doc.cursor_ms) && (doc.cursor_ms as number) >= 0;
    return ok ? (doc.cursor_ms as number) : null;
  } catch {
    return null;
  }
}

/**
 * Moves the cursor to `cursorMs` if that is later than the stored one. Call after the manifest is written.
 * Returns whether it moved.
 */
export async function advancePlaysCursor(
  state: StateObjects,
  spotifyUserId: string,
  cursorMs: number,
  runId: string,
  now: Date = new Date(),
): Promise<boolean> {
  if (!Number.isSafeInteger(cursorMs) || cursorMs < 0) throw new Error(`plays cursor must be Unix milliseconds (got ${cursorMs})`);
  const stored = await readPlaysCursor(state, spotifyUserId);
  if (stored !== null && stored >= cursorMs) return false;
  const doc: PlaysCursorState = {
    state_version: 1,
    spotify_user_id: spotifyUserId,
    cursor_ms: cursorMs,
    cursor_at: new Date(cursorMs).toISOString(),
    run_id: runId,
    updated_at: now.toISOString(),
  };
  await state.put(playsCursorKey(spotifyUserId), JSON.stringify(doc, null, 2), 'application/json');
  return true;
}
