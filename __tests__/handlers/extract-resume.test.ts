/**
 * A run never loses what it fetched, and fetches only what it must: a failed run resumes from its checkpoint
 * under the same run id; a playlist unchanged since its last complete fetch (same snapshot id) costs no item
 * pages and the manifest points at the earlier object; a playlist that changes while it is paged is fetched once
 * more and flagged.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractRun, ExtractFailedError, newRunId } from '../../handlers/extract/extract-run';
import { checkpointKey, PLAYLIST_STATE_KEY } from '../../handlers/shared/manifest';
import { loadSampleCatalog, SAMPLE_FRIEND_ID, SAMPLE_PLAYLIST_IDS, SAMPLE_USER_ID } from '../../local/fakes/spotify/catalog';
import type { FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { bucketDir, fake, input, listFiles, OWNED, readJson } from './extract-helpers';

const itemPageCalls = (server: FakeSpotifyServer) => server.requests().filter((r) => /\/items(\?|$)/.test(r.path)).length;
const sha256 = (dir: string, key: string) => createHash('sha256').update(readFileSync(join(dir, key))).digest('hex');

describe('resume', () => {
  test('a run that dies keeps its finished objects; the same run id fetches only the rest, then writes the manifest', async () => {
    const dir = bucketDir();
    const first = await fake();
    const playlists = OWNED.slice(0, 4);
    let closing: Promise<void> | null = null;
    const run = input(first, dir, { maxConcurrentRequests: 1, maxRetries: 1, playlists }, {
      onProgress: (event) => {
        if (event.type === 'playlist-done' && event.playlistId === playlists[1]) closing ??= first.close();
      },
    });
    const error = await extractRun(run).catch((e: unknown) => e);
    await closing;
    expect(error).toBeInstanceOf(ExtractFailedError);
    expect((error as Error).message).toContain(`resume with \`pipeline extract --run-id ${run.runId}\``);
    const checkpoint = readJson(dir, checkpointKey(run.runId, '2026-11-25'));
    expect(checkpoint.objects.map((o: { entity_id: string }) => o.entity_id).sort()).toEqual(playlists.slice(0, 2).sort());
    expect(checkpoint.attempts).toEqual([expect.objectContaining({ outcome: 'failed', message: expect.stringMatching(/unreachable/) })]);
    expect(listFiles(dir).some((f) => f.endsWith('_manifest.json'))).toBe(false);

    // Spotify is back (another server, same catalog); the same run id again.
    const second = await fake();
    const resumed = await extractRun(input(second, dir, { playlists }, { runId: run.runId }));
    expect(resumed.resumed).toBe(true);
    const { manifest } = resumed;
    expect(manifest).toMatchObject({ status: 'complete', attempts: 2, run_id: run.runId });
    expect(manifest.objects.map((o) => o.entity_id).sort()).toEqual([...playlists].sort());
    // Only the two missing playlists were asked for the second time.
    const asked = new Set(second.requests().filter((r) => r.path.startsWith('/v1/playlists/')).map((r) => r.path.split('/')[3].split('?')[0]));
    expect([...asked].sort()).toEqual(playlists.slice(2).sort());
    // Counts add up over both attempts (the first one's include the calls that found the server gone).
    expect(manifest.counts.api_calls).toBeGreaterThan(first.stats().requests - 1 + second.stats().requests - 1);
    expect(manifest.counts.token_calls).toBeGreaterThanOrEqual(2);
    for (const o of manifest.objects) expect(sha256(dir, o.key)).toBe(o.sha256);
    expect(readJson(dir, checkpointKey(run.runId, '2026-11-25')).attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'complete']);
  });

  test("two listeners' top lists: each its own checkpoint entry and object; a resume fetches only the lists missing", async () => {
    const dir = bucketDir();
    const first = await fake();
    const names = ['sam', 'mira'];
    const listeners = (server: FakeSpotifyServer) =>
      server.listeners().map((l, i) => ({ name: names[i], credentials: { ...server.credentials, refreshToken: l.refreshToken } }));
    const top = { enabled: true, timeRanges: ['short_term', 'medium_term', 'long_term'] as Array<'short_term' | 'medium_term' | 'long_term'> };
    let closing: Promise<void> | null = null;
    const run = input(first, dir, { maxConcurrentRequests: 1, maxRetries: 1, playlists: [], topItems: top }, {
      listeners: listeners(first),
      // Sam's six lists are done and Mira's first one: then Spotify goes away.
      onProgress: (event) => {
        if (event.type === 'top-done' && event.listener === 'mira') closing ??= first.close();
      },
    });
    const error = await extractRun(run).catch((e: unknown) => e);
    await closing;
    expect(error).toBeInstanceOf(ExtractFailedError);
    const done = readJson(dir, checkpointKey(run.runId, '2026-11-25')).objects as Array<{ entity_id: string; spotify_user_id: string }>;
    expect(done.filter((o) => o.entity_id.startsWith('sam/'))).toHaveLength(6);
    expect(done.filter((o) => o.entity_id.startsWith('mira/'))).toHaveLength(1);

    const second = await fake();
    const { manifest, resumed } = await extractRun(input(second, dir, { playlists: [], topItems: top }, { runId: run.runId, listeners: listeners(second) }));
    expect(resumed).toBe(true);
    expect(manifest).toMatchObject({ status: 'complete', attempts: 2, counts: { top_lists: 12, listeners: 2 } });
    const tops = manifest.objects.filter((o) => o.kind === 'top');
    expect(new Set(tops.map((o) => o.key)).size).toBe(12);
    expect(tops.filter((o) => o.spotify_user_id === SAMPLE_USER_ID).map((o) => o.entity_id.split('/')[0])).toEqual(Array(6).fill('sam'));
    expect(tops.filter((o) => o.spotify_user_id === SAMPLE_FRIEND_ID).map((o) => o.entity_id.split('/')[0])).toEqual(Array(6).fill('mira'));
    // Only Mira's five missing lists were asked for (one page each), nothing of Sam's again.
    expect(second.requests().filter((r) => r.path.startsWith('/v1/me/top/'))).toHaveLength(5);
    for (const o of tops) {
      expect(sha256(dir, o.key)).toBe(o.sha256);
      expect(readJson(dir, o.key)).toMatchObject({ kind: 'top', spotify_user_id: o.spotify_user_id });
    }
  });

  test('a transient failure is retried in later passes before it is recorded; only a 4xx is final in the checkpoint', async () => {
    const dir = bucketDir();
    const server = await fake({ faults: { rules: [{ path: `/v1/playlists/${OWNED[1]}/items`, count: 100, action: { kind: 'serverError', status: 503 } }] } });
    const runId = newRunId(new Date('2026-11-25T06:00:00Z'), 'resume-errors');
    const playlists = [OWNED[0], OWNED[1], SAMPLE_PLAYLIST_IDS.notFound];
    const { manifest } = await extractRun(input(server, dir, { playlists, maxRetries: 1 }, { runId }));
    expect(manifest.status).toBe('partial');
    expect(manifest.errors.map((e) => [e.entity_id, e.http_status])).toEqual(
      [[OWNED[1], 503], [SAMPLE_PLAYLIST_IDS.notFound, 404]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    // Three passes over the transient failure, two attempts each.
    const failing = server.requests().filter((r) => r.path.startsWith(`/v1/playlists/${OWNED[1]}/items`));
    expect(failing).toHaveLength(6);
    // The 404 was recorded in the checkpoint as final; the 503 was not.
    const checkpoint = readJson(dir, checkpointKey(runId, '2026-11-25'));
    expect(checkpoint.errors.map((e: { entity_id: string }) => e.entity_id)).toEqual([SAMPLE_PLAYLIST_IDS.notFound]);
  });

  test('a Retry-After past the budget keeps the run partial with what was done; the run id is then final', async () => {
    const dir = bucketDir();
    const server = await fake({ faults: { rules: [{ path: `/v1/playlists/${OWNED[2]}/items`, count: 1, action: { kind: 'rateLimit', retryAfterSeconds: 120 } }] } });
    const run = input(server, dir, { maxConcurrentRequests: 1 }, { timeBudgetSeconds: 30 });
    const { manifest } = await extractRun(run);
    expect(manifest.stopped_early?.reason).toBe('retry_after_beyond_budget');
    const again = await extractRun(run);
    expect(again.alreadyComplete).toBe(true);
    expect(again.manifest).toEqual(manifest);
  });
});

describe('incremental', () => {
  const mine = { playlists: [], includeMyPlaylists: true };

  test('an unchanged library costs no item-page calls, and the manifest points at the earlier objects', async () => {
    const dir = bucketDir();
    const first = await fake();
    const day1 = await extractRun(input(first, dir, mine, { runId: newRunId(new Date('2026-11-23T06:00:00Z'), 'a'), startedAt: new Date('2026-11-23T06:00:00Z') }));
    expect(day1.manifest.counts.playlists_reused).toBe(0);
    const state = readJson(dir, PLAYLIST_STATE_KEY);
    expect(Object.keys(state.playlists).sort()).toEqual(day1.manifest.objects.map((o) => o.entity_id).sort());

    const second = await fake();
    const runId = newRunId(new Date('2026-11-24T06:00:00Z'), 'b');
    const { manifest } = await extractRun(input(second, dir, mine, { runId, startedAt: new Date('2026-11-24T06:00:00Z') }));
    expect(itemPageCalls(second)).toBe(0);
    expect(manifest.counts).toMatchObject({ item_page_calls: 0, playlists: day1.manifest.counts.playlists, playlists_reused: day1.manifest.counts.playlists });
    // /v1/me and one page of /v1/me/playlists: the snapshot ids come with the listing.
    expect(manifest.counts.api_calls).toBe(2);
    expect(manifest.counts.playlist_items).toBe(day1.manifest.counts.playlist_items);
    for (const object of manifest.objects) {
      const earlier = day1.manifest.objects.find((o) => o.entity_id === object.entity_id)!;
      expect(object).toMatchObject({ key: earlier.key, sha256: earlier.sha256, items: earlier.items, fetched_in_run: day1.manifest.run_id, snapshot_id: earlier.snapshot_id });
    }
    // Nothing of the earlier run was touched; this run wrote no playlist object of its own.
    expect(listFiles(dir).filter((f) => f.includes(`run_id=${runId}/playlists/`))).toEqual([]);
    for (const o of day1.manifest.objects) expect(sha256(dir, o.key)).toBe(o.sha256);
  });

  test('1 of N playlists changed: only its pages are fetched', async () => {
    const dir = bucketDir();
    const day1 = await extractRun(input(await fake(), dir, mine, { runId: newRunId(new Date('2026-11-23T06:00:00Z'), 'a') }));
    const catalog = loadSampleCatalog();
    const changed = catalog.playlists.find((p) => p.id === OWNED[1])!;
    changed.entries = changed.entries.slice(1);
    changed.snapshotId = 'QUFBQWNoYW5nZWQtYnktdGhlLXRlc3Q=';
    const server = await fake({ catalog });
    const { manifest } = await extractRun(input(server, dir, mine, { runId: newRunId(new Date('2026-11-24T06:00:00Z'), 'b') }));
    const pages = Math.ceil(changed.entries.length / 50);
    expect(itemPageCalls(server)).toBe(pages);
    expect(manifest.counts).toMatchObject({ item_page_calls: pages, playlists_reused: day1.manifest.counts.playlists - 1 });
    expect(manifest.objects.find((o) => o.entity_id === OWNED[1])).toMatchObject({
      fetched_in_run: manifest.run_id,
      items: changed.entries.length,
      snapshot_id: changed.snapshotId,
    });
    // The next run finds the changed playlist recorded at its new snapshot.
    expect(readJson(dir, PLAYLIST_STATE_KEY).playlists[OWNED[1]]).toMatchObject({ snapshot_id: changed.snapshotId, fetched_in_run: manifest.run_id });
  });

  test('a configured playlist outside the listing costs one snapshot check when unchanged', async () => {
    const dir = bucketDir();
    await extractRun(input(await fake(), dir, { playlists: [OWNED[0]] }, { runId: newRunId(new Date('2026-11-23T06:00:00Z'), 'a') }));
    const server = await fake();
    const { manifest } = await extractRun(input(server, dir, { playlists: [OWNED[0]] }, { runId: newRunId(new Date('2026-11-24T06:00:00Z'), 'b') }));
    // The snapshot check also says whose playlist it is; /v1/me (once per listener and run) who the reader is.
    expect(manifest.counts).toMatchObject({ api_calls: 2, item_page_calls: 0, playlists_reused: 1 });
    const check = `/v1/playlists/${OWNED[0]}?${new URLSearchParams({ fields: 'snapshot_id,owner(id),collaborative' })}`;
    expect(server.requests().map((r) => r.path)).toEqual(['/api/token', check, '/v1/me']);
  });

  test('an earlier object that is gone or altered is not pointed at: the playlist is fetched again', async () => {
    const dir = bucketDir();
    const day1 = await extractRun(input(await fake(), dir, { playlists: OWNED.slice(0, 2) }, { runId: newRunId(new Date('2026-11-23T06:00:00Z'), 'a') }));
    const [gone, altered] = day1.manifest.objects;
    const { rmSync, writeFileSync } = await import('node:fs');
    rmSync(join(dir, gone.key));
    writeFileSync(join(dir, altered.key), readFileSync(join(dir, altered.key), 'utf8').replace('"kind"', '"kind" '));
    const server = await fake();
    const { manifest } = await extractRun(input(server, dir, { playlists: OWNED.slice(0, 2) }, { runId: newRunId(new Date('2026-11-24T06:00:00Z'), 'b') }));
    expect(manifest.counts.playlists_reused).toBe(0);
    expect(manifest.objects.every((o) => o.fetched_in_run === manifest.run_id)).toBe(true);
  });
});

describe('a playlist that changes while it is paged', () => {
  const playlist = OWNED[0]; // 150 items: 3 pages

  test('is fetched once more and the manifest says so', async () => {
    const dir = bucketDir();
    const server = await fake({
      faults: { rules: [{ path: `/v1/playlists/${playlist}/items`, nth: 2, action: { kind: 'editPlaylist', playlistId: playlist, edit: 'remove-first' } }] },
    });
    const { manifest } = await extractRun(input(server, dir, { playlists: [playlist], maxConcurrentRequests: 1 }));
    const object = manifest.objects[0];
    expect(object).toMatchObject({ items: 149, pages: 3, refetched_after_snapshot_change: true, snapshot_changed_during_fetch: false });
    const raw = readJson(dir, object.key);
    expect(raw.playlist.snapshot_id).toBe(object.snapshot_id);
    const ids = raw.item_pages.flatMap((p: { items: Array<{ item: { id: string | null } | null }> }) => p.items.map((i) => i.item?.id ?? null));
    expect(ids).toHaveLength(149);
    expect(itemPageCalls(server)).toBe(6);
    expect(readJson(dir, PLAYLIST_STATE_KEY).playlists[playlist].snapshot_id).toBe(object.snapshot_id);
  });

  test('changing again during the second paging is flagged, and such an object never stands in for a later run', async () => {
    const dir = bucketDir();
    const edit = { kind: 'editPlaylist' as const, playlistId: playlist, edit: 'move-last-to-first' as const };
    const server = await fake({ faults: { rules: [{ path: `/v1/playlists/${playlist}/items`, nth: [2, 5], action: edit }] } });
    const { manifest } = await extractRun(input(server, dir, { playlists: [playlist], maxConcurrentRequests: 1 }));
    expect(manifest.objects[0]).toMatchObject({ items: 150, refetched_after_snapshot_change: true, snapshot_changed_during_fetch: true });
    expect(manifest.status).toBe('complete');
    expect(itemPageCalls(server)).toBe(6);
    expect(listFiles(dir)).not.toContain(PLAYLIST_STATE_KEY);
  });
});
