/**
 * A bad day on the API, several seeds: 30 % of Web API requests and 30 % of token calls fail (429s whose window
 * Spotify holds, 503s, connection resets, malformed bodies), access tokens live one second or a dozen calls
 * (they expire mid-paging, in queues and during pauses) and every refresh rotates the refresh token. Every run must complete
 * with exact counts: each readable playlist and top list whole and in order, nothing twice, only the ids that
 * answer 404/403 as errors; no request sent inside a Retry-After; the last rotated refresh token kept.
 */
import { extractRun } from '../../handlers/extract/extract-run';
import { loadSampleCatalog, SAMPLE_PLAYLIST_IDS, type FakeCatalog } from '../../local/fakes/spotify/catalog';
import { bucketDir, fake, input, OWNED, readJson } from './extract-helpers';
import { traceRequests, type RequestTrace } from './request-trace';

const SEEDS = [11, 23, 37, 41];
/** Short Retry-After so many 429s stay fast. */
const RETRY_AFTER_SECONDS = 0.4;

type Json = Record<string, any>;

function entryId(entry: FakeCatalog['playlists'][number]['entries'][number]): string | null {
  return entry.content.type === 'track' || entry.content.type === 'episode' ? entry.content.id : null;
}

describe.each(SEEDS)('30%% faults, seed %i', (seed) => {
  // Pauses and sends on the client's clock, in the order they happened (request-trace.ts): no window to race.
  let trace: RequestTrace;
  beforeEach(() => {
    trace = traceRequests();
  });
  afterEach(() => trace.stop());

  test('the run completes with exact counts, nothing twice, no request inside a pause, the rotated token kept', async () => {
    const catalog = loadSampleCatalog();
    const server = await fake({
      catalog,
      tokenTtlSeconds: 1,
      rotateRefreshToken: true,
      faults: {
        // Tokens also die after a dozen calls, so every seed renews them mid-paging, however fast it runs.
        expireTokenAfterApiCalls: 12,
        holdRetryAfter: true,
        randomFaults: [
          { fraction: 0.3, seed, retryAfterSeconds: RETRY_AFTER_SECONDS },
          { fraction: 0.3, seed: seed + 1000, path: '/api/token', kinds: ['rateLimit', 'serverError', 'reset'], retryAfterSeconds: RETRY_AFTER_SECONDS },
        ],
      },
    });
    const dir = bucketDir();
    const stored: string[] = [];
    const { manifest } = await extractRun(
      input(
        server,
        dir,
        {
          playlists: [OWNED[0], SAMPLE_PLAYLIST_IDS.notFound, SAMPLE_PLAYLIST_IDS.forbidden],
          includeMyPlaylists: true,
          topItems: { enabled: true },
          maxRetries: 5,
        },
        { onRefreshTokenRotated: async (token) => void stored.push(token), rateLimitGate: trace.gate },
      ),
    );

    // Only the ids that answer 404/403 are errors.
    expect(manifest.errors.map((e) => [e.entity_id, e.http_status]).sort()).toEqual(
      [[SAMPLE_PLAYLIST_IDS.forbidden, 403], [SAMPLE_PLAYLIST_IDS.notFound, 404]].sort(),
    );
    expect(manifest.stopped_early).toBeNull();

    // Every readable playlist whole, in order, each position once.
    const me = catalog.userId;
    const readable = catalog.playlists.filter(
      (p) => (p.ownerId === me || p.collaborators.includes(me)) && !catalog.editorialPlaylistIds.includes(p.id),
    );
    const playlists = manifest.objects.filter((o) => o.kind === 'playlist');
    expect(playlists.map((o) => o.entity_id).sort()).toEqual(readable.map((p) => p.id).sort());
    expect(new Set(manifest.objects.map((o) => o.key)).size).toBe(manifest.objects.length);
    for (const playlist of readable) {
      const object = playlists.find((o) => o.entity_id === playlist.id)!;
      const raw = readJson(dir, object.key);
      const pages = raw.item_pages as Json[];
      expect(pages.map((p) => p.offset)).toEqual(pages.map((_, i) => i * 50));
      const ids = pages.flatMap((p) => (p.items as Json[]).map((i) => i.item?.id ?? null));
      expect(ids).toEqual(playlist.entries.map(entryId));
      expect(object.items).toBe(playlist.entries.length);
    }
    expect(manifest.counts.playlist_items).toBe(readable.reduce((n, p) => n + p.entries.length, 0));

    // Every top list whole, in rank order.
    for (const type of ['tracks', 'artists'] as const) {
      for (const range of ['short_term', 'medium_term', 'long_term'] as const) {
        const object = manifest.objects.find((o) => o.entity_id === `me/${type}_${range}`)!;
        const ids = (readJson(dir, object.key).pages as Json[]).flatMap((p) => (p.items as Json[]).map((i) => i.id));
        expect(ids).toEqual(catalog.top[type][range]);
      }
    }
    expect(manifest.counts.top_items).toBe(40 + 75 + 99 + 20 + 35 + 50);

    // The faults really happened, and no request went out while a Retry-After ran.
    const stats = server.stats();
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.serverErrors + stats.connectionResets + stats.malformedResponses).toBeGreaterThan(0);
    expect(trace.events.filter((e) => e.kind === 'pause')).toHaveLength(trace.rateLimitedAnswers());
    expect(trace.sentDuringPause()).toEqual([]);

    // Tokens expired and were renewed; every rotation was kept, and the last one stored is the one that works.
    expect(stats.tokensIssued.refresh_token).toBeGreaterThan(1);
    expect(stored).toHaveLength(stats.tokensIssued.refresh_token!);
    expect(stored[stored.length - 1]).toBe(server.credentials.refreshToken);
  });
});
