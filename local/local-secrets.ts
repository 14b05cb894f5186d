/**
 * Spotify secrets for runs on this machine: from the environment (SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET,
 * SPOTIFY_REFRESH_TOKEN) or from the git-ignored JSON file named by config.local.secretsFile, which
 * `pipeline authorize` writes. In AWS the same values live in Secrets Manager instead.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

export const LocalSecretsSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  refreshToken: z.string().min(1).optional(),
});
export type LocalSecrets = z.infer<typeof LocalSecretsSchema>;

export function readLocalSecrets(file: string, env: NodeJS.ProcessEnv = process.env): LocalSecrets | undefined {
  if (env.SPOTIFY_CLIENT_ID) {
    return LocalSecretsSchema.parse({
      clientId: env.SPOTIFY_CLIENT_ID,
      clientSecret: env.SPOTIFY_CLIENT_SECRET || undefined,
      refreshToken: env.SPOTIFY_REFRESH_TOKEN || undefined,
    });
  }
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

/** Written atomically and readable by the owner only: a refresh token is a long-lived credential. */
export function writeLocalSecrets(file: string, secrets: LocalSecrets): void {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(LocalSecretsSchema.parse(secrets), null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  chmodSync(path, 0o600);
}
