/**
 * The fake Spotify's data model: plain data keyed by id, which catalog.ts generates, weekly.ts evolves week by week,
 * and render.ts turns into Spotify's response shapes.
 */

export type TimeRange = 'short_term' | 'medium_term' | 'long_term';
export const TIME_RANGES: readonly TimeRange[] = ['short_term', 'medium_term', 'long_term'];
export type ReleaseDatePrecision = 'year' | 'month' | 'day';

export interface CatalogUser {
  id: string;
  displayName: string | null;
}

export interface CatalogArtist {
  id: string;
  name: string;
  genres: string[];
}

export interface CatalogAlbum {
  id: string;
  name: string;
  albumType: 'album' | 'single' | 'compilation';
  artistIds: string[];
  releaseDate: string;
  releaseDatePrecision: ReleaseDatePrecision;
  totalTracks: number;
}

export interface CatalogTrack {
  id: string;
  name: string;
  albumId: string;
  artistIds: string[];
  durationMs: number;
  explicit: boolean;
  discNumber: number;
  trackNumber: number;
  isrc: string;
}

export interface CatalogShow {
  id: string;
  name: string;
  publisher: string;
  description: string;
  languages: string[];
  totalEpisodes: number;
}

export interface CatalogEpisode {
  id: string;
  name: string;
  showId: string;
  description: string;
  durationMs: number;
  explicit: boolean;
  releaseDate: string;
  language: string;
}

/** A file the user added from their own disk: no id, no album id, a spotify:local: URI. */
export interface CatalogLocalFile {
  name: string;
  artist: string;
  album: string;
  durationMs: number;
}

export type CatalogEntryContent =
  | { type: 'track'; id: string }
  | { type: 'episode'; id: string }
  | { type: 'local'; file: CatalogLocalFile }
  /** Spotify returns `item: null` / `track: null` for content that is gone. */
  | { type: 'missing' };

export interface CatalogEntry {
  /** Null on very old playlists. */
  addedAt: string | null;
  addedBy: string | null;
  content: CatalogEntryContent;
}

export interface CatalogPlaylist {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  collaborative: boolean;
  public: boolean | null;
  /** Users (besides the owner) who may edit, and therefore read the items of, a collaborative playlist. */
  collaborators: string[];
  snapshotId: string;
  /**
   * Users who follow it without owning or collaborating on it: it shows in their /v1/me/playlists (as in the
   * owner's and each collaborator's), but its items answer them 403 (development mode).
   */
  followedBy: string[];
  entries: CatalogEntry[];
}

export interface FakeCatalog {
  /** The authorised user: /v1/me answers with this one. */
  userId: string;
  users: Record<string, CatalogUser>;
  artists: Record<string, CatalogArtist>;
  albums: Record<string, CatalogAlbum>;
  tracks: Record<string, CatalogTrack>;
  shows: Record<string, CatalogShow>;
  episodes: Record<string, CatalogEpisode>;
  /** In the order /v1/me/playlists lists them. */
  playlists: CatalogPlaylist[];
  /** Spotify-owned editorial/algorithmic playlists: 404 on every endpoint for development-mode apps. */
  editorialPlaylistIds: string[];
  /** Ids in rank order (rank 1 first). */
  top: { tracks: Record<TimeRange, string[]>; artists: Record<TimeRange, string[]> };
}
