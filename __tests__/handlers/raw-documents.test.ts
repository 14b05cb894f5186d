/**
 * The TypeScript side agrees with schemas/raw-documents.json, the one declaration of the raw layer: every document
 * kind has a key builder, a count and (a listener document) its scope, noun and configuration switch; the keys are
 * the templates filled in; and every count the JSON gives a metric is emitted by the extract handler, as the
 * manifest counted it (through the handler's metrics sink, against the fake Spotify).
 */
import rawDocumentsJson from '../../schemas/raw-documents.json';
import { ListeningConfigSchema } from '../../config/listeners';
import { parseConfig } from '../../config/pipeline-config';
import { createExtractHandler, type ExtractMetrics } from '../../handlers/extract/index';
import { LISTENING_SCOPE } from '../../handlers/extract/listener-extract';
import { playsCursorKey } from '../../handlers/extract/plays-cursor';
import {
  checkpointKey,
  COUNT_NAMES,
  documentKey,
  extractDatePrefix,
  listeningKey,
  MANIFEST_VERSION,
  manifestKey,
  parseManifestKey,
  PLAYLIST_STATE_KEY,
  playlistKey,
  PLAYS_RUN_ID,
  RUN_ID_PATTERN,
  runPrefix,
  topKey,
  type ManifestCounts,
  type RunManifest,
} from '../../handlers/shared/manifest';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';
import { catalogueSummary, listeningSummary, runSummary } from '../../handlers/shared/run-summary';
import { InMemoryCredentialStore } from '../../handlers/shared/spotify-secret';
import {
  CATALOGUE_KINDS,
  COUNTS,
  declared,
  DOCUMENTS,
  fillTemplate,
  LISTENING_DOCUMENTS,
  LISTENING_KINDS,
  templatePattern,
} from '../../schemas/raw-documents';
import { bucketDir, fake, OWNED, readJson } from './extract-helpers';

const json = rawDocumentsJson as unknown as {
  documents: Record<string, { key: string; listening: boolean; counts: { objects?: string; items: string } }>;
  counts: Record<string, { metric: string | null; plays_runs?: boolean }>;
};
const RUN = '20261125T060000Z-a1b2c3';
const DATE = '2026-11-25';
const PREFIX = `raw/extract_date=${DATE}/run_id=${RUN}/`;

describe('the declaration as the TypeScript side reads it', () => {
  test('every document kind and every count of the JSON, in its order; the listener documents are those marked listening', () => {
    expect(DOCUMENTS.map((d) => d.kind)).toEqual(Object.keys(json.documents));
    expect(COUNT_NAMES).toEqual(Object.keys(json.counts));
    expect(LISTENING_KINDS).toEqual(Object.keys(json.documents).filter((kind) => json.documents[kind].listening));
    expect([...CATALOGUE_KINDS]).toEqual(Object.keys(json.documents).filter((kind) => !json.documents[kind].listening));
  });

  test('the literal values the TypeScript types spell match the JSON', () => {
    expect(MANIFEST_VERSION).toBe(rawDocumentsJson.manifest.version);
    expect(RUN_ID_PATTERN.source).toBe(rawDocumentsJson.run_id.pattern);
    expect(PLAYS_RUN_ID.source).toBe(rawDocumentsJson.run_id.plays_pattern);
    expect(RUN_ID_PATTERN.test(rawDocumentsJson.run_id.example)).toBe(true);
    expect(() => declared(3, 2, 'manifest.version')).toThrow(/manifest\.version is 3; the TypeScript side .* expects 2/);
  });

  test('every document kind counts its items (and a run-wide one its objects) in a declared count', () => {
    for (const document of DOCUMENTS) {
      expect(COUNT_NAMES).toContain(document.counts.items);
      if (document.counts.objects) expect(COUNT_NAMES).toContain(document.counts.objects);
    }
  });

  test('every listener document has its scope, its noun and a switch the configuration has', () => {
    const switches = Object.keys(ListeningConfigSchema.parse({}));
    for (const document of LISTENING_DOCUMENTS) {
      expect(LISTENING_SCOPE[document.kind]).toMatch(/^user-[a-z-]+$/);
      expect(document.noun.many).not.toBe('');
      expect(switches).toContain(document.listeningSwitch);
    }
    expect(switches).toHaveLength(LISTENING_DOCUMENTS.length);
    // Plays runs read the listener documents whose count plays runs report.
    expect(LISTENING_DOCUMENTS.filter((d) => d.playsRuns).map((d) => d.counts.items)).toEqual(COUNTS.filter((c) => c.playsRuns).map((c) => c.name));
  });

  test('metric names are unique; the summary names the catalogue counts by their nouns (listener documents by theirs)', () => {
    const metrics = COUNTS.map((c) => c.metric).filter((m) => m !== null);
    expect(new Set(metrics).size).toBe(metrics.length);
    expect(COUNTS.filter((c) => c.noun).map((c) => c.name)).toEqual(['playlists', 'playlist_items', 'top_items']);
  });
});

describe('keys, built from the templates', () => {
  test('every document kind has a key builder, and its key is its template filled in under the run prefix', () => {
    const parts = { playlist_id: 'p1', item_type: 'tracks', time_range: 'short_term', spotify_user_id: 'u1' };
    for (const document of DOCUMENTS) {
      const names = [...document.key.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
      const own = Object.fromEntries(names.map((name) => [name, parts[name as keyof typeof parts]]));
      const key = documentKey(document.kind, RUN, DATE, own as never);
      expect(key.startsWith(PREFIX)).toBe(true);
      expect(key).not.toMatch(/[{}]/);
    }
  });

  test('the layout docs/data-contracts.md describes', () => {
    expect(runPrefix(RUN, DATE)).toBe(PREFIX);
    expect(extractDatePrefix(DATE)).toBe(`raw/extract_date=${DATE}/`);
    expect(manifestKey(RUN, DATE)).toBe(`${PREFIX}_manifest.json`);
    expect(checkpointKey(RUN, DATE)).toBe(`${PREFIX}_checkpoint.json`);
    expect(playlistKey(RUN, DATE, '3cEYpjA9oz9GiPac4AsH4n')).toBe(`${PREFIX}playlists/3cEYpjA9oz9GiPac4AsH4n.json`);
    // A Spotify user id names a file: encoded, so that no id can leave its folder.
    expect(topKey(RUN, DATE, 'artists', 'long_term', 'a/b c')).toBe(`${PREFIX}top/artists_long_term.a%2Fb%20c.json`);
    for (const kind of LISTENING_KINDS) expect(listeningKey(RUN, DATE, kind, 'u 1')).toBe(`${PREFIX}${kind}/u%201.json`);
    expect(PLAYLIST_STATE_KEY).toBe('raw/_state/playlists.json');
    expect(playsCursorKey('31qpxj4w7')).toBe('raw/_state/plays/31qpxj4w7.json');
  });

  test('a manifest key parses back into its parts; anything else is not a manifest', () => {
    expect(parseManifestKey(manifestKey(RUN, DATE))).toEqual({ extractDate: DATE, runId: RUN, prefix: PREFIX });
    expect(parseManifestKey(`${PREFIX}_checkpoint.json`)).toBeNull();
    expect(parseManifestKey(`raw/extract_date=${DATE}/run_id=not-a-run/_manifest.json`)).toBeNull();
    expect(parseManifestKey(`x${manifestKey(RUN, DATE)}`)).toBeNull();
  });

  test('a template part missing or left over is an error, not a key with a hole', () => {
    expect(() => fillTemplate('plays/{spotify_user_id}.json', {})).toThrow(/no value for \{spotify_user_id\}/);
    expect(() => fillTemplate('plays/{spotify_user_id}.json', { spotify_user_id: 'u', playlist_id: 'p' })).toThrow(/has no part \{playlist_id\}/);
    expect(templatePattern('a/{x}.json', { x: '[0-9]+' }).exec('a/12.json')?.groups).toEqual({ x: '12' });
  });
});

describe('counts in words', () => {
  const counts: Partial<ManifestCounts> = { playlists: 8, playlists_reused: 2, playlist_items: 549, top_items: 509, listeners: 2, plays: 100, saved_tracks: 1, followed_artists: 80 };
  test('a weekly run: the catalogue, errors and status, then the listeners', () => {
    expect(runSummary({ counts, errors: 0, status: 'complete' })).toBe(
      '8 playlists (2 unchanged, read from earlier runs), 549 items, 509 top items, 0 errors (complete); 2 listeners: 100 new plays, 1 saved track, 80 followed artists',
    );
    expect(runSummary({ counts: { playlists: 1, playlist_items: 1 }, errors: 1, status: 'partial' })).toBe('1 playlist, 1 item, 0 top items, 1 error (partial)');
  });
  test('a run stopped early says why; a quota stop names Spotify\'s QUOTA_EXCEEDED', () => {
    expect(runSummary({ counts: { listeners: 1, plays: 1 }, errors: 0, status: 'partial', mode: 'plays', stoppedEarly: { reason: 'quota_exceeded' } })).toBe(
      "1 listener: 1 new play, 0 errors (partial: stopped early, Spotify's quota for the app is used up (429 QUOTA_EXCEEDED); the next run catches up)",
    );
    expect(runSummary({ counts: { playlists: 1, playlist_items: 1 }, errors: 0, status: 'partial', stoppedEarly: { reason: 'time_budget_exhausted' } })).toBe(
      "1 playlist, 1 item, 0 top items, 0 errors (partial: stopped early, the run's time budget ran out; the next run catches up)",
    );
  });
  test('a plays run: what plays runs read', () => {
    expect(runSummary({ counts: { listeners: 1, plays: 1 }, errors: 0, status: 'complete', mode: 'plays' })).toBe('1 listener: 1 new play, 0 errors (complete)');
  });
  test('parts of it', () => {
    expect(catalogueSummary({ playlists: 2 })).toBe('2 playlists, 0 items, 0 top items');
    expect(listeningSummary({ saved_tracks: 3 })).toBe('0 new plays, 3 saved tracks, 0 followed artists');
  });
});

describe('metrics: every count with a metric, through the handler', () => {
  function handlerWith(server: Awaited<ReturnType<typeof fake>>, dir: string, metrics: Array<[string, number]>) {
    const config = parseConfig({
      environment: 'dev',
      project: 'spotify-pipeline',
      aws: { region: 'eu-west-1' },
      spotify: {
        apiBaseUrl: server.apiBaseUrl,
        accountsBaseUrl: server.accountsBaseUrl,
        playlists: OWNED.slice(0, 2),
        topItems: { enabled: true, timeRanges: ['short_term'] },
      },
    });
    const sink: ExtractMetrics = {
      addDimension: () => undefined,
      addMetric: (name, _unit, value) => metrics.push([name, value]),
      publishStoredMetrics: () => undefined,
    };
    return createExtractHandler({
      config,
      writer: new LocalFolderWriter(dir),
      secrets: new InMemoryCredentialStore({ ...server.credentials }),
      logger: { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {}, addContext() {} },
      metrics: sink,
    });
  }

  test('a weekly run reports every count metric once, with the manifest count; a plays run none of them, only PlaysStored (what its alarm reads)', async () => {
    const server = await fake();
    const dir = bucketDir();
    const metrics: Array<[string, number]> = [];
    const handler = handlerWith(server, dir, metrics);

    const weekly = await handler({ id: 'weekly-1', scheduledTime: '2026-11-23T06:00:00Z' });
    const manifest = readJson(dir, weekly.manifestKey) as RunManifest;
    expect(Object.keys(manifest.counts).sort()).toEqual([...COUNT_NAMES].sort());
    // Every document kind was read, so no count is trivially 0.
    for (const document of DOCUMENTS) expect(manifest.counts[document.counts.items]).toBeGreaterThan(0);
    const countMetrics = COUNTS.filter((c) => c.metric !== null);
    expect(countMetrics.length).toBeGreaterThan(0);
    for (const count of countMetrics) {
      expect(metrics.filter(([name]) => name === count.metric)).toEqual([[count.metric, manifest.counts[count.name]]]);
    }

    metrics.length = 0;
    await handler({ id: 'plays-1', scheduledTime: '2026-11-23T07:00:00Z', mode: 'plays' });
    // An hourly metric costs $0.30 a month and no alarm reads the counts: the poll reports the listeners it stored.
    expect(metrics.map(([name]) => name).filter((name) => countMetrics.some((c) => c.metric === name))).toEqual([]);
    expect(metrics).toContainEqual(['PlaysStored', 1]);
  });
});
