/**
 * One Secrets Manager secret per configured listener (config/listeners.ts): `<prefix>/spotify/listeners/<name>`,
 * holding `{"clientId": ..., "refreshToken": ...}` as `pipeline authorize --listener <name> --store aws` writes it.
 * Only the containers: the values never pass through Terraform. A listener whose `refreshToken.awsSecretId` names
 * a secret of its own gets none here; the extract may read and write that one instead.
 */
import { Construct } from 'constructs';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { listenerSecretId, type ListenerConfig } from '../config/listeners';
import { skipCheck } from './checkov';
import { NO_KEY_REASON } from './node-lambda';
import type { PipelineContext } from './context';

export interface ListenerSecretsProps {
  /** Account, region, prefix (secret names) and key (encryption) of the stack. Required. */
  context: PipelineContext;
  /** The configured listeners (spotify.listeners). Required; an empty list makes no secrets. */
  listeners: readonly ListenerConfig[];
  /** Days a deleted secret can still be restored (7 to 30). Default: secretRecoveryDays of the environment. */
  recoveryWindowInDays?: number;
}

/** Days a deleted secret can still be restored: a month in prod, a week elsewhere. */
export function secretRecoveryDays(environmentName: string): number {
  return environmentName === 'prod' ? 30 : 7;
}

export class ListenerSecrets extends Construct {
  readonly secrets: SecretsmanagerSecret[] = [];
  /** Every listener secret the extract reads and writes (created here, or named in the configuration). */
  readonly secretArns: string[] = [];

  constructor(scope: Construct, id: string, props: ListenerSecretsProps) {
    super(scope, id);
    const { context } = props;
    for (const listener of props.listeners) {
      const configured = listener.refreshToken.awsSecretId;
      if (configured) {
        // A name matches the secret's ARN with the random suffix Secrets Manager adds.
        this.secretArns.push(configured.startsWith('arn:') ? configured : `arn:aws:secretsmanager:${context.region}:${context.accountId}:secret:${configured}-*`);
        continue;
      }
      const secret = new SecretsmanagerSecret(this, listener.name, {
        name: listenerSecretId(context.prefix, listener),
        description: `Spotify refresh token of listener ${listener.name} (JSON {"clientId", "refreshToken"}): pipeline authorize --listener ${listener.name} --store aws.`,
        kmsKeyId: context.kmsKeyArn,
        recoveryWindowInDays: props.recoveryWindowInDays ?? secretRecoveryDays(context.environmentName),
      });
      skipCheck(
        secret,
        'CKV2_AWS_57',
        "Spotify rotates the listener's refresh token itself: the extract Lambda stores each new token back (PutSecretValue).",
      );
      if (!context.kmsKeyArn) skipCheck(secret, 'CKV_AWS_149', NO_KEY_REASON);
      this.secrets.push(secret);
      this.secretArns.push(secret.arn);
    }
  }
}
