/**
 * The fake Spotify against Spotify's OpenAPI description (sonallux/spotify-web-api `fixed-spotify-open-api.yml`,
 * vendored trimmed as spotify-openapi.json by scripts/vendor-spotify-openapi.py: no network here), endpoint by
 * endpoint: each answer holds only declared fields of the declared types with every required one; in development
 * mode (the default) none of the fields Spotify took from development-mode apps in February 2026; with
 * `accessMode: 'extended'` (an extended-quota app) exactly those come back.
 */
import { SAMPLE_PLAYLIST_IDS, SAMPLE_USER_ID } from '../../../local/fakes/spotify/catalog';
import { startFakeSpotify, type FakeSpotifyServer } from '../../../local/fakes/spotify/server';
import { getJson, userToken } from './helpers';
import { conformance, deprecatedFields, OPENAPI, type CheckOptions } from './openapi-check';

const AS_OF = new Date('2026-11-25T18:30:00Z');

/**
 * Where Spotify's answers (and so the fake's) depart from its own description, each with why: `Schema.field` and
 * the kind of departure. Anything else the fake does differently fails the test.
 */
const KNOWN_DEPARTURES: Record<string, string> = {
  'deprecated PlaylistTrackObject.track': 'the alias of `item` Spotify keeps during the /items migration',
  'deprecated PlaylistObject.tracks': 'the alias of `items` Spotify keeps during the /items migration',
  'deprecated SimplifiedPlaylistObject.tracks': 'the alias of `items` Spotify keeps during the /items migration',
  'undeclared PlaylistObject.primary_color': 'in Spotify\'s answers, not in the description',
  'undeclared SimplifiedPlaylistObject.primary_color': 'in Spotify\'s answers, not in the description',
  'undeclared PlaylistTrackObject.primary_color': 'in Spotify\'s answers, not in the description',
  'undeclared PlaylistTrackObject.video_thumbnail': 'in Spotify\'s answers, not in the description',
  'undeclared TrackObject.track': 'playlist entries mark the kind of item (`track: true, episode: false`)',
  'undeclared TrackObject.episode': 'playlist entries mark the kind of item (`track: true, episode: false`)',
  'undeclared EpisodeObject.track': 'playlist entries mark the kind of item (`track: false, episode: true`)',
  'undeclared EpisodeObject.episode': 'playlist entries mark the kind of item (`track: false, episode: true`)',
  'undeclared SimplifiedAlbumObject.is_playable': 'in Spotify\'s answers for a user token, not in the description',
  'deprecated TrackObject.preview_url': 'sent as null since November 2024',
  'deprecated EpisodeObject.audio_preview_url': 'sent as null since November 2024',
  'missing SimplifiedAlbumObject.total_tracks': 'a local file\'s album has none (Spotify serves it so)',
  'missing SimplifiedAlbumObject.available_markets': 'gone for development mode (and a local file\'s album has none), though the description requires it',
  'missing SimplifiedShowObject.available_markets': 'gone for development mode, though the description requires it',
};

/** What Spotify's Dev Mode migration guide says development-mode apps lost (DESIGN.md), by schema. */
const GONE_IN_DEVELOPMENT_MODE: Record<string, string[]> = {
  ArtistObject: ['followers', 'genres', 'popularity'],
  TrackObject: ['available_markets', 'linked_from', 'popularity'],
  // Album label and popularity are on the full AlbumObject, which no endpoint the pipeline reads serves.
  SimplifiedAlbumObject: ['available_markets'],
  PrivateUserObject: ['country', 'email', 'followers', 'product'],
};

/** One GET per endpoint the fake serves, as the path template of the description names it. */
const REQUESTS: Array<[template: string, url: string]> = [
  ['/me', '/me'],
  ['/me/playlists', '/me/playlists?limit=50'],
  ...SAMPLE_PLAYLIST_IDS.owned.map((id): [string, string] => ['/playlists/{playlist_id}', `/playlists/${id}?additional_types=track,episode`]),
  ...SAMPLE_PLAYLIST_IDS.owned.map((id): [string, string] => ['/playlists/{playlist_id}/items', `/playlists/${id}/items?limit=50&additional_types=track,episode`]),
  ['/me/top/artists', '/me/top/artists?limit=50'],
  ['/me/top/tracks', '/me/top/tracks?limit=50'],
  ['/me/tracks', '/me/tracks?limit=50'],
  ['/me/following', '/me/following?type=artist&limit=50'],
  ['/me/player/recently-played', '/me/player/recently-played?limit=50'],
];

const servers: FakeSpotifyServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function answers(accessMode: 'development' | 'extended'): Promise<Array<{ template: string; url: string; body: any }>> {
  const server = await startFakeSpotify({ asOf: AS_OF, clock: 'frozen', accessMode });
  servers.push(server);
  const token = await userToken(server);
  const out = [];
  for (const [template, url] of REQUESTS) {
    const { status, body } = await getJson(`${server.apiBaseUrl}${url}`, token);
    expect([url, status]).toEqual([url, 200]);
    out.push({ template, url, body });
  }
  // The single lookups, with ids from the answers above.
  const track = out.find((a) => a.template === '/me/top/tracks')!.body.items[0];
  for (const [template, url] of [['/tracks/{id}', `/tracks/${track.id}`], ['/artists/{id}', `/artists/${track.artists[0].id}`]]) {
    out.push({ template, url, body: (await getJson(`${server.apiBaseUrl}${url}`, token)).body });
  }
  return out;
}

/** Every object of `value` (at any depth) whose `type` is `type`. */
function objectsOfType(value: unknown, type: string, found: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(value)) value.forEach((v) => objectsOfType(v, type, found));
  else if (value && typeof value === 'object') {
    if ((value as { type?: unknown }).type === type) found.push(value as Record<string, unknown>);
    Object.values(value).forEach((v) => objectsOfType(v, type, found));
  }
  return found;
}

test('the vendored description is the version the fake was checked against', () => {
  expect(OPENAPI.source).toMatchObject({ repository: 'https://github.com/sonallux/spotify-web-api', file: 'fixed-spotify-open-api.yml', version: '2026.5.31' });
  expect(Object.keys(OPENAPI.answers).sort()).toEqual([...new Set([...REQUESTS.map(([t]) => t), '/tracks/{id}', '/artists/{id}'])].sort());
});

test('the description marks deprecated every field development-mode apps lost', () => {
  for (const [schema, fields] of Object.entries(GONE_IN_DEVELOPMENT_MODE)) {
    expect([schema, deprecatedFields(schema).filter((f) => fields.includes(f))]).toEqual([schema, fields]);
  }
  expect(deprecatedFields('PrivateUserObject')).not.toContain('account_id');
});

describe.each(['development', 'extended'] as const)('every answer of the fake (%s mode) holds to the description', (mode) => {
  let served: Awaited<ReturnType<typeof answers>>;
  beforeAll(async () => {
    served = await answers(mode);
  });
  const options: CheckOptions = { development: mode === 'development' };

  test('declared fields of the declared types, every required one, no deprecated field in development mode', () => {
    // One line per departure, with the first place it was seen.
    const departures = new Map<string, string>();
    for (const { template, url, body } of served) {
      for (const p of conformance(body, OPENAPI.answers[template], options)) {
        const what = `${p.kind} ${p.field}`;
        if (!(what in KNOWN_DEPARTURES) && !departures.has(what)) departures.set(what, `${what} (GET ${url} ${p.at})`);
      }
    }
    expect([...departures.values()]).toEqual([]);
  });

  test(mode === 'development' ? 'none of the fields development mode lost; account_id and external_ids kept' : 'the fields development mode lost are served', () => {
    const all = served.map((a) => a.body);
    const me = served.find((a) => a.template === '/me')!.body;
    const artists = objectsOfType(served.filter((a) => a.template === '/me/top/artists').map((a) => a.body), 'artist');
    const tracks = objectsOfType(served.filter((a) => a.template === '/me/top/tracks').map((a) => a.body), 'track');
    const albums = tracks.map((t) => t.album as Record<string, unknown>);
    expect(me).toMatchObject({ id: SAMPLE_USER_ID, account_id: expect.any(String) });
    expect(tracks.every((t) => (t.external_ids as { isrc?: string }).isrc)).toBe(true);
    const has = (objects: Array<Record<string, unknown>>, field: string) => objects.length > 0 && objects.every((o) => field in o);
    const hasNone = (objects: Array<Record<string, unknown>>, field: string) => objects.every((o) => !(field in o));
    const expectation = mode === 'development' ? hasNone : has;
    for (const field of GONE_IN_DEVELOPMENT_MODE.ArtistObject) expect([field, expectation(artists, field)]).toEqual([field, true]);
    for (const field of ['popularity', 'available_markets']) expect([field, expectation(tracks, field)]).toEqual([field, true]);
    expect(expectation(albums, 'available_markets')).toBe(true);
    for (const field of GONE_IN_DEVELOPMENT_MODE.PrivateUserObject) expect([field, expectation([me], field)]).toEqual([field, true]);
    // No answer anywhere carries a relinked track's origin in development mode.
    if (mode === 'development') expect(JSON.stringify(all)).not.toContain('"linked_from"');
  });
});
