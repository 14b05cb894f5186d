/**
 * One invocation's work on a run: resolve the playlists, then fetch every entity the checkpoint does not have
 * yet, in passes (an entity whose failure was transient, a 5xx or timeout that outlasted its retries, is fetched
 * again in the next pass), and sort every failure: recorded (the API answered about the entity), retried later
 * (transient), a clean stop (quota, budget: every client stops), a listener's own (their credentials refused or
 * missing: recorded for that listener, whose other entities are skipped, while the others go on), or fatal
 * (nothing else can work).
 */
import { LISTENING_KINDS, type ListeningKind, type ManifestError, type TimeRange, type TopItemType } from '../shared/manifest';
import type { ExtractProgressEvent } from './progress';
import { fetchPlaylist, fetchTopList, listMyPlaylists, type FetchContext, type ListedPlaylist } from './fetch-entities';
import { fetchListening, listenerError, type ListenerContext } from './listener-extract';
import type { PlaylistState } from './playlist-state';
import type { RunCheckpoint } from './run-checkpoint';
import { RunStoppedError, SpotifyApiError, SpotifyFatalError, type SpotifyClient } from './spotify-client';

/** Rounds over entities whose failures were transient. */
export const ENTITY_PASSES = 3;

export type Entity =
  | { kind: 'playlist'; entityId: string; listed?: ListedPlaylist }
  /** A listener's top list, read with their own client; entityId is `<listener name>/<type>_<time_range>`. */
  | { kind: 'top'; entityId: string; itemType: TopItemType; timeRange: TimeRange; listener: ListenerContext }
  /** A listener's document; entityId is the listener's name. */
  | { kind: ListeningKind; entityId: string; listener: ListenerContext };

const isListening = (entity: Entity): entity is Extract<Entity, { kind: ListeningKind }> =>
  (LISTENING_KINDS as readonly string[]).includes(entity.kind);

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

  /** A clean stop (quota, budget) or the fatal error: no entity starts after it. */
  private halt: Error | null = null;

  constructor(
    private readonly ctx: FetchContext,
    private readonly checkpoint: RunCheckpoint,
    private readonly state: PlaylistState,
    private readonly progress: (event: ExtractProgressEvent) => void,
    /** The listeners, the first one reading with ctx.client. */
    private readonly listeners: ListenerContext[] = [],
  ) {
    // A listener whose credentials (or a document of theirs: a missing scope's 403) failed in an earlier attempt is
    // tried again: they may have been authorised since.
    for (const listener of listeners) {
      checkpoint.clearError('listener', listener.name);
      for (const kind of LISTENING_KINDS) checkpoint.clearError(kind, listener.name);
    }
  }

  private get clients(): SpotifyClient[] {
    return [this.ctx.client, ...this.listeners.map((l) => l.client).filter((c) => c !== this.ctx.client)];
  }

  /** The listener whose credentials failed (the first listener for playlists), recorded once. */
  private listenerFailed(listener: ListenerContext, error: SpotifyFatalError): void {
    if (!this.checkpoint.error('listener', listener.name)) {
      const failure = listenerError(listener.name, error);
      this.checkpoint.failed(failure);
      this.ctx.logger.warn('listener not extracted: their credentials cannot be used', { listener: listener.name, message: failure.message });
      this.progress({ type: 'listener-failed', listener: listener.name, message: failure.message });
    }
    // Every other entity of theirs is skipped; the other listeners go on.
    listener.client.abort(error);
  }

  /** The clean stop (quota, budget) that ended the attempt, if one did. */
  get stopped(): RunStoppedError | null {
    return this.halt instanceof RunStoppedError ? this.halt : null;
  }

  /** Failures the manifest lists besides the checkpoint's: the listing's, and transient ones after every pass. */
  get unrecordedErrors(): ManifestError[] {
    return [...this.transient.values(), ...this.listingErrors];
  }

  /** The configured playlists plus the user's own, these with the snapshot ids the listing carries. */
  async resolvePlaylists(configured: string[], includeMine: boolean): Promise<Entity[]> {
    const listed = new Map<string, ListedPlaylist>();
    if (includeMine) {
      for (let pass = 0; pass < ENTITY_PASSES && !this.ctx.client.stopReason && !this.halt; pass += 1) {
        this.transient.clear();
        try {
          for (const playlist of await listMyPlaylists(this.ctx)) listed.set(playlist.id, playlist);
          break;
        } catch (error) {
          if (error instanceof SpotifyFatalError && error.credentialsProblem && this.listeners[0]) {
            this.listenerFailed(this.listeners[0], error);
            break;
          }
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
      if (done && e.kind === 'top') this.progress({ type: 'top-done', listener: e.listener.name, itemType: e.itemType, timeRange: e.timeRange, items: done.items });
      if (done && isListening(e)) this.progress({ type: 'listening-done', listener: e.entityId, kind: e.kind, items: done.items, possibleGap: done.possible_gap === true, changedDuringFetch: done.changed_during_fetch === true });
    }
    let pending = entities.filter((e) => !checkpoint.object(e.kind, e.entityId) && !checkpoint.error(e.kind, e.entityId));
    for (let pass = 0; pass < ENTITY_PASSES && pending.length > 0 && !this.halt; pass += 1) {
      if (pass > 0) ctx.logger.warn('fetching again what failed transiently', { pass: pass + 1, entities: pending.length });
      await pool(pending, concurrency, (entity) => this.runEntity(entity));
      pending = pending.filter((e) => this.transient.has(`${e.kind}/${e.entityId}`));
    }
  }

  private async runEntity(entity: Entity): Promise<void> {
    const { ctx, checkpoint } = this;
    // A listener's documents and top lists are read with their own client; playlists with the first listener's.
    const client = entity.kind === 'playlist' ? ctx.client : entity.listener.client;
    if (client.stopReason || this.halt) return;
    try {
      if (isListening(entity)) {
        const object = await fetchListening(entity.listener, entity.kind);
        checkpoint.done(object);
        this.progress({ type: 'listening-done', listener: entity.entityId, kind: entity.kind, items: object.items, possibleGap: object.possible_gap === true, changedDuringFetch: object.changed_during_fetch === true });
      } else if (entity.kind === 'playlist') {
        const result = await fetchPlaylist(ctx, entity.entityId, { listed: entity.listed, state: this.state, mayHaveOwnObject: checkpoint.resumed });
        checkpoint.done(result.object);
        this.progress({ type: 'playlist-done', playlistId: entity.entityId, name: result.name, items: result.object.items, pages: result.object.pages, reused: result.reused });
      } else {
        const object = await fetchTopList(ctx, entity.listener, entity.itemType, entity.timeRange);
        checkpoint.done(object);
        this.progress({ type: 'top-done', listener: entity.listener.name, itemType: entity.itemType, timeRange: entity.timeRange, items: object.items });
      }
      this.transient.delete(`${entity.kind}/${entity.entityId}`);
    } catch (error) {
      const listener = entity.kind === 'playlist' ? this.listeners[0] : entity.listener;
      if (error instanceof SpotifyFatalError && error.credentialsProblem && listener) {
        this.listenerFailed(listener, error);
        return;
      }
      this.onFailure(error, entity.kind, entity.entityId, (failure) => {
        checkpoint.failed(failure);
        if (isListening(entity)) {
          this.progress({ type: 'listening-failed', listener: entity.entityId, kind: entity.kind, httpStatus: failure.http_status, message: failure.message });
        } else if (entity.kind === 'playlist') {
          this.progress({ type: 'playlist-failed', playlistId: entity.entityId, httpStatus: failure.http_status, message: failure.message });
        } else {
          this.progress({ type: 'top-failed', listener: entity.listener.name, itemType: entity.itemType, timeRange: entity.timeRange, httpStatus: failure.http_status, message: failure.message });
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
    if (error instanceof RunStoppedError) {
      // Quota and budget are the app's and the run's: every listener's client stops (the manifest reports it).
      this.halt ??= error;
      for (const c of this.clients) c.abort(error);
      return;
    }
    this.fatal ??= error instanceof Error ? error : new Error(String(error));
    this.halt ??= this.fatal;
    for (const c of this.clients) c.abort(this.fatal);
  }
}
