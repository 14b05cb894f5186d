/**
 * Where the configured listeners' refresh tokens live in AWS (config/listeners.ts). By default in the app's one
 * secret, `<prefix>/spotify`, under `listeners.<name>` (`pipeline authorize --listener <name> --store aws` writes
 * there, the extract writes rotated tokens back with a compare-and-set: handlers/shared/spotify-secret.ts), so
 * five listeners cost one secret ($0.40 a month) instead of six ($2.40). This construct creates nothing for them: it
 * names the secrets of listeners whose `refreshToken.awsSecretId` points at one of their own, which the extract may
 * then read and write too.
 */
import { Construct } from 'constructs';
import type { ListenerConfig } from '../config/listeners';
import type { PipelineContext } from './context';

export interface ListenerSecretsProps {
  /** Account and region of the stack (the ARN pattern of a secret named by its name). Required. */
  context: PipelineContext;
  /** The configured listeners (spotify.listeners). Required; an empty list, or listeners without a secret of their own, name none. */
  listeners: readonly ListenerConfig[];
}

/** Days a deleted secret can still be restored: a month in prod, a week elsewhere. */
export function secretRecoveryDays(environmentName: string): number {
  return environmentName === 'prod' ? 30 : 7;
}

export class ListenerSecrets extends Construct {
  /** The secrets of their own that listeners name (`refreshToken.awsSecretId`); the extract reads and writes them. */
  readonly secretArns: string[] = [];

  constructor(scope: Construct, id: string, props: ListenerSecretsProps) {
    super(scope, id);
    const { context } = props;
    for (const listener of props.listeners) {
      const configured = listener.refreshToken.awsSecretId;
      if (!configured) continue;
      // A name matches the secret's ARN with the random suffix Secrets Manager adds.
      this.secretArns.push(configured.startsWith('arn:') ? configured : `arn:aws:secretsmanager:${context.region}:${context.accountId}:secret:${configured}-*`);
    }
  }
}
