/**
 * The Spotify credentials in AWS Secrets Manager: one JSON secret
 * `{"clientId": "...", "clientSecret": "...", "refreshToken": "..."}` (clientSecret optional for PKCE apps,
 * refreshToken absent in client-credentials mode) — the same shape as the local secrets file.
 * Read once and cached across warm invocations; a rotated refresh token is written back with PutSecretValue.
 */
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SpotifyCredentials } from '../extract/spotify-client';

/** Warm containers re-read the secret after this, so a new `pipeline authorize` is picked up without a deploy. */
const CACHE_TTL_MS = 10 * 60_000;

export function parseSpotifySecret(text: string | undefined, source: string): SpotifyCredentials {
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
  if (!clientId) throw new Error(`${source} has no "clientId". Put the Spotify app's client id in the secret (see docs/extraction.md).`);
  return { clientId, clientSecret: field('clientSecret'), refreshToken: field('refreshToken') };
}

export class SpotifySecretStore {
  private cached: { value: SpotifyCredentials; until: number } | null = null;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly ttlMs = CACHE_TTL_MS,
  ) {}

  async get(): Promise<SpotifyCredentials> {
    if (this.cached && Date.now() < this.cached.until) return { ...this.cached.value };
    let text: string | undefined;
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      text = result.SecretString;
    } catch (error) {
      const err = error as Error;
      throw new Error(
        `reading the Spotify secret ${this.secretId} failed: ${err.name}: ${err.message}. Check that it exists ` +
          'and the function role may secretsmanager:GetSecretValue on it.',
        { cause: error },
      );
    }
    const value = parseSpotifySecret(text, `secret ${this.secretId}`);
    this.cached = { value, until: Date.now() + this.ttlMs };
    return { ...value };
  }

  /** Writes a rotated refresh token back, keeping the other fields, as a new secret version. */
  async storeRefreshToken(refreshToken: string): Promise<void> {
    const current = await this.get();
    const next: SpotifyCredentials = { ...current, refreshToken };
    await this.client.send(
      new PutSecretValueCommand({ SecretId: this.secretId, SecretString: JSON.stringify(next) }),
    );
    this.cached = { value: next, until: Date.now() + this.ttlMs };
  }

  /** Forget the cached value (e.g. after Spotify refused the token, to pick up a fresh authorisation). */
  invalidate(): void {
    this.cached = null;
  }
}
