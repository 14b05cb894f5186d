/**
 * Renders catalog data into the JSON shapes the Spotify Web API answers with, as a development-mode app sees
 * them after the February 2026 changes: no artist `genres`, `popularity` or `followers`; no track `popularity`,
 * `available_markets` or `linked_from`; no album `label`, `popularity` or `available_markets`; no user `country`,
 * `email`, `product`, `explicit_content` or `followers`; no episode `language` or show `publisher` (deprecated).
 * `external_ids` kept; playlist entries carry `item` plus the
 * deprecated `track` alias; playlist objects carry `items` plus the deprecated `tracks` alias. An extended-quota app
 * (`extended`) still gets the fields development mode lost (the OpenAPI description marks them `deprecated`).
 * `__tests__/fakes/spotify/openapi-conformance.test.ts` holds every answer to Spotify's OpenAPI description.
 *
 * `href`s point at the server's own API base URL so a client can follow them; `external_urls` and images
 * point at Spotify's public hosts like the real thing.
 */
import { createHash } from 'node:crypto';
import type {
  CatalogEntry,
  CatalogLocalFile,
  CatalogPlaylist,
  FakeCatalog,
} from './model';

type Json = Record<string, unknown>;

/** What an extended-quota app is told a track or album is available in. */
const MARKETS = ['DE', 'GB', 'SE', 'US'];

/** A stable number below `max` for an id (popularity, follower counts). */
function score(id: string, max: number): number {
  return parseInt(createHash('sha1').update(`score:${id}`).digest('hex').slice(0, 8), 16) % max;
}

function hex(id: string): string {
  return createHash('sha1').update(id).digest('hex').slice(0, 24);
}

function images(id: string, prefix: string, sizes: Array<[string, number]>): Json[] {
  const h = hex(id);
  return sizes.map(([variant, size]) => ({ url: `https://i.scdn.co/image/${prefix}${variant}${h}`, height: size, width: size }));
}

/** Percent-encoding with `+` for spaces, as Spotify writes local-file URIs. */
function localUriPart(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}

export class Renderer {
  /** Rendered objects are never mutated after rendering (fields filtering copies), so they can be shared. */
  private readonly memo = new Map<string, Json>();

  private cached(key: string, build: () => Json): Json {
    let value = this.memo.get(key);
    if (!value) {
      value = build();
      this.memo.set(key, value);
    }
    return value;
  }

  constructor(
    private readonly catalog: FakeCatalog,
    private readonly apiBaseUrl: string,
    /** An extended-quota app: the fields development mode lost are served. */
    private readonly extended = false,
  ) {}

  /** The fields only an extended-quota app gets (none in development mode). */
  private extendedOnly(fields: () => Json): Json {
    return this.extended ? fields() : {};
  }

  private link(type: string, id: string): Json {
    return {
      external_urls: { spotify: `https://open.spotify.com/${type}/${id}` },
      href: `${this.apiBaseUrl}/${type}s/${id}`,
      id,
    };
  }

  /** /v1/me of the catalog's user, or of another listener (listening.ts). */
  me(userId = this.catalog.userId): Json {
    const user = this.catalog.users[userId];
    return {
      display_name: user?.displayName ?? null,
      external_urls: { spotify: `https://open.spotify.com/user/${userId}` },
      href: `${this.apiBaseUrl}/users/${userId}`,
      id: userId,
      images: images(userId, 'ab6775700000', [['ee85', 300], ['1020', 64]]),
      type: 'user',
      uri: `spotify:user:${userId}`,
      account_id: `acct-${hex(userId).slice(0, 16)}`,
      ...this.extendedOnly(() => ({
        country: 'SE',
        email: `${userId}@example.com`,
        explicit_content: { filter_enabled: false, filter_locked: false },
        followers: { href: null, total: score(userId, 500) },
        product: 'premium',
      })),
    };
  }

  /** Playlist owner: a user reference with display_name. */
  owner(userId: string): Json {
    return {
      display_name: this.catalog.users[userId]?.displayName ?? null,
      ...this.link('user', userId),
      type: 'user',
      uri: `spotify:user:${userId}`,
    };
  }

  /** `added_by` on a playlist entry: a user reference without display_name. */
  addedBy(userId: string): Json {
    return { ...this.link('user', userId), type: 'user', uri: `spotify:user:${userId}` };
  }

  simplifiedArtist(id: string): Json {
    const artist = this.catalog.artists[id];
    return { ...this.link('artist', id), name: artist?.name ?? null, type: 'artist', uri: `spotify:artist:${id}` };
  }

  /** Full artist object as /v1/me/top/artists returns it (development mode: no genres, followers or popularity). */
  artist(id: string): Json {
    return this.cached(`artist:${id}`, () => this.buildArtist(id));
  }

  private buildArtist(id: string): Json {
    const artist = this.catalog.artists[id];
    return {
      ...this.link('artist', id),
      ...this.extendedOnly(() => ({ followers: { href: null, total: score(id, 2_000_000) }, genres: artist?.genres ?? [], popularity: score(id, 100) })),
      images: images(id, 'ab676161', [['0000e5eb', 640], ['00005174', 320], ['0000f178', 160]]),
      name: artist?.name ?? null,
      type: 'artist',
      uri: `spotify:artist:${id}`,
    };
  }

  simplifiedAlbum(id: string): Json {
    return this.cached(`album:${id}`, () => this.buildSimplifiedAlbum(id));
  }

  private buildSimplifiedAlbum(id: string): Json {
    const album = this.catalog.albums[id];
    return {
      album_type: album.albumType,
      artists: album.artistIds.map((a) => this.simplifiedArtist(a)),
      ...this.link('album', id),
      ...this.extendedOnly(() => ({ available_markets: MARKETS })),
      images: images(id, 'ab67616d', [['0000b273', 640], ['00001e02', 300], ['00004851', 64]]),
      is_playable: true,
      name: album.name,
      release_date: album.releaseDate,
      release_date_precision: album.releaseDatePrecision,
      total_tracks: album.totalTracks,
      type: 'album',
      uri: `spotify:album:${id}`,
    };
  }

  track(id: string, inPlaylist = false): Json {
    return this.cached(`track:${inPlaylist}:${id}`, () => this.buildTrack(id, inPlaylist));
  }

  private buildTrack(id: string, inPlaylist: boolean): Json {
    const track = this.catalog.tracks[id];
    const body: Json = {
      album: this.simplifiedAlbum(track.albumId),
      artists: track.artistIds.map((a) => this.simplifiedArtist(a)),
      ...this.extendedOnly(() => ({ available_markets: MARKETS, popularity: score(id, 100) })),
      disc_number: track.discNumber,
      duration_ms: track.durationMs,
      explicit: track.explicit,
      external_ids: { isrc: track.isrc },
      ...this.link('track', id),
      is_local: false,
      is_playable: true,
      name: track.name,
      preview_url: null,
      track_number: track.trackNumber,
      type: 'track',
      uri: `spotify:track:${id}`,
    };
    // Inside playlists Spotify marks what kind of item this is.
    if (inPlaylist) Object.assign(body, { episode: false, track: true });
    return body;
  }

  /**
   * A saved track as Spotify serves it with a `market` where another release plays instead (track relinking): the
   * playable track's object. Only an extended-quota app is told which track was saved (`linked_from`).
   */
  relinkedTrack(playableId: string, savedId: string): Json {
    const linkedFrom = { ...this.link('track', savedId), type: 'track', uri: `spotify:track:${savedId}` };
    return { ...this.track(playableId), ...this.extendedOnly(() => ({ linked_from: linkedFrom })) };
  }

  episode(id: string): Json {
    const episode = this.catalog.episodes[id];
    const show = this.catalog.shows[episode.showId];
    return {
      audio_preview_url: null,
      description: episode.description,
      duration_ms: episode.durationMs,
      explicit: episode.explicit,
      ...this.link('episode', id),
      html_description: `<p>${episode.description}</p>`,
      images: images(id, 'ab6765630000', [['ba8a', 640], ['f68d', 300], ['5f1f', 64]]),
      is_externally_hosted: false,
      is_playable: true,
      ...this.extendedOnly(() => ({ language: episode.language })),
      languages: [episode.language],
      name: episode.name,
      release_date: episode.releaseDate,
      release_date_precision: 'day',
      show: {
        copyrights: [],
        description: show.description,
        explicit: false,
        ...this.link('show', show.id),
        html_description: `<p>${show.description}</p>`,
        images: images(show.id, 'ab6765630000', [['ba8a', 640], ['f68d', 300], ['5f1f', 64]]),
        is_externally_hosted: false,
        languages: show.languages,
        media_type: 'audio',
        name: show.name,
        ...this.extendedOnly(() => ({ publisher: show.publisher })),
        total_episodes: show.totalEpisodes,
        type: 'show',
        uri: `spotify:show:${show.id}`,
      },
      type: 'episode',
      uri: `spotify:episode:${id}`,
      episode: true,
      track: false,
    };
  }

  /**
   * An episode as Spotify serves it to a client that did not send `additional_types=episode`: squeezed into a
   * track object (the show as album and artist, `type: "episode"`, track_number 0), as observed on the real API.
   */
  legacyEpisodeAsTrack(id: string): Json {
    const episode = this.catalog.episodes[id];
    const show = this.catalog.shows[episode.showId];
    const showLink = this.link('show', show.id);
    return {
      album: {
        album_type: 'compilation',
        artists: [],
        ...showLink,
        images: images(show.id, 'ab6765630000', [['ba8a', 640], ['f68d', 300], ['5f1f', 64]]),
        name: show.name,
        release_date: episode.releaseDate,
        release_date_precision: 'day',
        total_tracks: show.totalEpisodes,
        type: 'show',
        uri: `spotify:show:${show.id}`,
      },
      artists: [{ ...showLink, name: show.name, type: 'show', uri: `spotify:show:${show.id}` }],
      disc_number: 0,
      duration_ms: episode.durationMs,
      episode: false,
      explicit: episode.explicit,
      external_ids: { spotify: `https://open.spotify.com/episode/${id}` },
      ...this.link('episode', id),
      is_local: false,
      is_playable: true,
      name: episode.name,
      preview_url: null,
      track: true,
      track_number: 0,
      type: 'episode',
      uri: `spotify:episode:${id}`,
    };
  }

  /** A local file: no ids, no hrefs, a spotify:local:artist:album:title:seconds URI. */
  localTrack(file: CatalogLocalFile): Json {
    const seconds = Math.round(file.durationMs / 1000);
    return {
      album: {
        album_type: null,
        artists: [],
        external_urls: {},
        href: null,
        id: null,
        images: [],
        name: file.album,
        release_date: null,
        release_date_precision: null,
        type: 'album',
        uri: null,
      },
      artists: [{ external_urls: {}, href: null, id: null, name: file.artist, type: 'artist', uri: null }],
      disc_number: 0,
      duration_ms: file.durationMs,
      explicit: false,
      external_ids: {},
      external_urls: {},
      href: null,
      id: null,
      is_local: true,
      name: file.name,
      preview_url: null,
      track_number: 0,
      type: 'track',
      uri: `spotify:local:${localUriPart(file.artist)}:${localUriPart(file.album)}:${localUriPart(file.name)}:${seconds}`,
      episode: false,
      track: true,
    };
  }

  playlistItem(entry: CatalogEntry, episodes = true): Json {
    const { content } = entry;
    let item: Json | null;
    switch (content.type) {
      case 'track':
        item = this.track(content.id, true);
        break;
      case 'episode':
        item = episodes ? this.episode(content.id) : this.legacyEpisodeAsTrack(content.id);
        break;
      case 'local':
        item = this.localTrack(content.file);
        break;
      default:
        item = null;
    }
    return {
      added_at: entry.addedAt,
      added_by: entry.addedBy ? this.addedBy(entry.addedBy) : null,
      is_local: content.type === 'local',
      primary_color: null,
      video_thumbnail: { url: null },
      item,
      // Deprecated alias kept by Spotify during the migration window: same object.
      track: item,
    };
  }

  page(path: string, items: Json[], offset: number, limit: number, total: number, extraQuery: Record<string, string> = {}): Json {
    const url = (o: number) => {
      const query = new URLSearchParams({ offset: String(o), limit: String(limit), ...extraQuery });
      return `${this.apiBaseUrl}${path}?${query.toString()}`;
    };
    return {
      href: url(offset),
      items,
      limit,
      next: offset + limit < total ? url(offset + limit) : null,
      offset,
      previous: offset > 0 ? url(Math.max(0, offset - limit)) : null,
      total,
    };
  }

  /**
   * `additionalTypes`: the client's `additional_types` (echoed in the paging links, as Spotify does). Unless it
   * names `episode`, episodes come in the legacy track shape.
   */
  playlistItemsPage(playlist: CatalogPlaylist, offset: number, limit: number, additionalTypes: string | null = 'track,episode'): Json {
    const episodes = (additionalTypes ?? '').split(',').some((t) => t.trim().toLowerCase() === 'episode');
    const slice = playlist.entries.slice(offset, offset + limit).map((e) => this.playlistItem(e, episodes));
    const extra: Record<string, string> = additionalTypes ? { additional_types: additionalTypes } : {};
    return this.page(`/playlists/${playlist.id}/items`, slice, offset, limit, playlist.entries.length, extra);
  }

  private playlistBase(playlist: CatalogPlaylist): Json {
    return {
      collaborative: playlist.collaborative,
      description: playlist.description,
      external_urls: { spotify: `https://open.spotify.com/playlist/${playlist.id}` },
      href: `${this.apiBaseUrl}/playlists/${playlist.id}`,
      id: playlist.id,
      images:
        playlist.entries.length === 0
          ? []
          : [{ url: `https://image-cdn-ak.spotifycdn.com/image/ab67706c0000da84${hex(playlist.id)}`, height: null, width: null }],
      name: playlist.name,
      owner: this.owner(playlist.ownerId),
      primary_color: null,
      public: playlist.public,
      snapshot_id: playlist.snapshotId,
    };
  }

  /** As listed by /v1/me/playlists: `items` (and the deprecated `tracks`) is only a reference with the total. */
  simplifiedPlaylist(playlist: CatalogPlaylist): Json {
    const ref = { href: `${this.apiBaseUrl}/playlists/${playlist.id}/items`, total: playlist.entries.length };
    return { ...this.playlistBase(playlist), items: ref, tracks: ref, type: 'playlist', uri: `spotify:playlist:${playlist.id}` };
  }

  /**
   * GET /v1/playlists/{id}: with the first page of items embedded when the caller may read them; metadata
   * only (no `items`/`tracks`) for playlists the user neither owns nor collaborates on.
   */
  playlist(playlist: CatalogPlaylist, embedItems: boolean, firstPageLimit: number, additionalTypes: string | null = 'track,episode'): Json {
    const body: Json = { ...this.playlistBase(playlist) };
    if (embedItems) {
      const page = this.playlistItemsPage(playlist, 0, firstPageLimit, additionalTypes);
      body.items = page;
      body.tracks = page;
    }
    body.type = 'playlist';
    body.uri = `spotify:playlist:${playlist.id}`;
    return body;
  }
}
