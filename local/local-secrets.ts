/**
 * Spotify secrets for runs on this machine: from the environment (SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET,
 * SPOTIFY_REFRESH_TOKEN) or from the git-ignored JSON file named by config.local.secretsFile, which
 * `pipeline authorize` writes. In AWS the same values live in Secrets Manager instead.
 *
 * Spotify may rotate the refresh token (the old one then stops working). The file store writes the new one back
 * into the file. From the environment the new token cannot be written back into the shell, so it goes into the
 * secrets file, marked as superseding the environment's token (by its SHA-256, never the token itself): as long
 * as SPOTIFY_REFRESH_TOKEN still names the dead token, runs use the file's.
 *
 * Listeners (config/listeners.ts) each keep their own refresh token: in `SPOTIFY_REFRESH_TOKEN_<NAME>`, or in the
 * file under `listeners.<name>` (what `pipeline authorize --listener <name>` writes), rotated the same way.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { listenerEnvVar, type ListenerConfig } from '../config/listeners';
import type { SaveOutcome, SpotifyCredentials, SpotifyCredentialStore } from '../handlers/shared/spotify-secret';

export const LocalSecretsSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  refreshToken: z.string().min(1).optional(),
  /** When the user authorised (ISO-8601 UTC; `pipeline authorize` records it): the token dies six months later. */
  authorizedAt: z.iso.datetime().optional(),
  /** SHA-256 (hex) of environment refresh tokens this file's token replaced after Spotify rotated them. */
  supersedes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).optional(),
  /** Each configured listener's own refresh token (`pipeline authorize --listener <name>`). */
  listeners: z
    .record(
      z.string().regex(/^[a-z][a-z0-9-]{0,29}$/),
      z.object({
        refreshToken: z.string().min(1),
        authorizedAt: z.iso.datetime().optional(),
        supersedes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).optional(),
      }),
    )
    .optional(),
});
export type LocalSecrets = z.infer<typeof LocalSecretsSchema>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function readSecretsFile(file: string): LocalSecrets | undefined {
  const path = resolve(file);
  if (!existsSync(path)) return undefined;
  const parsed = LocalSecretsSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${path} is not a valid secrets file (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}). ` +
        'Run `pipeline authorize` again, or delete the file to use the embedded fake Spotify.',
    );
  }
  return parsed.data;
}

/** The credentials from the environment, with a rotated refresh token from the file when it supersedes the environment's. */
function fromEnvironment(file: string, env: NodeJS.ProcessEnv): LocalSecrets {
  const secrets = LocalSecretsSchema.parse({
    clientId: env.SPOTIFY_CLIENT_ID,
    clientSecret: env.SPOTIFY_CLIENT_SECRET || undefined,
    refreshToken: env.SPOTIFY_REFRESH_TOKEN || undefined,
  });
  if (secrets.refreshToken) {
    const saved = readSecretsFile(file);
    if (saved?.refreshToken && saved.clientId === secrets.clientId && saved.supersedes?.includes(sha256(secrets.refreshToken))) {
      return { ...secrets, refreshToken: saved.refreshToken };
    }
  }
  return secrets;
}

export function readLocalSecrets(file: string, env: NodeJS.ProcessEnv = process.env): LocalSecrets | undefined {
  if (env.SPOTIFY_CLIENT_ID) return fromEnvironment(file, env);
  return readSecretsFile(file);
}

/** Written atomically and readable by the owner only: a refresh token is a long-lived credential. */
export function writeLocalSecrets(file: string, secrets: LocalSecrets): void {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(LocalSecretsSchema.parse(secrets), null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  chmodSync(path, 0o600);
}

const toCredentials = ({ clientId, clientSecret, refreshToken, authorizedAt }: LocalSecrets): SpotifyCredentials => ({
  clientId,
  clientSecret,
  refreshToken,
  ...(authorizedAt ? { authorizedAt } : {}),
});

/** The local secrets file (what `pipeline authorize` writes): read afresh on every load, rotated tokens written back. */
export class LocalSecretsFileStore implements SpotifyCredentialStore {
  constructor(private readonly file: string) {}

  describe(): string {
    return this.file;
  }

  async load(): Promise<SpotifyCredentials> {
    const secrets = readSecretsFile(this.file);
    if (!secrets) throw new Error(`no Spotify secrets file at ${resolve(this.file)}: run \`pipeline authorize\` once`);
    return toCredentials(secrets);
  }

  async saveRotatedRefreshToken(previous: string, next: string): Promise<SaveOutcome> {
    const current = readSecretsFile(this.file);
    if (current?.refreshToken === next) return 'already-stored';
    // A `pipeline authorize` since this run started wrote another token: keep it (the newer intent).
    if (current && current.refreshToken !== previous) return 'kept-newer';
    if (!current) throw new Error(`the secrets file ${resolve(this.file)} disappeared during the run; run \`pipeline authorize\` again`);
    writeLocalSecrets(this.file, { ...current, refreshToken: next });
    return 'stored';
  }
}

/**
 * SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET / SPOTIFY_REFRESH_TOKEN. A rotated token goes into the secrets file
 * (see the top of this file) and `notify` says where, so the user can put it into their environment.
 */
export class EnvironmentCredentialStore implements SpotifyCredentialStore {
  constructor(
    private readonly file: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly notify: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
  ) {}

  describe(): string {
    return 'the environment (SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET, SPOTIFY_REFRESH_TOKEN)';
  }

  async load(): Promise<SpotifyCredentials> {
    return toCredentials(fromEnvironment(this.file, this.env));
  }

  async saveRotatedRefreshToken(_previous: string, next: string): Promise<SaveOutcome> {
    const environmentToken = this.env.SPOTIFY_REFRESH_TOKEN;
    const saved = readSecretsFile(this.file);
    const supersedes = new Set(saved?.clientId === this.env.SPOTIFY_CLIENT_ID ? (saved?.supersedes ?? []) : []);
    if (environmentToken) supersedes.add(sha256(environmentToken));
    writeLocalSecrets(this.file, { clientId: this.env.SPOTIFY_CLIENT_ID as string, refreshToken: next, supersedes: [...supersedes] });
    this.notify(
      `Spotify rotated the refresh token: the one in SPOTIFY_REFRESH_TOKEN no longer works. The new one is stored in ` +
        `${resolve(this.file)} (mode 600) and used by the next runs while SPOTIFY_REFRESH_TOKEN still names the old one; ` +
        'copy it into your environment or unset SPOTIFY_REFRESH_TOKEN.',
    );
    return 'stored';
  }
}

/** The file's entry for one listener, written atomically with the rest of the file kept. */
export function writeListenerToken(
  file: string,
  clientId: string,
  listener: string,
  entry: { refreshToken: string; authorizedAt?: string; supersedes?: string[] },
): void {
  const current = readSecretsFile(file);
  const base: LocalSecrets = current ?? { clientId };
  writeLocalSecrets(file, { ...base, listeners: { ...(base.listeners ?? {}), [listener]: entry } });
}

/** A listener's refresh token in the local secrets file (`listeners.<name>`), rotated tokens written back. */
export class LocalListenerTokenStore implements SpotifyCredentialStore {
  constructor(
    private readonly file: string,
    private readonly listener: string,
  ) {}

  describe(): string {
    return `${this.file} (listeners.${this.listener})`;
  }

  async load(): Promise<SpotifyCredentials> {
    const entry = readSecretsFile(this.file)?.listeners?.[this.listener];
    if (!entry) {
      throw new Error(`no refresh token for listener ${this.listener} in ${resolve(this.file)}: run \`pipeline authorize --listener ${this.listener}\``);
    }
    return { clientId: '', refreshToken: entry.refreshToken, ...(entry.authorizedAt ? { authorizedAt: entry.authorizedAt } : {}) };
  }

  async saveRotatedRefreshToken(previous: string, next: string): Promise<SaveOutcome> {
    const current = readSecretsFile(this.file);
    const entry = current?.listeners?.[this.listener];
    if (entry?.refreshToken === next) return 'already-stored';
    if (!current || !entry) throw new Error(`listener ${this.listener} disappeared from ${resolve(this.file)} during the run; run \`pipeline authorize --listener ${this.listener}\``);
    if (entry.refreshToken !== previous) return 'kept-newer';
    writeListenerToken(this.file, current.clientId, this.listener, { ...entry, refreshToken: next });
    return 'stored';
  }
}

/**
 * A listener's refresh token in an environment variable (SPOTIFY_REFRESH_TOKEN_<NAME>). As for the app's token, a
 * rotated one goes into the secrets file, marked as superseding the variable's (by its SHA-256).
 */
export class EnvironmentListenerTokenStore implements SpotifyCredentialStore {
  constructor(
    private readonly file: string,
    private readonly listener: string,
    private readonly variable: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly notify: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
  ) {}

  describe(): string {
    return `the environment (${this.variable})`;
  }

  async load(): Promise<SpotifyCredentials> {
    const token = this.env[this.variable];
    if (!token) throw new Error(`${this.variable} is empty: set it to listener ${this.listener}'s refresh token`);
    const entry = readSecretsFile(this.file)?.listeners?.[this.listener];
    return { clientId: '', refreshToken: entry?.supersedes?.includes(sha256(token)) ? entry.refreshToken : token };
  }

  async saveRotatedRefreshToken(_previous: string, next: string): Promise<SaveOutcome> {
    const token = this.env[this.variable];
    const current = readSecretsFile(this.file);
    const supersedes = new Set(current?.listeners?.[this.listener]?.supersedes ?? []);
    if (token) supersedes.add(sha256(token));
    writeListenerToken(this.file, current?.clientId ?? this.env.SPOTIFY_CLIENT_ID ?? 'unknown', this.listener, { refreshToken: next, supersedes: [...supersedes] });
    this.notify(
      `Spotify rotated listener ${this.listener}'s refresh token: the one in ${this.variable} no longer works. The new one is ` +
        `stored in ${resolve(this.file)} (mode 600) and used while ${this.variable} still names the old one; copy it into your ` +
        `environment or unset ${this.variable}.`,
    );
    return 'stored';
  }
}

/** Where a listener's refresh token lives on this machine: their environment variable if set, else the secrets file. */
export function localListenerTokenStore(file: string, listener: ListenerConfig, env: NodeJS.ProcessEnv = process.env): SpotifyCredentialStore {
  const variable = listenerEnvVar(listener);
  return env[variable] ? new EnvironmentListenerTokenStore(file, listener.name, variable, env) : new LocalListenerTokenStore(file, listener.name);
}
