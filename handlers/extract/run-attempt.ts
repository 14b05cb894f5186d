/**
 * One invocation's work on a run: resolve the playlists, then fetch every entity the checkpoint does not have
 * yet, in passes (an entity whose failure was transient, a 5xx or timeout that outlasted its retries, is fetched
 * again in the next pass), and sort every failure: recorded (the API answered about the entity), retried later
 * (transient), a clean stop (quota, budget: the client keeps the reason), or fatal (nothing else can work).
 */
import type { ManifestError, TimeRange, TopItemType } from '../shared/manifest';
import type { ExtractProgressEvent } from './extract-run';
import { fetchPlaylist, fetchTopList, listMyPlaylists, type FetchContext, type ListedPlaylist } from './fetch-entities';
import type { PlaylistState } from './playlist-state';
import type { RunCheckpoint } from './run-checkpoint';
import { RunStoppedError, SpotifyApiError } from './spotify-client';

/** Rounds over entities whose failures were transient. */
export const ENTITY_PASSES = 3;

export type Entity =
  | { kind: 'playlist'; entityId: string; listed?: ListedPlaylist }
  | { kind: 'top'; entityId: string; itemType: TopItemType; timeRange: TimeRange };

/** Runs tasks with at most `limit` in flight; each task handles its own errors. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await task(item);
    }
  });
  await Promise.all(workers);
}

export class RunAttempt {
  /** The error that ended the attempt, if one did. */
  fatal: Error | null = null;
  /** Entities whose last failure was transient, with that failure. */
  private readonly transient = new Map<string, ManifestError>();
  private readonly listingErrors: ManifestError[] = [];

  constructor(
    private readonly ctx: FetchContext,
    private readonly checkpoint: RunCheckpoint,
    private readonly state: PlaylistState,
    private readonly progress: (event: ExtractProgressEvent) => void,
  ) {}

  /** Failures the manifest lists besides the checkpoint's: the listing's, and transient ones after every pass. */
  get unrecordedErrors(): ManifestError[] {
    return [...this.transient.values(), ...this.listingErrors];
  }

  /** The configured playlists plus the user's own, these with the snapshot ids the listing carries. */
  async resolvePlaylists(configured: string[], includeMine: boolean): Promise<Entity[]> {
    const listed = new Map<string, ListedPlaylist>();
    if (includeMine) {
      for (let pass = 0; pass < ENTITY_PASSES && !this.ctx.client.stopReason; pass += 1) {
        this.transient.clear();
        try {
          for (const playlist of await listMyPlaylists(this.ctx)) listed.set(playlist.id, playlist);
          break;
        } catch (error) {
          this.onFailure(error, 'my_playlists', 'me', (failure) => this.listingErrors.push(failure));
          if (!this.transient.size) break;
        }
      }
      this.listingErrors.push(...this.transient.values());
      this.transient.clear();
    }
    const ids = [...configured, ...[...listed.keys()].filter((id) => !configured.includes(id))];
    this.progress({ type: 'playlists-resolved', playlistIds: ids });
    return ids.map((id) => ({ kind: 'playlist', entityId: id, listed: listed.get(id) }));
  }

  /** Fetches what an earlier attempt did not finish (nor found failing for good), in passes. */
  async fetchMissing(entities: Entity[], concurrency: number): Promise<void> {
    const { checkpoint, ctx } = this;
    for (const e of entities) {
      const done = checkpoint.object(e.kind, e.entityId);
      if (done && e.kind === 'playlist') {
        this.progress({ type: 'playlist-done', playlistId: e.entityId, name: e.listed?.name ?? null, items: done.items, pages: done.pages, reused: done.fetched_in_run !== ctx.runId });
      }
      if (done && e.kind === 'top') this.progress({ type: 'top-done', itemType: e.itemType, timeRange: e.timeRange, items: done.items });
    }
    let pending = entities.filter((e) => !checkpoint.object(e.kind, e.entityId) && !checkpoint.error(e.kind, e.entityId));
    for (let pass = 0; pass < ENTITY_PASSES && pending.length > 0 && !ctx.client.stopReason; pass += 1) {
      if (pass > 0) ctx.logger.warn('fetching again what failed transiently', { pass: pass + 1, entities: pending.length });
      await pool(pending, concurrency, (entity) => this.runEntity(entity));
      pending = pending.filter((e) => this.transient.has(`${e.kind}/${e.entityId}`));
    }
  }

  private async runEntity(entity: Entity): Promise<void> {
    const { ctx, checkpoint } = this;
    if (ctx.client.stopReason) return;
    try {
      if (entity.kind === 'playlist') {
        const result = await fetchPlaylist(ctx, entity.entityId, { listed: entity.listed, state: this.state, mayHaveOwnObject: checkpoint.resumed });
        checkpoint.done(result.object);
        this.progress({ type: 'playlist-done', playlistId: entity.entityId, name: result.name, items: result.object.items, pages: result.object.pages, reused: result.reused });
      } else {
        const object = await fetchTopList(ctx, entity.itemType, entity.timeRange);
        checkpoint.done(object);
        this.progress({ type: 'top-done', itemType: entity.itemType, timeRange: entity.timeRange, items: object.items });
      }
      this.transient.delete(`${entity.kind}/${entity.entityId}`);
    } catch (error) {
      this.onFailure(error, entity.kind, entity.entityId, (failure) => {
        checkpoint.failed(failure);
        if (entity.kind === 'playlist') {
          this.progress({ type: 'playlist-failed', playlistId: entity.entityId, httpStatus: failure.http_status, message: failure.message });
        } else {
          this.progress({ type: 'top-failed', itemType: entity.itemType, timeRange: entity.timeRange, httpStatus: failure.http_status, message: failure.message });
        }
      });
    }
  }

  private onFailure(error: unknown, kind: ManifestError['kind'], entityId: string, report: (e: ManifestError) => void): void {
    const key = `${kind}/${entityId}`;
    if (error instanceof SpotifyApiError) {
      const failure: ManifestError = { kind, entity_id: entityId, http_status: error.status, message: error.spotifyMessage };
      this.ctx.logger.warn('entity failed', { endpoint: error.endpoint, httpStatus: error.status, message: error.spotifyMessage, transient: error.transient });
      if (error.transient) {
        this.transient.set(key, failure);
      } else {
        this.transient.delete(key); // a definitive answer replaces an earlier pass's transient failure
        report(failure);
      }
      return;
    }
    if (error instanceof RunStoppedError) return; // the client keeps the reason; the manifest reports it
    this.fatal ??= error instanceof Error ? error : new Error(String(error));
    this.ctx.client.abort(this.fatal);
  }
}
