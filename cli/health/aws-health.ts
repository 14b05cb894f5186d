/**
 * The health view of the deployed account (`pipeline status --target aws`): the runs in the bucket (manifests and
 * commit records, read with the official S3 client), each listener's token lifetime from their secret, and the
 * pipeline's CloudWatch alarms in ALARM. Clients honour the SDK's usual settings (profile, AWS_ENDPOINT_URL...).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { resourceNames, type PipelineConfig } from '../../config/pipeline-config';
import { DEFAULT_LISTENER_NAME } from '../../config/listeners';
import { SpotifySecretStore, type SpotifyCredentialStore } from '../../handlers/shared/spotify-secret';
import { listenersWithSecrets } from '../../handlers/extract/index';
import { alarmsInAlarm } from './aws-alarms';
import { S3BucketListing } from './bucket-listing';
import { bucketStages } from './gather';
import { tokenHealth } from './token-health';
import type { TokenHealth } from './health-report';

export interface AwsClients {
  s3: S3Client;
  secretsManager: SecretsManagerClient;
  cloudwatch: CloudWatchClient;
}

function defaultClients(config: PipelineConfig): AwsClients {
  const region = config.aws.region;
  return { s3: new S3Client({ region }), secretsManager: new SecretsManagerClient({ region }), cloudwatch: new CloudWatchClient({ region }) };
}

async function authorizedAt(store: SpotifyCredentialStore): Promise<string | null> {
  return (await store.load({ fresh: true })).authorizedAt ?? null;
}

async function awsTokens(config: PipelineConfig, secretsManager: SecretsManagerClient, now: Date): Promise<TokenHealth[]> {
  const names = resourceNames(config);
  const app = new SpotifySecretStore(secretsManager, names.spotifySecret);
  const listeners = listenersWithSecrets(config, app, secretsManager, names.spotifySecret) ?? [{ name: DEFAULT_LISTENER_NAME, credentials: app }];
  return Promise.all(
    listeners.map(async (l) => {
      try {
        return tokenHealth(l.name, await authorizedAt(l.credentials as SpotifyCredentialStore), now);
      } catch {
        // A missing or unreadable secret reads as "not recorded": the problem list then says to authorise.
        return tokenHealth(l.name, null, now);
      }
    }),
  );
}

export async function awsHealth(config: PipelineConfig, listeners: readonly string[] | null, now: Date, days: number, clients = defaultClients(config)) {
  const names = resourceNames(config);
  const bucket = new S3BucketListing(clients.s3, names.bucket);
  const [stages, tokens, alarms] = await Promise.all([
    bucketStages(bucket, listeners, now, days, null),
    awsTokens(config, clients.secretsManager, now),
    alarmsInAlarm(clients.cloudwatch, `${names.prefix}-`),
  ]);
  return { where: `${bucket.describe()} (${config.aws.region})`, ...stages, tokens, alarms };
}
