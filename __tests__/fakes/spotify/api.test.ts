import { loadSampleCatalog, SAMPLE_FRIEND_COLLAB_PLAYLIST_ID, SAMPLE_FRIEND_PLAYLIST_ID, SAMPLE_PLAYLIST_IDS, SAMPLE_USER_ID } from '../../../local/fakes/spotify/catalog';
import { startFakeSpotify, type FakeSpotifyServer } from '../../../local/fakes/spotify/server';
import { appToken, getJson, userToken, walkPages } from './helpers';

const catalog = loadSampleCatalog();
const MORNING = '4rOoJ6Egrf8K2IrywzwOMk';
const AROUND = '6UeSakyzhiEt4NB3UAd6NQ';

describe('fake Spotify Web API', () => {
  let server: FakeSpotifyServer;
  let token: string;

  beforeAll(async () => {
    server = await startFakeSpotify();
    token = await userToken(server);
  });
  afterAll(() => server.close());

  it('listens on loopback with the base URLs others configure', () => {
    expect(server.apiBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(server.accountsBaseUrl).toBe(server.apiBaseUrl.replace(/\/v1$/, ''));
  });

  it('answers /v1/me with the sample user', async () => {
    const { status, body } = await getJson(`${server.apiBaseUrl}/me`, token);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: SAMPLE_USER_ID, type: 'user', uri: `spotify:user:${SAMPLE_USER_ID}` });
  });

  it('walks every item of every readable playlist, in catalog order, with the item/track alias', async () => {
    const readable = catalog.playlists.filter((p) => p.ownerId === SAMPLE_USER_ID || p.collaborators.includes(SAMPLE_USER_ID));
    for (const playlist of readable) {
      const pages = await walkPages(`${server.apiBaseUrl}/playlists/${playlist.id}/items?limit=50`, token);
      const items = pages.flatMap((p) => p.items);
      expect(items).toHaveLength(playlist.entries.length);
      expect(pages.every((p) => p.total === playlist.entries.length && p.limit === 50)).toBe(true);
      items.forEach((item, position) => {
        const entry = playlist.entries[position];
        expect(item.track).toEqual(item.item);
        expect(item.added_at).toBe(entry.addedAt);
        expect(item.added_by?.id ?? null).toBe(entry.addedBy);
        expect(item.is_local).toBe(entry.content.type === 'local');
        if (entry.content.type === 'track' || entry.content.type === 'episode') expect(item.item.id).toBe(entry.content.id);
        if (entry.content.type === 'missing') expect(item.item).toBeNull();
      });
    }
  });

  it('builds absolute next/previous links from its own base URL, and stops at the end', async () => {
    const first = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?limit=50`, token);
    expect(first.body.href).toBe(`${server.apiBaseUrl}/playlists/${MORNING}/items?offset=0&limit=50`);
    expect(first.body.next).toBe(`${server.apiBaseUrl}/playlists/${MORNING}/items?offset=50&limit=50`);
    expect(first.body.previous).toBeNull();
    const last = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?offset=100&limit=50`, token);
    expect(last.body.next).toBeNull();
    expect(last.body.previous).toBe(`${server.apiBaseUrl}/playlists/${MORNING}/items?offset=50&limit=50`);
    const beyond = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?offset=500`, token);
    expect(beyond.status).toBe(200);
    expect(beyond.body).toMatchObject({ items: [], total: 150, next: null, limit: 20 });
  });

  it('shapes tracks like development mode: no popularity, markets or label; external_ids kept', async () => {
    const { body } = await getJson(`${server.apiBaseUrl}/playlists/${AROUND}/items?limit=10`, token);
    const track = body.items[0].item;
    expect(track).toMatchObject({ type: 'track', is_local: false, external_ids: { isrc: expect.any(String) } });
    expect(track).not.toHaveProperty('popularity');
    expect(track).not.toHaveProperty('available_markets');
    expect(track.album).not.toHaveProperty('available_markets');
    expect(track.album).not.toHaveProperty('label');
    expect(track.album).toMatchObject({ release_date: expect.any(String), release_date_precision: expect.stringMatching(/^(year|month|day)$/) });
    expect(body.items.map((i: any) => i.item.name)).toEqual(
      expect.arrayContaining(['夜明けのメロディ', 'Белые ночи', 'ليالي الصحراء', 'Sunshine 🌞 Drive 🚗', 'Line One\nLine Two']),
    );
    const multi = body.items.find((i: any) => i.item.artists.length === 3);
    expect(multi).toBeDefined();
  });

  it('renders the awkward entries: null item, local file, episode', async () => {
    const { body } = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?limit=50&additional_types=track,episode`, token);
    expect(body.items[7]).toMatchObject({ item: null, track: null, is_local: false });
    expect(body.items[23]).toMatchObject({ is_local: true, item: { id: null, is_local: true, uri: expect.stringMatching(/^spotify:local:/) } });
    expect(body.items[42].item).toMatchObject({ type: 'episode', show: { type: 'show' }, uri: expect.stringMatching(/^spotify:episode:/) });
    // Paging links carry the client's additional_types on, as Spotify's do.
    expect(new URL(body.next).searchParams.get('additional_types')).toBe('track,episode');
    const old = await getJson(`${server.apiBaseUrl}/playlists/2Vq8ZbFq0nYdKcGx7uTnLe/items?limit=5`, token);
    expect(old.body.items.every((i: any) => i.added_at === null && i.added_by === null)).toBe(true);
  });

  it('honours additional_types: without `episode` an episode comes squeezed into a track object', async () => {
    const plain = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?limit=50`, token);
    const legacy = plain.body.items[42].item;
    expect(legacy).toMatchObject({ type: 'episode', track_number: 0, album: { type: 'show' }, artists: [{ type: 'show' }] });
    expect(legacy).not.toHaveProperty('show');
    expect(legacy).not.toHaveProperty('description');
    expect(new URL(plain.body.next).searchParams.has('additional_types')).toBe(false);
    // Tracks are the same either way.
    const typed = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?limit=50&additional_types=episode`, token);
    expect(typed.body.items[0]).toEqual(plain.body.items[0]);
    expect(typed.body.items[42].item).toMatchObject({ type: 'episode', show: { type: 'show' } });
  });

  it('validates limit (1..50) and offset with Spotify\'s error shape', async () => {
    for (const limit of ['0', '51', '100', 'abc', '-1', '2.5']) {
      const { status, body } = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?limit=${limit}`, token);
      expect(status).toBe(400);
      expect(body).toEqual({ error: { status: 400, message: 'Invalid limit' } });
    }
    const offset = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items?offset=-3`, token);
    expect(offset.body).toEqual({ error: { status: 400, message: 'Invalid offset' } });
    const ok = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items`, token);
    expect(ok.body.limit).toBe(20);
    const myLimit = await getJson(`${server.apiBaseUrl}/me/playlists?limit=51`, token);
    expect(myLimit.status).toBe(400);
  });

  it('embeds the first page in GET /v1/playlists/{id} and honours fields', async () => {
    const full = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}`, token);
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ id: MORNING, name: 'Morning Commute', owner: { id: SAMPLE_USER_ID }, type: 'playlist' });
    expect(full.body.items.items).toHaveLength(50);
    expect(full.body.items.total).toBe(150);
    expect(full.body.tracks).toEqual(full.body.items);
    expect(full.body).not.toHaveProperty('followers');

    const without = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}?fields=!items,tracks`, token);
    expect(without.body).not.toHaveProperty('items');
    expect(without.body).not.toHaveProperty('tracks');
    expect(without.body.snapshot_id).toBe(full.body.snapshot_id);

    const picked = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}?fields=id,owner(id),items.total,items.next`, token);
    expect(picked.body).toEqual({ id: MORNING, owner: { id: SAMPLE_USER_ID }, items: { total: 150, next: full.body.items.next } });

    const bad = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}?fields=id,(`, token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/Invalid fields parameter/);
  });

  it('pages /v1/me/playlists with owned, collaborative and followed playlists', async () => {
    const pages = await walkPages(`${server.apiBaseUrl}/me/playlists?limit=4`, token);
    expect(pages.length).toBe(3);
    const items = pages.flatMap((p) => p.items);
    const me = catalog.userId;
    const listed = catalog.playlists.filter((p) => p.ownerId === me || p.collaborators.includes(me) || p.followedBy.includes(me));
    expect(items.map((p: any) => p.id)).toEqual(listed.map((p) => p.id));
    // Another user's own playlist is not the sample user's to list.
    expect(items.map((p: any) => p.id)).not.toContain(SAMPLE_FRIEND_PLAYLIST_ID);
    expect(items.map((p: any) => p.id)).not.toContain(SAMPLE_PLAYLIST_IDS.notFound);
    const morning = items.find((p: any) => p.id === MORNING);
    expect(morning.items).toEqual({ href: `${server.apiBaseUrl}/playlists/${MORNING}/items`, total: 150 });
    expect(morning.tracks).toEqual(morning.items);
  });

  it('gives 403 on items of a playlist the user neither owns nor collaborates on, but its metadata', async () => {
    const items = await getJson(`${server.apiBaseUrl}/playlists/${SAMPLE_PLAYLIST_IDS.forbidden}/items`, token);
    expect(items.status).toBe(403);
    expect(items.body).toEqual({ error: { status: 403, message: 'Forbidden' } });
    const meta = await getJson(`${server.apiBaseUrl}/playlists/${SAMPLE_PLAYLIST_IDS.forbidden}`, token);
    expect(meta.status).toBe(200);
    expect(meta.body).not.toHaveProperty('items');
    const friends = await getJson(`${server.apiBaseUrl}/playlists/${SAMPLE_FRIEND_COLLAB_PLAYLIST_ID}/items`, token);
    expect(friends.status).toBe(200);
  });

  it('gives 404 on everything for the editorial playlist, and for unknown ids', async () => {
    for (const suffix of ['', '/items', '/tracks']) {
      const { status, body } = await getJson(`${server.apiBaseUrl}/playlists/${SAMPLE_PLAYLIST_IDS.notFound}${suffix}`, token);
      expect(status).toBe(404);
      expect(body).toEqual({ error: { status: 404, message: 'Resource not found' } });
    }
    expect((await getJson(`${server.apiBaseUrl}/playlists/0000000000000000000000/items`, token)).status).toBe(404);
    const badId = await getJson(`${server.apiBaseUrl}/playlists/not-an-id/items`, token);
    expect(badId.body).toEqual({ error: { status: 400, message: 'Invalid base62 id' } });
  });

  it('closes the old /tracks endpoint with 403', async () => {
    const { status, body } = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/tracks`, token);
    expect(status).toBe(403);
    expect(body).toEqual({ error: { status: 403, message: 'Forbidden' } });
  });

  it('closes batch endpoints and removed endpoints like development mode', async () => {
    const trackId = Object.keys(catalog.tracks)[0];
    for (const path of [`/tracks?ids=${trackId}`, `/artists?ids=${catalog.tracks[trackId].artistIds[0]}`, '/albums?ids=x']) {
      expect((await getJson(`${server.apiBaseUrl}${path}`, token)).status).toBe(403);
    }
    expect((await getJson(`${server.apiBaseUrl}/browse/new-releases`, token)).status).toBe(404);
    expect((await getJson(`${server.apiBaseUrl}/artists/${catalog.tracks[trackId].artistIds[0]}/related-artists`, token)).status).toBe(404);
    const single = await getJson(`${server.apiBaseUrl}/tracks/${trackId}`, token);
    expect(single.status).toBe(200);
    expect(single.body.id).toBe(trackId);
  });

  it('serves top tracks and top artists for every time range, artists as full objects', async () => {
    for (const range of ['short_term', 'medium_term', 'long_term'] as const) {
      const tracks = (await walkPages(`${server.apiBaseUrl}/me/top/tracks?time_range=${range}&limit=50`, token)).flatMap((p) => p.items);
      expect(tracks.map((t: any) => t.id)).toEqual(catalog.top.tracks[range]);
      const artistsPages = await walkPages(`${server.apiBaseUrl}/me/top/artists?time_range=${range}&limit=50`, token);
      const artists = artistsPages.flatMap((p) => p.items);
      expect(artists.map((a: any) => a.id)).toEqual(catalog.top.artists[range]);
      expect(artists[0]).toMatchObject({ type: 'artist', images: expect.any(Array) });
      expect(artists[0]).not.toHaveProperty('genres');
      expect(artists[0]).not.toHaveProperty('followers');
      expect(artists[0]).not.toHaveProperty('popularity');
    }
    const next = (await getJson(`${server.apiBaseUrl}/me/top/tracks?time_range=long_term&limit=50`, token)).body.next;
    expect(next).toBe(`${server.apiBaseUrl}/me/top/tracks?offset=50&limit=50&time_range=long_term`);
    expect((await getJson(`${server.apiBaseUrl}/me/top/tracks?time_range=forever`, token)).status).toBe(400);
    expect((await getJson(`${server.apiBaseUrl}/me/top/albums`, token)).status).toBe(400);
  });

  it('answers 401 in Spotify\'s shape without a valid token', async () => {
    const none = await getJson(`${server.apiBaseUrl}/me`);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { status: 401, message: 'No token provided' } });
    const invalid = await getJson(`${server.apiBaseUrl}/me`, 'not-a-token');
    expect(invalid.body).toEqual({ error: { status: 401, message: 'Invalid access token' } });
  });

  it('refuses /v1/me* to a client-credentials token and its items access in development mode', async () => {
    const app = await appToken(server);
    expect((await getJson(`${server.apiBaseUrl}/me`, app)).status).toBe(401);
    expect((await getJson(`${server.apiBaseUrl}/me/playlists`, app)).status).toBe(401);
    const top = await getJson(`${server.apiBaseUrl}/me/top/tracks`, app);
    expect(top.body).toEqual({ error: { status: 403, message: 'Insufficient client scope' } });
    expect((await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/items`, app)).status).toBe(403);
    expect((await getJson(`${server.apiBaseUrl}/playlists/${MORNING}`, app)).status).toBe(200);
  });

  it('keeps counts of what it served', () => {
    const stats = server.stats();
    expect(stats.byRoute['GET /v1/playlists/{id}/items']).toBeGreaterThan(10);
    expect(stats.tokenCalls.refresh_token).toBe(1);
    expect(stats.tokenCalls.client_credentials).toBe(1);
    const log = server.requests();
    expect(log.length).toBe(stats.requests);
    expect(log[0]).toEqual({ method: 'POST', path: '/api/token', status: 200, at: expect.any(Number), respondedAt: expect.any(Number) });
    expect(log[0].respondedAt).toBeGreaterThanOrEqual(log[0].at);
  });
});

describe('fake Spotify in extended-quota mode', () => {
  it('lets an app token read items of any non-editorial playlist, also through /tracks', async () => {
    const server = await startFakeSpotify({ accessMode: 'extended' });
    try {
      const app = await appToken(server);
      expect((await getJson(`${server.apiBaseUrl}/playlists/${SAMPLE_PLAYLIST_IDS.forbidden}/items`, app)).status).toBe(200);
      const old = await getJson(`${server.apiBaseUrl}/playlists/${MORNING}/tracks?limit=5`, app);
      expect(old.status).toBe(200);
      expect(old.body.items).toHaveLength(5);
      expect((await getJson(`${server.apiBaseUrl}/playlists/${SAMPLE_PLAYLIST_IDS.notFound}/items`, app)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
