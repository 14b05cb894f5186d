/**
 * One customer-managed KMS key for the compute stack's own data at rest: log groups, the Spotify secrets (the
 * app's and each listener's), the schedules' input, the failures queue and the alarm topic. A customer-managed key (not aws/sns or aws/sqs) is what lets
 * CloudWatch alarms and EventBridge publish to an encrypted topic at all.
 */
import { Construct } from 'constructs';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { resourcePolicy } from './iam';
import type { PipelineContext } from './context';

export interface PipelineKeyProps {
  /** Account and region (who may use the key) and prefix (the alias, alias/<prefix>) of the stack. Required. */
  context: PipelineContext;
}

export class PipelineKey extends Construct {
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: PipelineKeyProps) {
    super(scope, id);
    const { accountId, region, prefix: alias } = props.context;
    this.key = new KmsKey(this, 'key', {
      description: `Encrypts logs, secret, dead letters and alarm messages of ${alias}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: resourcePolicy([
        {
          // AWS's default key policy: the account (through IAM policies) administers the key. Without it the key
          // can become unmanageable, which AWS cannot undo. Roles still need IAM grants to use it.
          Sid: 'AccountAdministersKeyThroughIam',
          Principal: { AWS: `arn:aws:iam::${accountId}:root` },
          Action: ['kms:*'],
          Resource: ['*'],
        },
        {
          Sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
          Principal: { Service: `logs.${region}.amazonaws.com` },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          Resource: ['*'],
          Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${accountId}:log-group:*` } },
        },
        {
          Sid: 'AlarmsAndEventsPublishToEncryptedTopic',
          Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: ['*'],
          Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
        },
      ]),
    });
    new KmsAlias(this, 'alias', { name: `alias/${alias}`, targetKeyId: this.key.keyId });
  }
}
