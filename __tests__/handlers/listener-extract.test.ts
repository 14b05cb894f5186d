/**
 * Listeners extracted side by side against the fake Spotify, each with their own refresh token: complete
 * documents for a working listener while another one's token is revoked, and the possible-gap report.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { extractListener } from '../../handlers/extract/listener-extract';
import { advancePlaysCursor, type StateObjects } from '../../handlers/extract/plays-cursor';
import { SpotifyClient } from '../../handlers/extract/spotify-client';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { SAMPLE_FRIEND_ID, SAMPLE_USER_ID } from '../../local/fake-spotify/catalog';
import { startFakeSpotify, type FakeSpotifyServer } from '../../local/fake-spotify/server';

const RUN = '20261125T183000Z-abcdef';
let server: FakeSpotifyServer;
beforeAll(async () => {
  server = await startFakeSpotify({ asOf: new Date('2026-11-25T18:30:00Z'), clock: 'frozen' });
});
afterAll(() => server.close());

function client(refreshToken: string): SpotifyClient {
  return new SpotifyClient({
    apiBaseUrl: server.apiBaseUrl,
    accountsBaseUrl: server.accountsBaseUrl,
    authMode: 'user',
    credentials: { clientId: server.credentials.clientId, clientSecret: server.credentials.clientSecret, refreshToken },
    maxConcurrentRequests: 4,
    requestTimeoutMs: 5_000,
    maxRetries: 1,
    deadline: Date.now() + 60_000,
    backoff: { baseMs: 5, capMs: 20 },
  });
}

function bucket(): { root: string; writer: LocalFolderWriter; state: StateObjects } {
  const root = mkdtempSync(join(tmpdir(), 'listener-extract-'));
  const writer = new LocalFolderWriter(root);
  const state: StateObjects = {
    put: (k, b, t) => writer.put(k, b, t),
    get: (k) => readFile(join(root, k)).catch(() => null),
  };
  return { root, writer, state };
}

test('two listeners side by side, one revoked: the other is complete, the revoked one is an error', async () => {
  const { root, writer, state } = bucket();
  const [sam, mira] = server.listeners();
  server.revokeListener(mira.userId);
  try {
    const what = { plays: true, savedTracks: true, followedArtists: true };
    const outcomes = await Promise.all(
      [['sam', sam], ['mira', mira]].map(([name, l]) =>
        extractListener({ listener: name as string, client: client((l as typeof sam).refreshToken), runId: RUN, extractDate: '2026-11-25', writer, state, what }),
      ),
    );
    const [samOut, miraOut] = outcomes;
    expect(samOut.errors).toEqual([]);
    expect(samOut.profile).toEqual({ spotifyUserId: SAMPLE_USER_ID, displayName: 'Sam Ple' });
    expect(samOut.objects.map((o) => [o.kind, o.items])).toEqual([['plays', 50], ['saved_tracks', 137], ['followed_artists', 57]]);
    for (const object of samOut.objects) {
      expect(object.key).toBe(`raw/extract_date=2026-11-25/run_id=${RUN}/${object.kind}/${SAMPLE_USER_ID}.json`);
      const bytes = readFileSync(join(root, object.key));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(object.sha256);
      const doc = JSON.parse(bytes.toString('utf8'));
      expect(doc).toMatchObject({ kind: object.kind, spotify_user_id: SAMPLE_USER_ID, listener_name: 'sam', display_name: 'Sam Ple' });
    }
    expect(miraOut.objects).toEqual([]);
    expect(miraOut.errors).toEqual([
      { kind: 'listener', entity_id: 'mira', http_status: null, message: expect.stringMatching(/invalid_grant: Refresh token revoked.*pipeline authorize/) },
    ]);
    expect(SAMPLE_FRIEND_ID).toBe(mira.userId);
  } finally {
    server.authorizeAs(SAMPLE_USER_ID); // authorising someone lifts only their revocation
  }
});

test('a poll from a stored cursor with more than 50 plays since reports the possible gap', async () => {
  const { writer, state } = bucket();
  const [sam] = server.listeners();
  const c = client(sam.refreshToken);
  const first = await extractListener({ listener: 'sam', client: c, runId: RUN, extractDate: '2026-11-25', writer, state, what: { plays: true, savedTracks: false, followedArtists: false } });
  expect(first.gap).toBeNull();
  await advancePlaysCursor(state, SAMPLE_USER_ID, first.plays!.cursorAfter!, RUN);
  server.advanceClock(3 * 24 * 3_600_000);
  try {
    const later = await extractListener({ listener: 'sam', client: c, runId: '20261128T183000Z-abcdef', extractDate: '2026-11-28', writer, state, what: { plays: true, savedTracks: false, followedArtists: false } });
    expect(later.plays).toMatchObject({ newPlays: 50, possibleGap: true, cursorBefore: first.plays!.cursorAfter });
    expect(later.gap).toMatchObject({ listener: 'sam', spotify_user_id: SAMPLE_USER_ID, cursor_before: new Date(first.plays!.cursorAfter!).toISOString() });
    expect(later.gap!.message).toMatch(/may be missing: Spotify serves only the last 50 plays/);
  } finally {
    server.advanceClock(-3 * 24 * 3_600_000);
  }
});
