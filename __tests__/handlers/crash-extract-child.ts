/**
 * A real extract Lambda attempt in a process of its own, for __tests__/handlers/crash-claim.test.ts: the production
 * handler (its claim, lease heartbeat, resume) against moto's S3 and the fake Spotify. Once its first raw document is
 * written and recorded in the run's checkpoint it prints `raw-written <key>` and every later write waits forever, so
 * the test's SIGKILL finds it exactly there (an event, not a moment in time).
 *
 * Input (JSON in argv[2]): { s3: client config, bucket, config: pipeline configuration, credentials, event }.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createExtractHandler } from '../../handlers/extract/index';
import { S3ObjectWriter, type RawObjectWriter } from '../../handlers/shared/raw-writer';
import { RunClaims } from '../../handlers/shared/run-claim';
import { InMemoryCredentialStore } from '../../handlers/shared/spotify-secret';
import { PipelineConfigSchema } from '../../config/pipeline-config';

const input = JSON.parse(process.argv[2]) as {
  s3: S3ClientConfig;
  bucket: string;
  config: unknown;
  credentials: { clientId: string; clientSecret?: string; refreshToken?: string };
  event: Record<string, unknown>;
};

const s3 = new S3Client(input.s3);
const real = new S3ObjectWriter(s3, input.bucket);
let paused = false;
let firstDocument: string | null = null;
const isCheckpoint = (key: string) => key.endsWith('/_checkpoint.json');
const writer: RawObjectWriter = {
  put: async (key, body, contentType) => {
    if (paused) return new Promise<never>(() => undefined);
    const written = await real.put(key, body, contentType);
    if (!firstDocument && key.startsWith('raw/extract_date=') && !isCheckpoint(key)) firstDocument = key;
    if (firstDocument && isCheckpoint(key) && String(body).includes(firstDocument)) {
      paused = true;
      process.stdout.write(`raw-written ${firstDocument}\n`);
    }
    return written;
  },
  get: (key) => real.get(key),
  stat: (key) => real.stat(key),
  describe: () => real.describe(),
};

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const handler = createExtractHandler({
  config: PipelineConfigSchema.parse(input.config),
  writer,
  secrets: new InMemoryCredentialStore(input.credentials),
  claims: new RunClaims(s3, input.bucket),
  logger: new Logger({ serviceName: 'crash-child', logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'test', serviceName: 'crash-child' }),
});
handler(input.event).then(
  (result) => process.stdout.write(`finished ${JSON.stringify(result)}\n`),
  (error: Error) => {
    process.stderr.write(`failed ${error.message}\n`);
    process.exitCode = 1;
  },
);
