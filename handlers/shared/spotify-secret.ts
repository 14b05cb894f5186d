/**
 * Where the Spotify credentials live, behind one interface the extract uses everywhere:
 *
 * - `SpotifySecretStore`: AWS Secrets Manager, one JSON secret
 *   `{"clientId": "...", "clientSecret": "...", "refreshToken": "..."}` (clientSecret optional for PKCE apps,
 *   refreshToken absent in client-credentials mode), the same shape as the local secrets file;
 * - `InMemoryCredentialStore`: credentials handed to a run (tests, the embedded fake);
 * - local/local-secrets.ts: the local secrets file and SPOTIFY_* environment variables.
 *
 * Spotify may answer a refresh with a new refresh token and kill the old one. A store's
 * `saveRotatedRefreshToken` resolves only once the new token is durably stored, so the client stores it before
 * it uses the new access token, and a run that cannot store it stops instead of going on with a token nobody
 * will have next time. A store per listener (several authorised users) is another instance of the same
 * interface: the client takes one store, and each listener gets its own client and store.
 */
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseAuthorizedAt } from './token-lifetime';

export interface SpotifyCredentials {
  clientId: string;
  clientSecret?: string;
  refreshToken?: string;
  /**
   * When the user authorised (ISO-8601 UTC), recorded by `pipeline authorize`: the refresh token dies six months
   * later (handlers/shared/token-lifetime.ts). A rotation keeps it; absent on secrets stored before it was recorded.
   */
  authorizedAt?: string;
}

export interface SpotifyCredentialStore {
  /** Where the credentials live, for logs and errors (never their values). */
  describe(): string;
  /** The credentials; `fresh` bypasses any cache (e.g. after Spotify refused a refresh token). */
  load(options?: { fresh?: boolean }): Promise<SpotifyCredentials>;
  /**
   * Stores the refresh token Spotify rotated `previous` into. Resolves once it is durably stored (or the store
   * already holds a newer authorisation that someone else wrote meanwhile); throws when it could not be stored.
   */
  saveRotatedRefreshToken(previous: string, next: string): Promise<SaveOutcome>;
}

/** `stored`: written now; `already-stored`: an earlier attempt's write had landed; `kept-newer`: someone else replaced the token meanwhile and theirs was kept. */
export type SaveOutcome = 'stored' | 'already-stored' | 'kept-newer';

/** Credentials given to a run directly; a rotated token is kept in memory and handed to `onRotated`. */
export class InMemoryCredentialStore implements SpotifyCredentialStore {
  private credentials: SpotifyCredentials;

  constructor(
    credentials: SpotifyCredentials,
    private readonly onRotated?: (token: string) => Promise<void>,
    private readonly description = 'credentials given to the run',
  ) {
    this.credentials = { ...credentials };
  }

  describe(): string {
    return this.description;
  }

  async load(): Promise<SpotifyCredentials> {
    return { ...this.credentials };
  }

  async saveRotatedRefreshToken(_previous: string, next: string): Promise<SaveOutcome> {
    if (this.onRotated) await this.onRotated(next);
    this.credentials = { ...this.credentials, refreshToken: next };
    return 'stored';
  }
}

/** Anything with a clientId is plain credentials; anything with load() is a store. */
export function asCredentialStore(
  credentials: SpotifyCredentials | SpotifyCredentialStore,
  onRotated?: (token: string) => Promise<void>,
): SpotifyCredentialStore {
  return typeof (credentials as SpotifyCredentialStore).load === 'function'
    ? (credentials as SpotifyCredentialStore)
    : new InMemoryCredentialStore(credentials as SpotifyCredentials, onRotated);
}

/**
 * `requireClientId: false` for a listener's own secret, which may hold `{"refreshToken": ...}` alone (the client id
 * then comes from the app secret, ListenerCredentialStore); its clientId is '' then.
 */
export function parseSpotifySecret(text: string | undefined, source: string, options: { requireClientId?: boolean } = {}): SpotifyCredentials {
  if (!text) throw new Error(`${source} has no SecretString. Store {"clientId": ..., "refreshToken": ...} in it (see docs/extraction.md).`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Never echo the text: it is a secret.
    throw new Error(`${source} is not JSON. Store {"clientId": ..., "clientSecret"?: ..., "refreshToken"?: ...} (see docs/extraction.md).`);
  }
  const r = (raw ?? {}) as Record<string, unknown>;
  const field = (name: string) => {
    const value = r[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`${source}: "${name}" must be a string`);
    return value;
  };
  const clientId = field('clientId');
  const authorizedAt = parseAuthorizedAt(r.authorizedAt, source);
  const rest = { clientSecret: field('clientSecret'), refreshToken: field('refreshToken'), ...(authorizedAt ? { authorizedAt } : {}) };
  if (!clientId && options.requireClientId === false) return { clientId: '', ...rest };
  if (!clientId) throw new Error(`${source} has no "clientId". Put the Spotify app's client id in the secret (see docs/extraction.md).`);
  return { clientId, ...rest };
}

/**
 * Reads name the AWSCURRENT stage, as Secrets Manager does by default: said outright because moto 5.2.5 answers an
 * unlabelled read from the first version, not from the one compareAndSetSecret moved AWSCURRENT to.
 */
const CURRENT = 'AWSCURRENT';
/** Warm containers re-read the secret after this, so a new `pipeline authorize` is picked up without a deploy. */
const CACHE_TTL_MS = 10 * 60_000;
/** Attempts at storing a rotated refresh token (each re-reads the secret first) before the run is stopped. */
const SAVE_ATTEMPTS = 4;

export class SpotifySecretStore implements SpotifyCredentialStore {
  private cached: { value: SpotifyCredentials; until: number } | null = null;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly ttlMs = CACHE_TTL_MS,
    private readonly retryDelayMs = 500,
    /** A listener's own secret: `{"refreshToken": ...}` alone is enough (the app secret has the client id). */
    private readonly options: { listenerToken?: boolean } = {},
  ) {}

  describe(): string {
    return `the AWS secret ${this.secretId}`;
  }

  /** The credentials, from the cache while it is young (warm invocations). */
  async get(): Promise<SpotifyCredentials> {
    return this.load();
  }

  async load(options: { fresh?: boolean } = {}): Promise<SpotifyCredentials> {
    if (!options.fresh && this.cached && Date.now() < this.cached.until) return { ...this.cached.value };
    const value = await this.read();
    this.remember(value);
    return { ...value };
  }

  /**
   * Re-reads the secret (never the cache), checks that it still holds the token that was rotated, and puts the
   * current value with the new token as a new version; then reads it back. Retried with the secret read afresh
   * each time; after SAVE_ATTEMPTS failures it throws, and the run stops rather than go on with an unsaved token.
   */
  async saveRotatedRefreshToken(previous: string, next: string): Promise<SaveOutcome> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt += 1) {
      try {
        let outcome: SaveOutcome = 'stored';
        // The whole JSON is kept as it is now (other listeners' entries, a new client secret): only the token changes.
        await compareAndSetSecret(this.client, this.secretId, (raw) => {
          const current = parseSpotifySecret(JSON.stringify(raw), `secret ${this.secretId}`, { requireClientId: !this.options.listenerToken });
          if (current.refreshToken === next) outcome = 'already-stored';
          // Someone stored another authorisation (`pipeline authorize`) after this run read the secret: theirs
          // is the newer intent, so it is kept. The run goes on with its own (valid) token in memory.
          else if (current.refreshToken !== previous) outcome = 'kept-newer';
          return outcome === 'stored' ? { ...raw, refreshToken: next } : null;
        });
        const check = await this.read();
        if (outcome === 'stored' && check.refreshToken !== next) throw new Error('the secret read back does not hold the new refresh token');
        this.remember(check);
        return outcome;
      } catch (error) {
        lastError = error;
        if (attempt < SAVE_ATTEMPTS) await new Promise((r) => setTimeout(r, this.retryDelayMs * attempt));
      }
    }
    const err = lastError as Error;
    throw new Error(
      `storing the rotated Spotify refresh token in the secret ${this.secretId} failed ${SAVE_ATTEMPTS} times ` +
        `(last: ${err.name}: ${err.message}). Check that the function role may secretsmanager:GetSecretValue, ` +
        'secretsmanager:PutSecretValue and secretsmanager:UpdateSecretVersionStage on it; if the next run cannot get a token, run `pipeline authorize --store aws`.',
      { cause: lastError },
    );
  }

  /** Forget the cached value (e.g. after Spotify refused the token, to pick up a fresh authorisation). */
  invalidate(): void {
    this.cached = null;
  }

  private remember(value: SpotifyCredentials): void {
    this.cached = { value: { ...value }, until: Date.now() + this.ttlMs };
  }

  private async read(): Promise<SpotifyCredentials> {
    let text: string | undefined;
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: CURRENT }));
      text = result.SecretString;
    } catch (error) {
      const err = error as Error;
      throw new Error(
        `reading the Spotify secret ${this.secretId} failed: ${err.name}: ${err.message}. Check that it exists ` +
          'and the function role may secretsmanager:GetSecretValue on it.',
        { cause: error },
      );
    }
    return parseSpotifySecret(text, `secret ${this.secretId}`, { requireClientId: !this.options.listenerToken });
  }
}

/**
 * One listener's credentials: the app's client id (and secret) from the app's store, the listener's own refresh
 * token from theirs. A refresh token Spotify rotates goes back to the listener's store. A listener store that holds
 * a client id of its own (what `pipeline authorize --listener` writes) is believed over the app's.
 */
export class ListenerCredentialStore implements SpotifyCredentialStore {
  constructor(
    readonly listener: string,
    private readonly app: SpotifyCredentialStore,
    private readonly token: SpotifyCredentialStore,
  ) {}

  describe(): string {
    return `${this.token.describe()} (listener ${this.listener})`;
  }

  async load(options: { fresh?: boolean } = {}): Promise<SpotifyCredentials> {
    const [app, own] = await Promise.all([this.app.load(options), this.token.load(options)]);
    if (!own.refreshToken) {
      throw new Error(`${this.token.describe()} holds no refresh token for listener ${this.listener}: run \`pipeline authorize --listener ${this.listener}\``);
    }
    return {
      clientId: own.clientId || app.clientId,
      clientSecret: own.clientSecret ?? app.clientSecret,
      refreshToken: own.refreshToken,
      ...(own.authorizedAt ? { authorizedAt: own.authorizedAt } : {}),
    };
  }

  saveRotatedRefreshToken(previous: string, next: string): Promise<SaveOutcome> {
    return this.token.saveRotatedRefreshToken(previous, next);
  }

  invalidate(): void {
    (this.app as { invalidate?(): void }).invalidate?.();
    (this.token as { invalidate?(): void }).invalidate?.();
  }
}

/** A secret's JSON as read: written back whole, with only the changed field replaced. */
type SecretJson = Record<string, unknown>;

export class SecretConflictError extends Error {}

/**
 * A compare-and-set on a JSON secret, so that concurrent writers (two listeners' rotations in one run, an hourly poll
 * and the weekly run, `pipeline authorize`) never lose each other's update. Secrets Manager has no conditional put,
 * but its version stages give one: read AWSCURRENT (value and VersionId), put the changed value as a new version
 * labelled AWSPENDING only, then move AWSCURRENT to it with `RemoveFromVersionId` = the version read, which Secrets
 * Manager refuses when AWSCURRENT has moved meanwhile. A refused move re-reads and tries again; the abandoned
 * AWSPENDING version is never current. `change` returns null when nothing needs writing.
 * An empty container (no value yet) is written plainly: its first version becomes current.
 */
export async function compareAndSetSecret(
  client: SecretsManagerClient,
  secretId: string,
  change: (current: SecretJson) => SecretJson | null,
  options: { attempts?: number } = {},
): Promise<'updated' | 'unchanged'> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    let read: { value: SecretJson; versionId: string } | null;
    try {
      const result = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: CURRENT }));
      let value: unknown;
      try {
        value = JSON.parse(result.SecretString ?? '');
      } catch {
        throw new Error(`secret ${secretId} is not JSON. Store {"clientId": ..., "listeners": {...}} (see docs/extraction.md).`);
      }
      read = { value: (value ?? {}) as SecretJson, versionId: result.VersionId! };
    } catch (error) {
      // A container created by the stack has no value until the first `pipeline authorize`.
      if ((error as Error).name !== 'ResourceNotFoundException' || !/AWSCURRENT|value/i.test((error as Error).message)) throw error;
      read = null;
    }
    const next = change(read?.value ?? {});
    if (!next) return 'unchanged';
    if (!read) {
      await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(next) }));
      return 'updated';
    }
    const pending = await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(next), VersionStages: ['AWSPENDING'] }));
    try {
      await client.send(
        new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT', MoveToVersionId: pending.VersionId, RemoveFromVersionId: read.versionId }),
      );
      return 'updated';
    } catch (error) {
      // AWSCURRENT is no longer on the version this change was made to: someone else wrote. Read again.
      if ((error as Error).name !== 'InvalidParameterException') throw error;
    }
  }
  throw new SecretConflictError(`the secret ${secretId} kept changing under ${attempts} attempts to update it; run again`);
}

/**
 * One listener's refresh token inside the app's secret (`listeners.<name>`: `{"refreshToken", "authorizedAt"}`), so
 * that all listeners cost one secret, not one each. A rotated token is written back with compareAndSetSecret:
 * another listener's rotation in the same second, or a `pipeline authorize`, is never lost.
 */
export class SharedSecretListenerStore implements SpotifyCredentialStore {
  private cached: { value: SpotifyCredentials; until: number } | null = null;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    readonly listener: string,
    private readonly ttlMs = CACHE_TTL_MS,
  ) {}

  describe(): string {
    return `the AWS secret ${this.secretId} (listeners.${this.listener})`;
  }

  async load(options: { fresh?: boolean } = {}): Promise<SpotifyCredentials> {
    if (!options.fresh && this.cached && Date.now() < this.cached.until) return { ...this.cached.value };
    const value = await this.read();
    this.cached = { value, until: Date.now() + this.ttlMs };
    return { ...value };
  }

  invalidate(): void {
    this.cached = null;
  }

  async saveRotatedRefreshToken(previous: string, next: string): Promise<SaveOutcome> {
    let outcome: SaveOutcome = 'stored';
    try {
      await compareAndSetSecret(this.client, this.secretId, (raw) => {
        const entries = (raw.listeners ?? {}) as Record<string, SecretJson>;
        const entry = entries[this.listener];
        if (!entry) throw new Error(`listener ${this.listener} disappeared from the secret during the run`);
        if (entry.refreshToken === next) outcome = 'already-stored';
        else if (entry.refreshToken !== previous) outcome = 'kept-newer';
        // Only this listener's token changes; its authorizedAt stays: refreshing does not extend the six months.
        return outcome === 'stored' ? { ...raw, listeners: { ...entries, [this.listener]: { ...entry, refreshToken: next } } } : null;
      });
    } catch (error) {
      const err = error as Error;
      throw new Error(
        `storing listener ${this.listener}'s rotated refresh token in the secret ${this.secretId} failed (${err.name}: ${err.message}). ` +
          'Check that the function role may secretsmanager:GetSecretValue, PutSecretValue and UpdateSecretVersionStage on it; if the ' +
          `next run cannot get a token, run \`npm run pipeline -- authorize --listener ${this.listener} --store aws\`.`,
        { cause: error },
      );
    }
    this.cached = null;
    return outcome;
  }

  private async read(): Promise<SpotifyCredentials> {
    let text: string | undefined;
    try {
      text = (await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: CURRENT }))).SecretString;
    } catch (error) {
      const err = error as Error;
      throw new Error(
        `reading the Spotify secret ${this.secretId} failed: ${err.name}: ${err.message}. Check that it exists and the function role may secretsmanager:GetSecretValue on it.`,
        { cause: error },
      );
    }
    let raw: SecretJson;
    try {
      raw = JSON.parse(text ?? '') as SecretJson;
    } catch {
      throw new Error(`secret ${this.secretId} is not JSON (see docs/extraction.md).`);
    }
    const entry = ((raw?.listeners ?? {}) as Record<string, unknown>)[this.listener];
    if (!entry) {
      throw new Error(
        `the secret ${this.secretId} holds no refresh token for listener ${this.listener}: run \`npm run pipeline -- authorize --listener ${this.listener} --store aws\``,
      );
    }
    return parseSpotifySecret(JSON.stringify(entry), `secret ${this.secretId} (listeners.${this.listener})`, { requireClientId: false });
  }
}
