/**
 * One invocation's work on a run: resolve the playlists (each listener's own, listed with their own token, and the
 * configured ones, each with the listeners who may read it), then fetch every entity the checkpoint does not have
 * yet, in passes (an entity whose failure was transient, a 5xx or timeout that outlasted its retries, is fetched
 * again in the next pass), and sort every failure: recorded (the API answered about the entity), retried later
 * (transient), a clean stop (quota, budget: every client stops), a listener's own (their credentials refused or
 * missing: recorded for that listener, whose other entities are skipped, while the others go on), or fatal
 * (nothing else can work).
 */
import type { PlaylistRef } from '../../config/pipeline-config';
import { LISTENING_KINDS, type ListeningKind, type ManifestError, type ManifestObject, type PlaylistMember, type TimeRange, type TopItemType } from '../shared/manifest';
import type { ExtractProgressEvent } from './progress';
import { fetchPlaylist, fetchTopList, listMyPlaylists, type FetchContext, type ListedPlaylist, type PlaylistResult } from './fetch-entities';
import { fetchListening, listenerError, type ListenerContext } from './listener-extract';
import type { PlaylistState } from './playlist-state';
import type { RunCheckpoint } from './run-checkpoint';
import { RunStoppedError, SpotifyApiError, SpotifyFatalError, type SpotifyClient } from './spotify-client';

/** Rounds over entities whose failures were transient. */
export const ENTITY_PASSES = 3;

export type Entity =
  /**
   * A playlist, fetched once per run by the first of `readers` who may read its items (their own token); it
   * belongs to `members` (from their listings) and to whoever reads it. `named`: the configuration names its reader.
   */
  | { kind: 'playlist'; entityId: string; listed?: ListedPlaylist; readers: ListenerContext[]; members: PlaylistMember[]; named: boolean }
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
    /** The listeners, each reading their own playlists, top lists and documents with their own client. */
    private readonly listeners: ListenerContext[] = [],
  ) {
    // A listener whose credentials (or a document of theirs: a missing scope's 403) failed in an earlier attempt is
    // tried again: they may have been authorised since.
    for (const listener of listeners) {
      checkpoint.clearError('listener', listener.name);
      for (const kind of LISTENING_KINDS) checkpoint.clearError(kind, listener.name);
    }
    // So is a playlist every reader then refused (403): one who may read it (its owner, say) may be back.
    for (const error of checkpoint.allErrors()) {
      if (error.kind === 'playlist' && error.http_status === 403) checkpoint.clearError('playlist', error.entity_id);
    }
  }

  private get clients(): SpotifyClient[] {
    return [this.ctx.client, ...this.listeners.map((l) => l.client).filter((c) => c !== this.ctx.client)];
  }

  /** The listener whose credentials failed, recorded once. */
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

  /**
   * The configured playlists plus every listener's own and collaborative ones (each listing read with that
   * listener's token, carrying the snapshot ids), each once, with the listeners who may read it: the configured
   * listener; else those whose listing shows it, its owner first; else (a plain configured id) every listener in turn.
   */
  async resolvePlaylists(configured: PlaylistRef[], includeMine: boolean): Promise<Entity[]> {
    const listings = includeMine ? await Promise.all(this.listeners.map((listener) => this.listingOf(listener))) : [];
    const listed = new Map<string, { playlist: ListedPlaylist; members: Array<{ listener: ListenerContext; member: PlaylistMember }> }>();
    listings.forEach(({ listener, playlists, userId }) => {
      for (const playlist of playlists) {
        const entry = listed.get(playlist.id) ?? { playlist, members: [] };
        // Two listeners authorised as one Spotify account are one member (the first listed).
        if (userId && !entry.members.some((m) => m.member.spotify_user_id === userId)) {
          entry.members.push({ listener, member: { listener: listener.name, spotify_user_id: userId, role: playlist.ownerId === userId ? 'owner' : 'collaborator' } });
        }
        listed.set(playlist.id, entry);
      }
    });
    const byName = new Map(this.listeners.map((l) => [l.name, l]));
    const entities: Entity[] = [];
    for (const ref of configured) {
      const entry = listed.get(ref.id);
      const named = ref.listener !== undefined ? byName.get(ref.listener) : undefined;
      const members = entry?.members ?? [];
      // Those who list it first (its owner first); a plain id then falls back to every other listener, in order.
      const listing = ownerFirst(members);
      const readers = named ? [named] : [...listing, ...this.listeners.filter((l) => !listing.includes(l))];
      entities.push({ kind: 'playlist', entityId: ref.id, listed: entry?.playlist, readers, members: members.map((m) => m.member), named: Boolean(named) });
    }
    for (const [id, entry] of listed) {
      if (configured.some((ref) => ref.id === id)) continue;
      const readers = ownerFirst(entry.members);
      entities.push({ kind: 'playlist', entityId: id, listed: entry.playlist, readers, members: entry.members.map((m) => m.member), named: false });
    }
    this.progress({ type: 'playlists-resolved', playlistIds: entities.map((e) => e.entityId) });
    return entities;
  }

  /** One listener's own and collaborative playlists, in passes; a failure is theirs alone (the others' go on). */
  private async listingOf(listener: ListenerContext): Promise<{ listener: ListenerContext; playlists: ListedPlaylist[]; userId: string | null }> {
    const key = `my_playlists/${listener.name}`;
    for (let pass = 0; pass < ENTITY_PASSES && !listener.client.stopReason && !this.halt; pass += 1) {
      try {
        const playlists = await listMyPlaylists(this.contextOf(listener));
        this.transient.delete(key);
        return { listener, playlists, userId: (await listener.profile()).spotifyUserId };
      } catch (error) {
        if (error instanceof SpotifyFatalError && error.credentialsProblem) {
          this.listenerFailed(listener, error);
          break;
        }
        this.onFailure(error, 'my_playlists', listener.name, (failure) => this.listingErrors.push(failure));
        if (!this.transient.has(key)) break;
      }
    }
    const left = this.transient.get(key);
    if (left) this.listingErrors.push(left);
    this.transient.delete(key);
    return { listener, playlists: [], userId: null };
  }

  /** The fetch context of a listener's own client (their token, their profile). */
  private contextOf(listener: ListenerContext): FetchContext {
    return { ...this.ctx, client: listener.client, profile: this.ctx.profile ? listener.profile : undefined };
  }

  /** Fetches what an earlier attempt did not finish (nor found failing for good), in passes. */
  async fetchMissing(entities: Entity[], concurrency: number): Promise<void> {
    const { checkpoint, ctx } = this;
    for (const e of entities) {
      const done = checkpoint.object(e.kind, e.entityId);
      if (done && e.kind === 'playlist') {
        // A listener whose listing an earlier attempt could not read (their credentials, a failure) is one of its
        // members now: the object belongs to them too.
        const belongsTo = this.ctx.profile ? mergeMembers(this.listeners, done.belongs_to ?? [], e.members) : undefined;
        if (belongsTo && belongsTo.length !== (done.belongs_to ?? []).length) checkpoint.done({ ...done, belongs_to: belongsTo });
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
    if (entity.kind === 'playlist') return this.runPlaylist(entity);
    // A listener's documents and top lists are read with their own client.
    if (entity.listener.client.stopReason || this.halt) return;
    try {
      if (isListening(entity)) {
        const object = await fetchListening(entity.listener, entity.kind);
        checkpoint.done(object);
        this.progress({ type: 'listening-done', listener: entity.entityId, kind: entity.kind, items: object.items, possibleGap: object.possible_gap === true, changedDuringFetch: object.changed_during_fetch === true });
      } else {
        const object = await fetchTopList(ctx, entity.listener, entity.itemType, entity.timeRange);
        checkpoint.done(object);
        this.progress({ type: 'top-done', listener: entity.listener.name, itemType: entity.itemType, timeRange: entity.timeRange, items: object.items });
      }
      this.transient.delete(`${entity.kind}/${entity.entityId}`);
    } catch (error) {
      if (error instanceof SpotifyFatalError && error.credentialsProblem) {
        this.listenerFailed(entity.listener, error);
        return;
      }
      this.onFailure(error, entity.kind, entity.entityId, (failure) => {
        checkpoint.failed(failure);
        if (isListening(entity)) {
          this.progress({ type: 'listening-failed', listener: entity.entityId, kind: entity.kind, httpStatus: failure.http_status, message: failure.message });
        } else {
          this.progress({ type: 'top-failed', listener: entity.listener.name, itemType: entity.itemType, timeRange: entity.timeRange, httpStatus: failure.http_status, message: failure.message });
        }
      });
    }
  }

  /**
   * A playlist, read by the first of its readers who may: one whose credentials fail is that listener's error and the
   * next one tries; a 403 (they neither own nor collaborate on it) passes it to the next. Once read it is recorded
   * with every listener it belongs to.
   */
  private async runPlaylist(entity: Extract<Entity, { kind: 'playlist' }>): Promise<void> {
    const { checkpoint } = this;
    const forbidden: Array<{ reader: string; error: SpotifyApiError }> = [];
    try {
      for (const reader of await this.readersInOrder(entity)) {
        if (this.halt) return;
        if (reader.client.stopReason) continue; // their credentials failed: the next reader tries
        let result: PlaylistResult;
        try {
          result = await fetchPlaylist(this.contextOf(reader), entity.entityId, { listed: entity.listed, state: this.state, mayHaveOwnObject: checkpoint.resumed });
        } catch (error) {
          if (error instanceof SpotifyFatalError && error.credentialsProblem) {
            this.listenerFailed(reader, error);
            continue;
          }
          if (error instanceof SpotifyApiError && error.status === 403 && !error.transient) {
            forbidden.push({ reader: reader.name, error });
            continue;
          }
          throw error;
        }
        const object = await this.withMembers(result.object, entity, reader, result);
        checkpoint.done(object);
        this.progress({ type: 'playlist-done', playlistId: entity.entityId, name: result.name, items: object.items, pages: object.pages, reused: result.reused });
        this.transient.delete(`playlist/${entity.entityId}`);
        return;
      }
      // Nobody could read it: refused to each who tried (every reader whose credentials failed has their own error).
      if (forbidden.length > 0) throw forbiddenPlaylist(entity, forbidden);
    } catch (error) {
      this.onFailure(error, 'playlist', entity.entityId, (failure) => {
        checkpoint.failed(failure);
        this.progress({ type: 'playlist-failed', playlistId: entity.entityId, httpStatus: failure.http_status, message: failure.message });
      });
    }
  }

  /** The readers, the one whose token read the playlist last first (the state says): they may read it, others may not. */
  private async readersInOrder(entity: Extract<Entity, { kind: 'playlist' }>): Promise<ListenerContext[]> {
    const readBy = this.state.readBy(entity.entityId);
    if (!readBy || entity.readers.length < 2 || !this.ctx.profile) return entity.readers;
    for (const reader of entity.readers) {
      if (reader.client.stopReason) continue;
      const profile = await reader.profile().catch(() => null); // who cannot be read is tried (and fails) in turn
      if (profile?.spotifyUserId === readBy) return [reader, ...entity.readers.filter((r) => r !== reader)];
    }
    return entity.readers;
  }

  /**
   * The object with the listeners it belongs to: those whose listing shows it, and its reader (owner if it is
   * theirs, collaborator if it is collaborative, else reader), each Spotify account once, in configuration order.
   */
  private async withMembers(object: ManifestObject, entity: Extract<Entity, { kind: 'playlist' }>, reader: ListenerContext, whose: Pick<PlaylistResult, 'ownerId' | 'collaborative'>): Promise<ManifestObject> {
    if (!this.ctx.profile) return object; // an app token reads for nobody in particular
    const userId = (await reader.profile()).spotifyUserId;
    const role: PlaylistMember['role'] = whose.ownerId === userId ? 'owner' : whose.collaborative ? 'collaborator' : 'reader';
    return { ...object, belongs_to: mergeMembers(this.listeners, object.belongs_to ?? [], [...entity.members, { listener: reader.name, spotify_user_id: userId, role }]) };
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

/** The listeners whose listings show a playlist, its owner first (the sort is stable: otherwise configuration order). */
function ownerFirst(members: Array<{ listener: ListenerContext; member: PlaylistMember }>): ListenerContext[] {
  return [...members].sort((a, b) => Number(b.member.role === 'owner') - Number(a.member.role === 'owner')).map((m) => m.listener);
}

/** Members of a playlist, each Spotify account once (the first role given wins), in configuration order. */
function mergeMembers(listeners: ListenerContext[], ...lists: PlaylistMember[][]): PlaylistMember[] {
  const byAccount = new Map<string, PlaylistMember>();
  for (const member of lists.flat()) if (!byAccount.has(member.spotify_user_id)) byAccount.set(member.spotify_user_id, member);
  const order = (m: PlaylistMember) => listeners.findIndex((l) => l.name === m.listener);
  return [...byAccount.values()].sort((a, b) => order(a) - order(b) || a.listener.localeCompare(b.listener));
}

/** A playlist no reader may read: Spotify's 403, naming who tried and what to do. */
function forbiddenPlaylist(entity: Extract<Entity, { kind: 'playlist' }>, refused: Array<{ reader: string; error: SpotifyApiError }>): SpotifyApiError {
  const { error } = refused[refused.length - 1];
  const names = refused.map((r) => r.reader);
  const why = entity.named
    ? `listener ${names[0]} neither owns nor collaborates on it, and a Development Mode app reads the items of those playlists only. ` +
      `Name the listener who does ({"id": "${entity.entityId}", "listener": "<name>"}), or leave it out of spotify.playlists`
    : `no listener (${names.join(', ')}) owns or collaborates on it, and a Development Mode app reads the items of those playlists only. ` +
      'Authorise its owner or a collaborator as a listener (spotify.listeners), or leave it out of spotify.playlists';
  return new SpotifyApiError(error.endpoint, error.status, `${error.spotifyMessage}: ${why}.`, false);
}
