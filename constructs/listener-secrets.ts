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

export interface ListenerSecretsProps {
  prefix: string;
  listeners: readonly ListenerConfig[];
  accountId: string;
  region: string;
  kmsKeyArn?: string;
  recoveryWindowInDays: number;
}

export class ListenerSecrets extends Construct {
  readonly secrets: SecretsmanagerSecret[] = [];
  /** Every listener secret the extract reads and writes (created here, or named in the configuration). */
  readonly secretArns: string[] = [];

  constructor(scope: Construct, id: string, props: ListenerSecretsProps) {
    super(scope, id);
    for (const listener of props.listeners) {
      const configured = listener.refreshToken.awsSecretId;
      if (configured) {
        // A name matches the secret's ARN with the random suffix Secrets Manager adds.
        this.secretArns.push(configured.startsWith('arn:') ? configured : `arn:aws:secretsmanager:${props.region}:${props.accountId}:secret:${configured}-*`);
        continue;
      }
      const secret = new SecretsmanagerSecret(this, listener.name, {
        name: listenerSecretId(props.prefix, listener),
        description: `Spotify refresh token of listener ${listener.name} (JSON {"clientId", "refreshToken"}): pipeline authorize --listener ${listener.name} --store aws.`,
        kmsKeyId: props.kmsKeyArn,
        recoveryWindowInDays: props.recoveryWindowInDays,
      });
      skipCheck(
        secret,
        'CKV2_AWS_57',
        "Spotify rotates the listener's refresh token itself: the extract Lambda stores each new token back (PutSecretValue).",
      );
      if (!props.kmsKeyArn) skipCheck(secret, 'CKV_AWS_149', NO_KEY_REASON);
      this.secrets.push(secret);
      this.secretArns.push(secret.arn);
    }
  }
}
