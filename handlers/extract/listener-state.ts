/**
 * Who each configured listener is, so the hourly plays poll need not ask Spotify every time: a plays poll is one
 * recently-played call when nothing much was played, and `/v1/me` on top of it would double what the app spends of
 * its quota (counted per developer account). `raw/_state/listeners/<listener name>.json` records the identity
 * `/v1/me` gave (account id, user id, display name) with a fingerprint of the refresh token it was read with.
 *
 * A plays run uses the stored identity only while the listener's credentials are still that refresh token, or one
 * Spotify rotated from it in a run that recorded it: a listener authorised again (perhaps as another Spotify account)
 * has a new token, so the next poll reads `/v1/me` again and nothing is filed under the wrong account. A weekly run
 * always reads `/v1/me` (one call per listener and week). Lost or unreadable state only costs that one call.
 *
 * The fingerprint is the first 16 hex digits of the token's sha256: it tells two tokens apart and gives nothing of
 * the token away (the token itself is a long random string and stays in the secret).
 */
import { listenerStateKey } from '../shared/manifest';
import { readProfile, type ListenerProfile } from './listening';
import type { StateObjects } from './plays-cursor';
import type { SpotifyClient } from './spotify-client';

export interface ListenerState {
  state_version: 1;
  listener_name: string;
  account_id: string | null;
  spotify_user_id: string;
  display_name: string | null;
  /** The refresh token the identity holds for (AccessTokens.refreshTokenFingerprint). */
  refresh_token_sha256: string;
  /** When `/v1/me` last said who this is, and in which run. */
  verified_at: string;
  verified_in_run: string;
}

export async function readListenerState(state: StateObjects, name: string): Promise<ListenerState | null> {
  try {
    const bytes = await state.get(listenerStateKey(name));
    if (!bytes) return null;
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<ListenerState>;
    const ok =
      doc.state_version === 1 &&
      doc.listener_name === name &&
      typeof doc.spotify_user_id === 'string' &&
      doc.spotify_user_id.length > 0 &&
      typeof doc.refresh_token_sha256 === 'string' &&
      (doc.account_id === null || typeof doc.account_id === 'string');
    return ok ? (doc as ListenerState) : null;
  } catch {
    return null;
  }
}

const profileOf = (s: ListenerState): ListenerProfile => ({ spotifyUserId: s.spotify_user_id, accountId: s.account_id, displayName: s.display_name });

export interface ListenerIdentityOptions {
  /** The listener's configured name: the state's key. */
  name: string;
  /** Named in the error of a `/v1/me` answer without an id. */
  authorizeCommand?: string;
  /** Where the state lives (the raw writer); without it, `/v1/me` every run and nothing recorded. */
  state?: StateObjects;
  /** May the stored identity stand in for `/v1/me` (plays runs)? Weekly runs read `/v1/me` regardless. */
  useStored: boolean;
}

/** One listener's identity for one run: `/v1/me` at most once, or none when the stored identity holds. */
export class ListenerIdentity {
  private pending: Promise<ListenerProfile> | null = null;
  private stored: ListenerState | null = null;
  private readFromMe = false;

  constructor(
    private readonly client: SpotifyClient,
    private readonly options: ListenerIdentityOptions,
  ) {
    // A name that could leave the state folder (the configuration never allows one) gets no state: /v1/me every run.
    if (/[/\\]|^\.\.?$/.test(options.name)) this.options = { ...options, state: undefined };
  }

  /** Who the listener is; shared by all their documents and top lists in the run. */
  readonly profile = (): Promise<ListenerProfile> => {
    this.pending ??= this.resolve().catch((error: unknown) => {
      this.pending = null; // a transient failure may be retried by the run's next pass
      throw error;
    });
    return this.pending;
  };

  private async resolve(): Promise<ListenerProfile> {
    const { state, name, useStored } = this.options;
    if (state) this.stored = await readListenerState(state, name);
    if (useStored && this.stored && this.stored.refresh_token_sha256 === (await this.client.refreshTokenFingerprint())) {
      return profileOf(this.stored);
    }
    const profile = await readProfile(this.client, this.options.authorizeCommand);
    this.readFromMe = true;
    return profile;
  }

  /**
   * After the run, once its token calls are settled: records the identity `/v1/me` gave, or the stored one under the
   * refresh token Spotify rotated it to, if anything changed. Never throws: a state that is not written costs the
   * next poll one `/v1/me`.
   */
  async record(runId: string, now: Date = new Date()): Promise<boolean> {
    const { state, name } = this.options;
    if (!state || !this.pending) return false;
    try {
      const profile = await this.pending;
      const fingerprint = await this.client.refreshTokenFingerprint();
      if (fingerprint === null) return false;
      const stored = this.stored;
      const same =
        stored !== null &&
        stored.refresh_token_sha256 === fingerprint &&
        stored.account_id === profile.accountId &&
        stored.spotify_user_id === profile.spotifyUserId &&
        stored.display_name === profile.displayName;
      if (same) return false;
      const verified = this.readFromMe || !stored ? { verified_at: now.toISOString(), verified_in_run: runId } : { verified_at: stored.verified_at, verified_in_run: stored.verified_in_run };
      const doc: ListenerState = {
        state_version: 1,
        listener_name: name,
        account_id: profile.accountId,
        spotify_user_id: profile.spotifyUserId,
        display_name: profile.displayName,
        refresh_token_sha256: fingerprint,
        ...verified,
      };
      await state.put(listenerStateKey(name), JSON.stringify(doc, null, 2), 'application/json');
      return true;
    } catch {
      return false;
    }
  }
}
