/**
 * Each listener's refresh-token lifetime for the health view, from when they authorised (recorded beside the
 * token by `pipeline authorize`): locally in the secrets file, in AWS in the listeners' secret.
 */
import type { PipelineConfig } from '../../config/pipeline-config';
import { effectiveListeners } from '../../config/listeners';
import { readLocalSecrets } from '../../local/local-secrets';
import { refreshTokenLifetime } from '../../handlers/shared/token-lifetime';
import type { TokenHealth } from './health-report';

export function tokenHealth(listener: string, authorizedAt: string | null | undefined, now: Date): TokenHealth {
  if (!authorizedAt) return { listener, authorizedAt: null, expiresAt: null, daysLeft: null };
  const lifetime = refreshTokenLifetime(new Date(authorizedAt), now);
  return { listener, authorizedAt: new Date(authorizedAt).toISOString(), expiresAt: lifetime.expiresAt.toISOString(), daysLeft: lifetime.daysLeft };
}

/** From the local secrets file; null when there is none (the embedded fake Spotify needs no token). */
export function localTokens(config: PipelineConfig, now: Date): TokenHealth[] | null {
  const secrets = readLocalSecrets(config.local.secretsFile);
  if (!secrets) return null;
  return effectiveListeners(config.spotify.listeners).map((l) => {
    const entry = config.spotify.listeners.length === 0 ? secrets : secrets.listeners?.[l.name];
    return tokenHealth(l.name, (entry as { authorizedAt?: string } | undefined)?.authorizedAt, now);
  });
}
