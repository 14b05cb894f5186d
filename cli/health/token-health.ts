/**
 * Each listener's refresh-token lifetime for the health view, from when they authorised (`authorizedAt`, recorded
 * beside the token by `pipeline authorize`): locally in the secrets file, in AWS in the app secret. The rule itself
 * is handlers/shared/token-lifetime.ts, the one the runs report and the alarm follows.
 */
import type { PipelineConfig } from '../../config/pipeline-config';
import { effectiveListeners } from '../../config/listeners';
import { readLocalSecrets } from '../../local/local-secrets';
import { tokenLifetime } from '../../handlers/shared/token-lifetime';
import type { TokenHealth } from './health-report';

export function tokenHealth(listener: string, authorizedAt: string | null | undefined, now: Date): TokenHealth {
  const lifetime = tokenLifetime(listener, authorizedAt ?? undefined, now);
  if (!lifetime.known) return { listener, authorizedAt: null, expiresAt: null, daysLeft: null };
  return { listener, authorizedAt: new Date(lifetime.authorizedAt).toISOString(), expiresAt: lifetime.expiresAt, daysLeft: lifetime.daysLeft };
}

/** From the local secrets file; null when there is none (the embedded fake Spotify needs no token). */
export function localTokens(config: PipelineConfig, now: Date): TokenHealth[] | null {
  const secrets = readLocalSecrets(config.local.secretsFile);
  if (!secrets) return null;
  return effectiveListeners(config.spotify.listeners).map((l) => {
    const entry = config.spotify.listeners.length === 0 ? secrets : secrets.listeners?.[l.name];
    return tokenHealth(l.name, entry?.authorizedAt, now);
  });
}
