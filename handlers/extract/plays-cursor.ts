/**
 * Each listener's plays cursor (`raw/_state/plays/<account_id>.json`): the newest played_at (Unix ms) of a poll
 * whose raw data and manifest are written. The next poll asks Spotify for the plays after it.
 *
 * Keyed by the listener's immutable account id (`/v1/me` `account_id`), not by their user id, which Spotify says may
 * change: a changed id must not start a listener's history over. A cursor stored before account ids were read sits
 * under the user id; it is found there and carried over to the account id's key by the next advance, so no
 * migration is needed (the old file is left as it was). A server that sends no account id keys by the user id.
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

/** Whose cursor: the account id when known; a bare string is a user id from a server without account ids. */
export type CursorOwner = string | { accountId: string | null; spotifyUserId: string };

export interface PlaysCursorState {
  state_version: 1;
  /** The key of the file: the listener's account id (absent in cursors keyed by user id). */
  account_id?: string;
  /** The listener's user id when the cursor was stored (display only when account_id is there). */
  spotify_user_id: string;
  /** The newest played_at stored, Unix ms. */
  cursor_ms: number;
  /** The same instant, ISO 8601 (UTC), for people reading the file. */
  cursor_at: string;
  /** The run whose manifest lists the play at the cursor. */
  run_id: string;
  updated_at: string;
}

const ownerOf = (owner: CursorOwner) => (typeof owner === 'string' ? { accountId: null, spotifyUserId: owner } : owner);

export function playsCursorKey(listenerKey: string): string {
  if (!listenerKey || /[/\\]|^\.\.?$/.test(listenerKey)) {
    throw new Error(`"${listenerKey}" cannot name a plays cursor: a Spotify account or user id has no slashes`);
  }
  return playsCursorStateKey(listenerKey);
}

/** The cursor stored under `key` for the listener `id` names, or null (none, unreadable, someone else's). */
async function storedCursor(state: StateObjects, id: string, byAccount: boolean): Promise<number | null> {
  let bytes: Uint8Array | null;
  try {
    bytes = await state.get(playsCursorKey(id));
  } catch {
    return null;
  }
  if (!bytes) return null;
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<PlaysCursorState>;
    const whose = byAccount ? doc.account_id === id : doc.account_id === undefined && doc.spotify_user_id === id;
    const ok = doc.state_version === 1 && whose && Number.isSafeInteger(doc.cursor_ms) && (doc.cursor_ms as number) >= 0;
    return ok ? (doc.cursor_ms as number) : null;
  } catch {
    return null;
  }
}

/** The stored cursor (ms), or null when there is none or it cannot be read. */
export async function readPlaysCursor(state: StateObjects, owner: CursorOwner): Promise<number | null> {
  const { accountId, spotifyUserId } = ownerOf(owner);
  if (accountId === null) return storedCursor(state, spotifyUserId, false);
  // The account's own cursor; else one stored under the user id before account ids were read (carried over).
  return (await storedCursor(state, accountId, true)) ?? (await storedCursor(state, spotifyUserId, false));
}

/**
 * Moves the cursor to `cursorMs` if that is later than the stored one. Call after the manifest is written.
 * Returns whether it moved.
 */
export async function advancePlaysCursor(
  state: StateObjects,
  owner: CursorOwner,
  cursorMs: number,
  runId: string,
  now: Date = new Date(),
): Promise<boolean> {
  if (!Number.isSafeInteger(cursorMs) || cursorMs < 0) throw new Error(`plays cursor must be Unix milliseconds (got ${cursorMs})`);
  const { accountId, spotifyUserId } = ownerOf(owner);
  const stored = await readPlaysCursor(state, owner);
  if (stored !== null && stored >= cursorMs) return false;
  const doc: PlaysCursorState = {
    state_version: 1,
    ...(accountId === null ? {} : { account_id: accountId }),
    spotify_user_id: spotifyUserId,
    cursor_ms: cursorMs,
    cursor_at: new Date(cursorMs).toISOString(),
    run_id: runId,
    updated_at: now.toISOString(),
  };
  await state.put(playsCursorKey(accountId ?? spotifyUserId), JSON.stringify(doc, null, 2), 'application/json');
  return true;
}
