/**
 * The last complete fetch of each playlist (`raw/_state/playlists.json`): its snapshot id and the raw object
 * that holds it. Spotify's snapshot id changes whenever a playlist changes, so a playlist whose current snapshot
 * id equals the one recorded here is not paged again: the run's manifest points at that object (key + sha256).
 *
 * Updated after a run's manifest is written, from the manifest, so it only ever names objects of complete runs.
 * An entry is only replaced by one of a later run (run ids sort by their start time), so re-running an old run
 * id never moves it back. It is a cache: lost, stale or unreadable, it only costs a full fetch.
 */
import { PLAYLIST_STATE_KEY, type ManifestObject, type RunManifest } from '../shared/manifest';
import type { RawObjectWriter } from '../shared/raw-writer';

export interface PlaylistStateEntry {
  snapshot_id: string;
  key: string;
  bytes: number;
  sha256: string;
  items: number;
  pages: number;
  /** The run that fetched the object. */
  fetched_in_run: string;
  /** The latest run that found the playlist at this snapshot. */
  recorded_by_run: string;
  /**
   * The Spotify user whose token read it (absent: recorded before, by the first listener). A later run lets that
   * listener check it first: another one may not be allowed to read its items (Development Mode).
   */
  read_by?: string;
}

interface StateDocument {
  /** Bumped when what a fetch stores changes, so objects of an older shape are not reused. */
  state_version: 1;
  /**
   * The market shapes the items (track relinking), so entries only count for the same market. The API base
   * URL is recorded for information: a snapshot id names a version of the playlist's data wherever it is served.
   */
  source: { api_base_url: string; market: string | null };
  playlists: Record<string, PlaylistStateEntry>;
}

export class PlaylistState {
  private constructor(private readonly doc: StateDocument) {}

  /** The recorded state for this market (empty when there is none, or it is unreadable or for another market). */
  static async load(writer: RawObjectWriter, source: StateDocument['source']): Promise<PlaylistState> {
    const empty: StateDocument = { state_version: 1, source, playlists: {} };
    let bytes: Uint8Array | null;
    try {
      bytes = await writer.get(PLAYLIST_STATE_KEY);
    } catch {
      return new PlaylistState(empty);
    }
    if (!bytes) return new PlaylistState(empty);
    try {
      const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as StateDocument;
      const same = doc.state_version === 1 && (doc.source?.market ?? null) === source.market;
      return new PlaylistState(same && doc.playlists && typeof doc.playlists === 'object' ? { ...doc, source } : empty);
    } catch {
      return new PlaylistState(empty);
    }
  }

  /** The Spotify user whose token last read the playlist, when the state says. */
  readBy(playlistId: string): string | null {
    return this.doc.playlists[playlistId]?.read_by ?? null;
  }

  /** The last complete fetch of the playlist if it was at this snapshot id. */
  unchangedSince(playlistId: string, snapshotId: string | null): PlaylistStateEntry | null {
    if (!snapshotId) return null;
    const entry = this.doc.playlists[playlistId];
    return entry && entry.snapshot_id === snapshotId ? entry : null;
  }

  /** Records the complete, consistent playlist objects of a manifest and writes the state. */
  static async recordRun(writer: RawObjectWriter, manifest: RunManifest, market: string | null): Promise<void> {
    const source = { api_base_url: manifest.source.api_base_url, market };
    const state = await PlaylistState.load(writer, source);
    let changed = false;
    for (const object of manifest.objects) {
      if (!isStateWorthy(object)) continue;
      const current = state.doc.playlists[object.entity_id];
      if (current && current.recorded_by_run > manifest.run_id) continue;
      state.doc.playlists[object.entity_id] = {
        snapshot_id: object.snapshot_id as string,
        key: object.key,
        bytes: object.bytes,
        sha256: object.sha256,
        items: object.items,
        pages: object.pages,
        fetched_in_run: object.fetched_in_run,
        recorded_by_run: manifest.run_id,
        ...(object.spotify_user_id ? { read_by: object.spotify_user_id } : {}),
      };
      changed = true;
    }
    if (changed) await writer.put(PLAYLIST_STATE_KEY, JSON.stringify(state.doc), 'application/json');
  }
}

/** Only objects that hold one known version of the playlist can stand in for a later run. */
function isStateWorthy(object: ManifestObject): boolean {
  return object.kind === 'playlist' && typeof object.snapshot_id === 'string' && object.snapshot_id.length > 0 && !object.snapshot_changed_during_fetch;
}
