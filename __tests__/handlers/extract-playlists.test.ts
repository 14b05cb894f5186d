/**
 * Every listener's own playlists, each read with that listener's own token, against the fake Spotify as a
 * Development Mode app sees it: Sam and Mira each own playlists and share one collaborative playlist (Mira's
 * Kitchen Disco); /playlists/{id}/items answers 403 to anyone who neither owns nor collaborates on a playlist.
 */
import { extractRun, newRunId, type ExtractListenerInput } from '../../handlers/extract/extract-run';
import { PLAYLIST_STATE_KEY, type ManifestObject } from '../../handlers/shared/manifest';
import {
  loadSampleCatalog,
  SAMPLE_FRIEND_COLLAB_PLAYLIST_ID,
  SAMPLE_FRIEND_ID,
  SAMPLE_FRIEND_PLAYLIST_ID,
  SAMPLE_PLAYLIST_IDS,
  SAMPLE_USER_ID,
} from '../../local/fakes/spotify/catalog';
import type { FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { bucketDir, fake, input, OWNED, readJson } from './extract-helpers';

const catalog = loadSampleCatalog();
const itemsOf = (id: string) => catalog.playlists.find((p) => p.id === id)!.entries.length;
const SAM = { listener: 'sam', spotify_user_id: SAMPLE_USER_ID };
const MIRA = { listener: 'mira', spotify_user_id: SAMPLE_FRIEND_ID };
/** The configuration's listeners: a playlist may name one of them. */
const CONFIGURED = [{ name: 'sam', refreshToken: {} }, { name: 'mira', refreshToken: {} }];

async function twoListeners() {
  return fake({
    listeners: [
      { userId: SAMPLE_USER_ID, displayName: 'Sam Ple', refreshToken: 'AQDlists-sam', seed: 41, savedTracks: 0, followedArtists: 0 },
      { userId: SAMPLE_FRIEND_ID, displayName: 'Mira', refreshToken: 'AQDlists-mira', seed: 42, savedTracks: 0, followedArtists: 0 },
    ],
  });
}

function listenersOf(server: FakeSpotifyServer): ExtractListenerInput[] {
  return server.listeners().map((l, i) => ({ name: ['sam', 'mira'][i], credentials: { ...server.credentials, refreshToken: l.refreshToken } }));
}

const itemPages = (server: FakeSpotifyServer) => server.requests().filter((r) => r.path.split('?')[0].endsWith('/items')).length;
const playlistsOf = (objects: ManifestObject[]) => objects.filter((o) => o.kind === 'playlist');

test("two users, each owning playlists and sharing one: one extract holds every playlist each can read, once, with exact item counts and no 403", async () => {
  const server = await twoListeners();
  const dir = bucketDir();
  const { manifest } = await extractRun(input(server, dir, { playlists: [], includeMyPlaylists: true }, { listeners: listenersOf(server) }));
  expect(manifest.errors).toEqual([]);
  expect(manifest.status).toBe('complete');
  const playlists = playlistsOf(manifest.objects);
  const expected = [...OWNED, SAMPLE_FRIEND_COLLAB_PLAYLIST_ID, SAMPLE_FRIEND_PLAYLIST_ID];
  // Each exactly once; Northwind (Sam only follows it) is not read at all.
  expect(playlists.map((o) => o.entity_id).sort()).toEqual([...expected].sort());
  for (const o of playlists) expect([o.entity_id, o.items]).toEqual([o.entity_id, itemsOf(o.entity_id)]);
  expect(server.requests().filter((r) => r.status === 403)).toEqual([]);
  // Mira's own playlist was read with her token, and the document says so.
  const miras = playlists.find((o) => o.entity_id === SAMPLE_FRIEND_PLAYLIST_ID)!;
  expect(miras.spotify_user_id).toBe(SAMPLE_FRIEND_ID);
  expect(readJson(dir, miras.key)).toMatchObject({ playlist_id: SAMPLE_FRIEND_PLAYLIST_ID, spotify_user_id: SAMPLE_FRIEND_ID });
  // Whose each playlist is: the shared one belongs to both (fetched once), the others to their owner.
  expect(miras.belongs_to).toEqual([{ ...MIRA, role: 'owner' }]);
  expect(playlists.find((o) => o.entity_id === SAMPLE_FRIEND_COLLAB_PLAYLIST_ID)!.belongs_to).toEqual([
    { ...SAM, role: 'collaborator' },
    { ...MIRA, role: 'owner' },
  ]);
  for (const id of OWNED) expect(playlists.find((o) => o.entity_id === id)!.belongs_to).toEqual([{ ...SAM, role: 'owner' }]);
  expect(manifest.counts).toMatchObject({ playlists: 9, playlist_items: expected.reduce((n, id) => n + itemsOf(id), 0) });
});

test("a configured playlist of the second listener is read with their token: by name, or by plain id (whoever can read it)", async () => {
  const server = await twoListeners();
  const dir = bucketDir();
  const named = await extractRun(
    input(server, dir, { listeners: CONFIGURED, playlists: [{ id: SAMPLE_FRIEND_PLAYLIST_ID, listener: 'mira' }, OWNED[0]] }, { listeners: listenersOf(server) }),
  );
  expect(named.manifest.errors).toEqual([]);
  expect(playlistsOf(named.manifest.objects).map((o) => [o.entity_id, o.spotify_user_id, o.items])).toEqual([
    [OWNED[0], SAMPLE_USER_ID, 150],
    [SAMPLE_FRIEND_PLAYLIST_ID, SAMPLE_FRIEND_ID, 30],
  ].sort());

  const plain = await extractRun(
    input(server, bucketDir(), { playlists: [SAMPLE_FRIEND_PLAYLIST_ID] }, { listeners: listenersOf(server), runId: newRunId(new Date('2026-11-25T07:00:00Z'), 'plain') }),
  );
  expect(plain.manifest.status).toBe('complete');
  expect(playlistsOf(plain.manifest.objects).map((o) => [o.entity_id, o.spotify_user_id, o.items, o.belongs_to])).toEqual([
    [SAMPLE_FRIEND_PLAYLIST_ID, SAMPLE_FRIEND_ID, 30, [{ ...MIRA, role: 'owner' }]],
  ]);
});

test('a playlist no listener may read is one error naming who tried; one named for a listener who cannot read it names them', async () => {
  const server = await twoListeners();
  const { manifest } = await extractRun(
    input(server, bucketDir(), { listeners: CONFIGURED, playlists: [SAMPLE_PLAYLIST_IDS.forbidden, { id: SAMPLE_FRIEND_PLAYLIST_ID, listener: 'sam' }, OWNED[1]] }, { listeners: listenersOf(server) }),
  );
  expect(manifest.status).toBe('partial');
  expect(manifest.errors).toEqual([
    { kind: 'playlist', entity_id: SAMPLE_FRIEND_PLAYLIST_ID, http_status: 403, message: expect.stringMatching(/^Forbidden: listener sam neither owns nor collaborates on it/) },
    { kind: 'playlist', entity_id: SAMPLE_PLAYLIST_IDS.forbidden, http_status: 403, message: expect.stringMatching(/^Forbidden: no listener \(sam, mira\) owns or collaborates on it/) },
  ].sort((a, b) => a.entity_id.localeCompare(b.entity_id)));
  expect(playlistsOf(manifest.objects).map((o) => o.entity_id)).toEqual([OWNED[1]]);
});

test("one listener's refused token leaves the others' playlists intact; the run is partial and names them", async () => {
  const server = await twoListeners();
  server.revokeListener(SAMPLE_FRIEND_ID);
  const { manifest } = await extractRun(
    input(server, bucketDir(), { listeners: CONFIGURED, playlists: [{ id: SAMPLE_FRIEND_PLAYLIST_ID, listener: 'mira' }], includeMyPlaylists: true }, { listeners: listenersOf(server) }),
  );
  expect(manifest.status).toBe('partial');
  expect(manifest.errors.map((e) => [e.kind, e.entity_id])).toEqual([['listener', 'mira']]);
  const playlists = playlistsOf(manifest.objects);
  // Sam's own and the shared one (Sam collaborates on it), complete; Mira's own could not be read by anyone.
  expect(playlists.map((o) => o.entity_id).sort()).toEqual([...OWNED, SAMPLE_FRIEND_COLLAB_PLAYLIST_ID].sort());
  expect(playlists.find((o) => o.entity_id === SAMPLE_FRIEND_COLLAB_PLAYLIST_ID)!.belongs_to).toEqual([{ ...SAM, role: 'collaborator' }]);
});

test("next week, each listener's unchanged playlists are reused from the state, not paged again, and still belong to them", async () => {
  const server = await twoListeners();
  const dir = bucketDir();
  const listeners = listenersOf(server);
  const week1 = await extractRun(input(server, dir, { playlists: [], includeMyPlaylists: true }, { listeners }));
  const pagesBefore = itemPages(server);
  const week2 = await extractRun(
    input(server, dir, { playlists: [], includeMyPlaylists: true }, { listeners, runId: newRunId(new Date('2026-12-02T06:00:00Z'), 'week2'), startedAt: new Date('2026-12-02T06:00:00Z') }),
  );
  expect(itemPages(server)).toBe(pagesBefore);
  expect(week2.manifest.counts).toMatchObject({ playlists: 9, playlists_reused: 9, item_page_calls: 0 });
  const reused = playlistsOf(week2.manifest.objects).find((o) => o.entity_id === SAMPLE_FRIEND_PLAYLIST_ID)!;
  expect(reused).toMatchObject({ fetched_in_run: week1.manifest.run_id, spotify_user_id: SAMPLE_FRIEND_ID, belongs_to: [{ ...MIRA, role: 'owner' }] });
  expect(readJson(dir, PLAYLIST_STATE_KEY).playlists[SAMPLE_FRIEND_PLAYLIST_ID]).toMatchObject({ read_by: SAMPLE_FRIEND_ID });
});

test("a resumed run keeps what its first attempt read and adds the playlists of a listener who could not be read then (a 403 of then tried again), each once", async () => {
  const server = await twoListeners();
  server.revokeListener(SAMPLE_FRIEND_ID);
  const dir = bucketDir();
  const listeners = listenersOf(server);
  // The first attempt dies before its manifest; its checkpoint holds Sam's playlists and the shared one.
  const writer = new LocalFolderWriter(dir);
  const put = writer.put.bind(writer);
  const puts: Array<Promise<unknown>> = [];
  writer.put = (key, body, type) => {
    const written = key.endsWith('_manifest.json') ? Promise.reject(new Error('S3 is down')) : put(key, body, type);
    puts.push(written);
    return written;
  };
  // Her playlist is also configured by plain id: Sam, the only one who can be asked in the first attempt, gets a 403.
  const spotify = { playlists: [SAMPLE_FRIEND_PLAYLIST_ID], includeMyPlaylists: true };
  await expect(extractRun(input(server, dir, spotify, { listeners, writer }))).rejects.toThrow(/S3 is down/);
  for (let seen = -1; seen !== puts.length; ) {
    seen = puts.length;
    await Promise.allSettled(puts);
  }
  server.authorizeAs(SAMPLE_FRIEND_ID); // Mira authorises the app again
  const pagesBefore = itemPages(server);
  const { manifest, resumed } = await extractRun(input(server, dir, spotify, { listeners }));
  expect([resumed, manifest.errors]).toEqual([true, []]);
  // Only Mira's own playlist was paged in the second attempt (30 items, one page).
  expect(itemPages(server) - pagesBefore).toBe(1);
  const playlists = playlistsOf(manifest.objects);
  expect(playlists.map((o) => o.entity_id).sort()).toEqual([...OWNED, SAMPLE_FRIEND_COLLAB_PLAYLIST_ID, SAMPLE_FRIEND_PLAYLIST_ID].sort());
  expect(playlists.find((o) => o.entity_id === SAMPLE_FRIEND_COLLAB_PLAYLIST_ID)!.belongs_to).toEqual([
    { ...SAM, role: 'collaborator' },
    { ...MIRA, role: 'owner' },
  ]);
});
