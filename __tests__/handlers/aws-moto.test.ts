/**
 * The AWS code paths of the Lambdas through the real SDK v3 clients, against moto's server mode on loopback:
 * the S3 writer, the Spotify secret (read, cache, rotated token written back) and the start-transform Lambda
 * (start once per run id, duplicate and concurrent events, a busy job), the run claims (conditional writes: moto
 * 5.2.5 honours If-None-Match and If-Match on PutObject with 412, as S3 does) and the extract Lambda's claim.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateJobCommand, GetJobRunsCommand, GlueClient } from '@aws-sdk/client-glue';
import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMotoServer, type MotoServer } from '../../local/fakes/moto/server';
import { S3ObjectWriter } from '../../handlers/shared/raw-writer';
import { planImport, writeImport } from '../../cli/import-run';
import { SpotifySecretStore, parseSpotifySecret } from '../../handlers/shared/spotify-secret';
import { createStartTransformHandler } from '../../handlers/start-transform/index';
import { JobBusyError } from '../../handlers/start-transform/start-transform';
import { ClaimLostError, RunClaims } from '../../handlers/shared/run-claim';
import {
  CLAIM_HEARTBEAT_MS,
  CLAIM_LEASE_SECONDS,
  CLAIM_WAIT_MS,
  createExtractHandler,
  ExtractEventSchema,
  listenersWithSecrets,
  runIdentity,
} from '../../handlers/extract/index';
import { compareAndSetSecret, InMemoryCredentialStore } from '../../handlers/shared/spotify-secret';
import type { RawObjectWriter } from '../../handlers/shared/raw-writer';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FakeClock } from './fake-clock';
import { PipelineConfigSchema } from '../../config/pipeline-config';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { startFakeSpotify, type FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { SAMPLE_PLAYLIST_IDS } from '../../local/fakes/spotify/catalog';

let moto: MotoServer;
let s3: S3Client;
let secretsClient: SecretsManagerClient;
let glue: GlueClient;
const quietLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

beforeAll(async () => {
  // Single-threaded: moto's threaded server lets two racing conditional PUTs to one key both succeed (seen: 2 of 8
  // claims won), where S3 makes them atomic; one request at a time restores that guarantee.
  moto = await startMotoServer({ threaded: false });
  s3 = new S3Client(moto.clientConfig);
  secretsClient = new SecretsManagerClient(moto.clientConfig);
  glue = new GlueClient(moto.clientConfig);
});

afterAll(async () => {
  s3?.destroy();
  secretsClient?.destroy();
  glue?.destroy();
  await moto?.close();
});

beforeEach(() => moto.reset());

/**
 * An HTTP proxy in front of moto that answers the first `failures` calls of one Secrets Manager action with a
 * 500, as a bad moment of the real service would: the store must survive it through the real SDK client.
 */
async function faultyProxy(target: string, amzTarget: string, failures: number) {
  let failed = 0;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.headers['x-amz-target'] === amzTarget && failed < failures) {
        failed += 1;
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InternalServiceError', message: 'injected by the test proxy' }));
        return;
      }
      const headers = { ...req.headers } as Record<string, string>;
      delete headers.host;
      const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    failed: () => failed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('S3ObjectWriter', () => {
  test('writes the exact bytes, returns their size and sha256, and rewrites a key in place', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'raw-test', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const writer = new S3ObjectWriter(s3, 'raw-test');
    const body = JSON.stringify({ kind: 'playlist', name: 'Ünïcødé ♫', items: Array.from({ length: 2000 }, (_, i) => i) });
    const key = 'raw/extract_date=2026-11-25/run_id=20261125T060000Z-a1b2c3/playlists/x.json';

    const first = await writer.put(key, body, 'application/json');
    expect(first.bytes).toBe(Buffer.byteLength(body));
    expect(first.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'raw-test', Key: key }));
    expect(await got.Body!.transformToString()).toBe(body);
    expect(got.ContentType).toBe('application/json');

    await writer.put(key, 'second', 'application/json');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'raw-test', Prefix: 'raw/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    expect(writer.describe()).toBe('s3://raw-test');
  });

  test('reads objects back and states their size and sha256; a missing key is null, not an error', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'raw-read', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const writer = new S3ObjectWriter(s3, 'raw-read');
    const body = JSON.stringify({ kind: 'playlist', items: Array.from({ length: 500 }, (_, i) => `track-${i}`) });
    const written = await writer.put('raw/x/playlists/a.json', body, 'application/json');
    expect(Buffer.from((await writer.get('raw/x/playlists/a.json'))!).toString('utf8')).toBe(body);
    expect(await writer.stat('raw/x/playlists/a.json')).toEqual(written);
    expect(await writer.get('raw/x/playlists/none.json')).toBeNull();
    expect(await writer.stat('raw/x/playlists/none.json')).toBeNull();
    // An object written without a checksum (by another tool) is read and hashed instead.
    await s3.send(new PutObjectCommand({ Bucket: 'raw-read', Key: 'raw/x/playlists/b.json', Body: body }));
    expect(await writer.stat('raw/x/playlists/b.json')).toEqual(written);
  });

  test('a missing bucket fails with the bucket, the key and what to check', async () => {
    const writer = new S3ObjectWriter(s3, 'no-such-bucket');
    await expect(writer.put('raw/a.json', '{}', 'application/json')).rejects.toThrow(
      /s3:\/\/no-such-bucket\/raw\/a\.json failed \(HTTP 404\).*NoSuchBucket.*s3:PutObject/s,
    );
  });

  test('rejects keys that are not plain relative bucket keys', async () => {
    const writer = new S3ObjectWriter(s3, 'raw-test');
    await expect(writer.put('/raw/a.json', '{}', 'application/json')).rejects.toThrow(/not a relative bucket key/);
    await expect(writer.put('raw/../a.json', '{}', 'application/json')).rejects.toThrow(/not a relative bucket key/);
  });
});

describe('SpotifySecretStore', () => {
  test('reads the secret once, serves it from cache, and writes a rotated refresh token back keeping the rest', async () => {
    const created = await secretsClient.send(
      new CreateSecretCommand({
        Name: 'spotify-pipeline-dev/spotify',
        SecretString: JSON.stringify({ clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-1' }),
      }),
    );
    const store = new SpotifySecretStore(secretsClient, created.ARN!);
    expect(await store.get()).toEqual({ clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-1' });

    // Changed behind the store's back: the cached value is served until the cache is invalidated.
    await secretsClient.send(
      new PutSecretValueCommand({ SecretId: created.ARN, SecretString: JSON.stringify({ clientId: 'cid', refreshToken: 'rt-outside' }) }),
    );
    expect((await store.get()).refreshToken).toBe('rt-1');
    store.invalidate();
    expect((await store.get()).refreshToken).toBe('rt-outside');

    await store.saveRotatedRefreshToken('rt-outside', 'rt-2');
    const stored = await secretsClient.send(new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: 'AWSCURRENT' }));
    expect(JSON.parse(stored.SecretString!)).toEqual({ clientId: 'cid', refreshToken: 'rt-2' });
    expect((await store.get()).refreshToken).toBe('rt-2');
  });

  test('a rotated token is merged into the secret as it is now, not into a copy cached before an operator changed it', async () => {
    const created = await secretsClient.send(
      new CreateSecretCommand({ Name: 'rotate/merge', SecretString: JSON.stringify({ clientId: 'cid', clientSecret: 'old-secret', refreshToken: 'rt-1' }) }),
    );
    const store = new SpotifySecretStore(secretsClient, created.ARN!);
    await store.get();
    // An operator rotates the app's client secret in the dashboard and updates the secret.
    await secretsClient.send(
      new PutSecretValueCommand({ SecretId: created.ARN, SecretString: JSON.stringify({ clientId: 'cid', clientSecret: 'new-secret', refreshToken: 'rt-1' }) }),
    );
    expect(await store.saveRotatedRefreshToken('rt-1', 'rt-2')).toBe('stored');
    const stored = JSON.parse((await secretsClient.send(new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: 'AWSCURRENT' }))).SecretString!);
    expect(stored).toEqual({ clientId: 'cid', clientSecret: 'new-secret', refreshToken: 'rt-2' });
  });

  test('a failed write of a rotated token is retried instead of losing the token', async () => {
    const created = await secretsClient.send(
      new CreateSecretCommand({ Name: 'rotate/retry', SecretString: JSON.stringify({ clientId: 'cid', refreshToken: 'rt-1' }) }),
    );
    const proxy = await faultyProxy(moto.endpoint, 'secretsmanager.PutSecretValue', 1);
    const flaky = new SecretsManagerClient({ ...moto.clientConfig, endpoint: proxy.endpoint, maxAttempts: 1 });
    try {
      const store = new SpotifySecretStore(flaky, created.ARN!, undefined, 10);
      await store.get();
      expect(await store.saveRotatedRefreshToken('rt-1', 'rt-2')).toBe('stored');
      expect(proxy.failed()).toBe(1);
      const stored = JSON.parse((await secretsClient.send(new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: 'AWSCURRENT' }))).SecretString!);
      expect(stored.refreshToken).toBe('rt-2');
    } finally {
      flaky.destroy();
      await proxy.close();
    }
  });

  test('a retried write that had landed creates no second version, and a token stored meanwhile by someone else is kept', async () => {
    const created = await secretsClient.send(
      new CreateSecretCommand({ Name: 'rotate/version', SecretString: JSON.stringify({ clientId: 'cid', refreshToken: 'rt-1' }) }),
    );
    const store = new SpotifySecretStore(secretsClient, created.ARN!);
    expect(await store.saveRotatedRefreshToken('rt-1', 'rt-2')).toBe('stored');
    expect(await store.saveRotatedRefreshToken('rt-1', 'rt-2')).toBe('already-stored');
    // `pipeline authorize --store aws` ran meanwhile: its token is the newer intent and stays.
    await secretsClient.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: JSON.stringify({ clientId: 'cid', refreshToken: 'rt-reauthorised' }) }));
    expect(await store.saveRotatedRefreshToken('rt-2', 'rt-3')).toBe('kept-newer');
    const stored = JSON.parse((await secretsClient.send(new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: 'AWSCURRENT' }))).SecretString!);
    expect(stored.refreshToken).toBe('rt-reauthorised');
  });

  test('a write that keeps failing stops with the secret and the permissions named', async () => {
    const created = await secretsClient.send(
      new CreateSecretCommand({ Name: 'rotate/broken', SecretString: JSON.stringify({ clientId: 'cid', refreshToken: 'rt-1' }) }),
    );
    const proxy = await faultyProxy(moto.endpoint, 'secretsmanager.PutSecretValue', 100);
    const flaky = new SecretsManagerClient({ ...moto.clientConfig, endpoint: proxy.endpoint, maxAttempts: 1 });
    try {
      const store = new SpotifySecretStore(flaky, created.ARN!, undefined, 10);
      await expect(store.saveRotatedRefreshToken('rt-1', 'rt-2')).rejects.toThrow(/rotate\/broken\S* failed 4 times.*InternalServiceError.*PutSecretValue/s);
      expect(proxy.failed()).toBe(4);
    } finally {
      flaky.destroy();
      await proxy.close();
    }
  });

  test('a missing secret names the secret and the permission to check', async () => {
    const store = new SpotifySecretStore(secretsClient, 'does-not-exist');
    await expect(store.get()).rejects.toThrow(/secret does-not-exist failed: ResourceNotFoundException.*GetSecretValue/s);
  });

  test('bad secret contents are explained without echoing them', () => {
    expect(() => parseSpotifySecret('not json s3cr3t', 'secret X')).toThrow(/secret X is not JSON/);
    expect(() => parseSpotifySecret('not json s3cr3t', 'secret X')).not.toThrow(/s3cr3t/);
    expect(() => parseSpotifySecret('{"refreshToken":"a"}', 'secret X')).toThrow(/no "clientId"/);
    expect(() => parseSpotifySecret(undefined, 'secret X')).toThrow(/no SecretString/);
  });
});

describe('start-transform Lambda', () => {
  const JOB = 'spotify-pipeline-dev-transform';
  const BUCKET = 'spotify-pipeline-dev-data';
  const manifestEvent = (...keys: string[]): S3Event =>
    ({
      Records: keys.map((key) => ({
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: BUCKET }, object: { key } },
      })),
    }) as unknown as S3Event;
  const keyFor = (runId: string) => `raw/extract_date=2026-11-25/run_id=${runId}/_manifest.json`;

  async function createJob(maxConcurrentRuns: number) {
    await glue.send(
      new CreateJobCommand({
        Name: JOB,
        Role: 'arn:aws:iam::123456789012:role/glue',
        Command: { Name: 'glueetl', ScriptLocation: `s3://${BUCKET}/glue/job.py` },
        ExecutionProperty: { MaxConcurrentRuns: maxConcurrentRuns },
        GlueVersion: '5.1',
      }),
    );
  }
  const jobRuns = async () => (await glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? [];
  const startDeps = () => ({ glue, jobName: JOB, logger: quietLogger(), claims: new RunClaims(s3, BUCKET) });

  test('starts the job with the run location and id, and a duplicate event starts nothing', async () => {
    await createJob(1);
    const handler = createStartTransformHandler({ glue, jobName: JOB, logger: quietLogger() });
    const runId = '20261125T060000Z-a1b2c3';

    const first = await handler(manifestEvent(keyFor(runId)));
    expect(first).toEqual([expect.objectContaining({ outcome: 'started', runId })]);
    const runs = await jobRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0].Arguments).toEqual({
      '--RAW_RUN_PREFIX': `s3://${BUCKET}/raw/extract_date=2026-11-25/run_id=${runId}/`,
      '--RUN_ID': runId,
    });

    // S3 re-delivers the event (and a re-invoked extract rewrites its manifest): no second job run.
    const again = await handler(manifestEvent(keyFor(runId), keyFor(runId)));
    expect(again.map((o) => o.outcome)).toEqual(['already-started', 'already-started']);
    expect(again[0].jobRunId).toBe(runs[0].Id);
    expect(await jobRuns()).toHaveLength(1);
  });

  test('a busy job throws so Lambda retries the event, and the retry starts it once the job is free', async () => {
    await createJob(1);
    // Keep job runs in STARTING (moto advances them only when told), so the first run occupies the job.
    await moto.setTransition('glue::job_run', { progression: 'manual', times: 1_000_000 });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
      const handler = createStartTransformHandler(startDeps());
      await handler(manifestEvent(keyFor('20261118T060000Z-000001')));

      const busy = handler(manifestEvent(keyFor('20261125T060000Z-000002')));
      await expect(busy).rejects.toBeInstanceOf(JobBusyError);
      await expect(busy).rejects.toThrow(/at its concurrent-run limit.*20261125T060000Z-000002.*retried/s);
      expect(await jobRuns()).toHaveLength(1);

      // The failed attempt released its claim; the first run finishes; Lambda's retry of the same event now
      // takes the claim over and starts the second run, once.
      await moto.setTransition('glue::job_run', { progression: 'immediate' });
      const retried = await handler(manifestEvent(keyFor('20261125T060000Z-000002')));
      expect(retried[0].outcome).toBe('started');
      const runs = await jobRuns();
      expect(runs.map((r) => r.Arguments?.['--RUN_ID']).sort()).toEqual(['20261118T060000Z-000001', '20261125T060000Z-000002']);
      const claim = await new RunClaims(s3, BUCKET).read('claims/transform/20261125T060000Z-000002.json');
      expect(claim!.record).toMatchObject({ state: 'done', attempt: 2, detail: { job_run_id: retried[0].jobRunId } });
    } finally {
      await moto.setTransition('glue::job_run', { progression: 'immediate' });
    }
  });

  test('concurrent deliveries of one manifest start one job run, with no reserved concurrency to serialise them', async () => {
    await createJob(3);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const runId = '20261125T060000Z-c0ffee';
    // Four invocations at once (S3 re-delivery, a rewritten manifest), each in its own Lambda environment.
    const handlers = Array.from({ length: 4 }, () => createStartTransformHandler(startDeps()));
    const outcomes = (await Promise.all(handlers.map((h) => h(manifestEvent(keyFor(runId)))))).flat();
    expect(outcomes.filter((o) => o.outcome === 'started')).toHaveLength(1);
    expect((await jobRuns()).filter((r) => r.Arguments?.['--RUN_ID'] === runId)).toHaveLength(1);
  });

  test('URL-encoded keys are decoded, and objects that are not run manifests are ignored', async () => {
    await createJob(3);
    const handler = createStartTransformHandler({ glue, jobName: JOB, logger: quietLogger() });
    const outcomes = await handler(
      manifestEvent(
        'raw/extract_date%3D2026-11-25/run_id%3D20261125T060000Z-a1b2c3/_manifest.json',
        'raw/extract_date=2026-11-25/run_id=20261125T060000Z-a1b2c3/playlists/x.json',
        'processed/tracks/extract_date=2026-11-25/run_id=20261125T060000Z-a1b2c3/_manifest.json',
      ),
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(['started', 'ignored', 'ignored']);
    expect(await jobRuns()).toHaveLength(1);
  });

  test("an import's manifest (pipeline import) starts the same job for the import's prefix", async () => {
    await createJob(3);
    const handler = createStartTransformHandler({ glue, jobName: JOB, logger: quietLogger() });
    const runId = '20261124T213000Z-0f1e2d';
    const outcomes = await handler(manifestEvent(`imports/listener%3Dsam/run_id%3D${runId}/_manifest.json`, `imports/listener=sam/run_id=${runId}/streams/x.json`));
    expect(outcomes.map((o) => [o.outcome, o.runId])).toEqual([['started', runId], ['ignored', undefined]]);
    expect((await jobRuns()).map((r) => r.Arguments)).toEqual([{ '--RAW_RUN_PREFIX': `s3://${BUCKET}/imports/listener=sam/run_id=${runId}/`, '--RUN_ID': runId }]);
  });

  test('pipeline import --upload: the export files, then the manifest whose event starts the job; the same files again upload nothing', async () => {
    await createJob(3);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const body = Buffer.from(JSON.stringify([{ ts: '2024-05-01T10:00:00Z', ms_played: 1000, spotify_track_uri: 'spotify:track:4uLU6hMCjMI75M1A2tKUQC' }]));
    const plan = planImport('sam', { path: 'x.zip', files: [{ name: 'Streaming_History_Audio_2024_0.json', source: 'x/Streaming_History_Audio_2024_0.json', bytes: body }], ignored: [] });
    const writer = new S3ObjectWriter(s3, BUCKET);
    expect(await writeImport(writer, plan)).toEqual({ alreadyImported: false, written: 1 });
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'imports/' }))).Contents ?? []).map((o) => o.Key);
    expect(keys.sort()).toEqual([plan.manifestKey, `imports/listener=sam/run_id=${plan.runId}/streams/Streaming_History_Audio_2024_0.json`].sort());
    expect(plan.runId).toMatch(/^20240501T100000Z-[0-9a-f]{6}$/);
    expect(await writeImport(writer, plan)).toEqual({ alreadyImported: true, written: 0 });
    const started = await createStartTransformHandler(startDeps())(manifestEvent(plan.manifestKey));
    expect(started.map((o) => o.outcome)).toEqual(['started']);
  });

  test('plays runs wait for the daily batch: one job run a day for every plays run not yet transformed', async () => {
    await createJob(3);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const manifestKey = (date: string, runId: string) => `raw/extract_date=${date}/run_id=${runId}/_manifest.json`;
    const putManifest = (key: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{}' }));
    const older = manifestKey('2026-11-22', '20261122T230000Z-p0000a'); // outside a 2-day look-back
    const yesterday = [manifestKey('2026-11-24', '20261124T220000Z-p0000b'), manifestKey('2026-11-24', '20261124T230000Z-p0000c')];
    const today = manifestKey('2026-11-25', '20261125T000000Z-p0000d');
    for (const key of [older, ...yesterday, today]) await putManifest(key);
    let now = new Date('2026-11-25T00:00:30Z');
    // What goes over the wire to Glue (moto keeps no execution class of a job run): the real client's serialised StartJobRun.
    const recording = new GlueClient(moto.clientConfig);
    const started: Array<Record<string, unknown>> = [];
    recording.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string>; body: string };
        if (request.headers['x-amz-target'] === 'AWSGlue.StartJobRun') started.push(JSON.parse(request.body));
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordStartJobRun' },
    );
    const handler = () =>
      createStartTransformHandler({ ...startDeps(), glue: recording, playsBatch: { s3, lookbackDays: 2, now: () => now } });

    // The first manifest event of the day: the plays run itself starts nothing, the day's batch takes all three.
    const first = await handler()(manifestEvent(today));
    expect(first.map((o) => o.outcome)).toEqual(['ignored', 'started']);
    let runs = await jobRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0].Arguments).toEqual({
      '--RUN_ID': '20261124T220000Z-p0000b,20261124T230000Z-p0000c,20261125T000000Z-p0000d',
      '--RAW_RUN_PREFIX': [...yesterday, today].map((k) => `s3://${BUCKET}/${k.replace('_manifest.json', '')}`).join(','),
    });
    const claim = await new RunClaims(s3, BUCKET).read('claims/transform/20261124T230000Z-p0000c.json');
    expect(claim!.record).toMatchObject({ state: 'done', detail: { job_run_id: runs[0].Id, batch: 'plays-batch-2026-11-25' } });

    // Later polls the same day wait for tomorrow; a weekly run still starts its own job at once.
    const later = manifestKey('2026-11-25', '20261125T010000Z-p0000e');
    await putManifest(later);
    now = new Date('2026-11-25T01:00:30Z');
    const weekly = manifestKey('2026-11-25', '20261125T070000Z-a1b2c3');
    const second = await handler()(manifestEvent(later, weekly));
    expect(second.map((o) => o.outcome)).toEqual(['ignored', 'started']);
    expect(second[1].runId).toBe('20261125T070000Z-a1b2c3');
    runs = await jobRuns();
    expect(runs).toHaveLength(2);
    // The daily batch runs in Glue Flex (time-insensitive, cheaper); a weekly run's job stays standard.
    expect(started.map((r) => [r.Arguments && (r.Arguments as Record<string, string>)['--RUN_ID'], r.ExecutionClass ?? 'STANDARD'])).toEqual([
      ['20261124T220000Z-p0000b,20261124T230000Z-p0000c,20261125T000000Z-p0000d', 'FLEX'],
      ['20261125T070000Z-a1b2c3', 'STANDARD'],
    ]);

    // Tomorrow's first event: only the poll the first batch did not take (nothing is transformed twice).
    now = new Date('2026-11-26T00:00:30Z');
    const third = await handler()(manifestEvent(manifestKey('2026-11-26', '20261126T000000Z-p0000f')));
    expect(third.map((o) => o.outcome)).toEqual(['ignored', 'started']);
    runs = await jobRuns();
    expect(runs).toHaveLength(3);
    const batchArgs = runs.map((r) => r.Arguments?.['--RUN_ID']).filter((id) => id?.includes('-p'));
    expect(batchArgs.sort()).toEqual(['20261124T220000Z-p0000b,20261124T230000Z-p0000c,20261125T000000Z-p0000d', '20261125T010000Z-p0000e']);
  });
});

describe('run claims (S3 conditional writes)', () => {
  const BUCKET = 'spotify-pipeline-dev-claims';
  const RUN = '20261130T060000Z-5ca1ab';
  beforeEach(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  });
  const at = (iso: string) => () => new Date(iso);

  test('of eight claims racing for one run id exactly one wins; the others see it held', async () => {
    const claims = new RunClaims(s3, BUCKET);
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => claims.claim('extract', RUN, { owner: `req-${i}`, leaseSeconds: 900 })));
    expect(outcomes.filter((o) => o.status === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'held')).toHaveLength(7);
    const stored = await claims.read(claims.keyFor('extract', RUN));
    expect(stored!.record).toMatchObject({ kind: 'extract', run_id: RUN, state: 'running', attempt: 1 });
  });

  test('a failed attempt releases the run to its retry at once; done is final', async () => {
    const claims = new RunClaims(s3, BUCKET);
    const first = await claims.claim('transform', RUN, { owner: 'req-1', leaseSeconds: 900 });
    if (first.status !== 'claimed') throw new Error('expected the first claim to win');
    await first.claim.failed(new Error('Glue said no'));
    const retry = await claims.claim('transform', RUN, { owner: 'req-2', leaseSeconds: 900 });
    expect(retry).toMatchObject({ status: 'claimed', takenOverFrom: { state: 'failed', owner: 'req-1', detail: { error: 'Error: Glue said no' } } });
    if (retry.status !== 'claimed') return;
    expect(retry.claim.record.attempt).toBe(2);
    await retry.claim.done({ job_run_id: 'jr_1' });
    const again = await claims.claim('transform', RUN, { owner: 'req-3', leaseSeconds: 900 });
    expect(again).toMatchObject({ status: 'done', record: { detail: { job_run_id: 'jr_1' }, owner: 'req-2' } });
  });

  test('an attempt that died holding the claim (a timeout) is taken over once its lease has ended, not before', async () => {
    const dead = await new RunClaims(s3, BUCKET, { now: at('2026-11-30T06:00:00Z') }).claim('extract', RUN, { owner: 'req-1', leaseSeconds: 930 });
    expect(dead.status).toBe('claimed');
    const early = await new RunClaims(s3, BUCKET, { now: at('2026-11-30T06:15:00Z') }).claim('extract', RUN, { owner: 'req-2', leaseSeconds: 930 });
    expect(early.status).toBe('held');
    // Lambda retries a timed-out invocation a minute or more after the 900 s timeout: past the 930 s lease.
    const retry = await new RunClaims(s3, BUCKET, { now: at('2026-11-30T06:16:01Z') }).claim('extract', RUN, { owner: 'req-3', leaseSeconds: 930 });
    expect(retry).toMatchObject({ status: 'claimed', takenOverFrom: { owner: 'req-1', state: 'running' } });
    // The dead attempt, had it come back, could no longer record anything on the claim.
    if (dead.status === 'claimed') await expect(dead.claim.done()).rejects.toBeInstanceOf(ClaimLostError);
  });

  test('a missing bucket fails with the key and the permissions to check', async () => {
    const claims = new RunClaims(s3, 'no-such-claims-bucket');
    await expect(claims.claim('extract', RUN, { owner: 'x', leaseSeconds: 60 })).rejects.toThrow(
      /claims\/extract\/20261130T060000Z-5ca1ab\.json failed \(HTTP 404\).*s3:PutObject and s3:GetObject/s,
    );
  });
});

describe('extract Lambda: scheduled runs are claimed', () => {
  const BUCKET = 'spotify-pipeline-dev-raw';
  const scheduled = { id: 'weekly-2026-11-30T06:00:00Z', scheduledTime: '2026-11-30T06:00:00Z' };
  let spotify: FakeSpotifyServer;
  let secretArn: string;
  const previousMetricsSetting = process.env.POWERTOOLS_METRICS_DISABLED;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    spotify = await startFakeSpotify();
  });
  afterAll(async () => {
    if (previousMetricsSetting === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = previousMetricsSetting;
    await spotify?.close();
  });
  beforeEach(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const created = await secretsClient.send(
      new CreateSecretCommand({ Name: 'spotify-pipeline-dev/spotify', SecretString: JSON.stringify(spotify.credentials) }),
    );
    secretArn = created.ARN!;
  });

  /** One Lambda execution environment: its own clients, the production wiring otherwise (the claims' clock may be a test's). */
  function lambdaEnvironment(clock?: FakeClock) {
    const config = PipelineConfigSchema.parse({
      environment: 'dev',
      project: 'spotify-pipeline',
      aws: { region: 'eu-west-1' },
      spotify: {
        apiBaseUrl: spotify.apiBaseUrl,
        accountsBaseUrl: spotify.accountsBaseUrl,
        playlists: [SAMPLE_PLAYLIST_IDS.owned[0]],
        topItems: { enabled: false },
      },
    });
    return createExtractHandler({
      config,
      writer: new S3ObjectWriter(s3, BUCKET),
      secrets: new SpotifySecretStore(secretsClient, secretArn),
      claims: new RunClaims(s3, BUCKET, clock ? { now: () => new Date(clock.now()) } : {}),
      clock,
      logger: quietLogger(),
      metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
    });
  }
  const manifests = async () =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'raw/' }))).Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('_manifest.json'));

  test('two deliveries of one scheduled run at once: one extracts, the other does nothing', async () => {
    const before = spotify.stats().requests;
    const clock = new FakeClock(Date.now());
    const deliveries = [lambdaEnvironment(clock)(scheduled), lambdaEnvironment(clock)(scheduled)];
    // One extracts; the other waits (on the claims' clock) for the lease to be renewed or lapse, and finds the run done.
    await Promise.race(deliveries);
    clock.advance(CLAIM_WAIT_MS);
    const results = await Promise.all(deliveries);
    expect(results.map((r) => r.status).sort()).toEqual(['complete', 'skipped']);
    expect(results.find((r) => r.status === 'skipped')!.skipped).toBe('done');
    expect(results[0].runId).toBe(results[1].runId);
    expect(await manifests()).toHaveLength(1);
    // One run's worth of Spotify calls: the token, the playlist and its item pages, once.
    const calls = spotify.stats().requests - before;
    const single = results.find((r) => r.status === 'complete')!.counts;
    expect(calls).toBe(single.api_calls + single.token_calls);
  });

  test('a retry after a failed attempt runs the same run id; a delivery after it finished does nothing', async () => {
    await secretsClient.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify({ ...spotify.credentials, refreshToken: 'revoked' }) }));
    const handler = lambdaEnvironment();
    await expect(handler(scheduled)).rejects.toThrow();
    expect(await manifests()).toHaveLength(0);

    await secretsClient.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(spotify.credentials) }));
    const retried = await handler(scheduled);
    expect(retried.status).toBe('complete');
    const late = await lambdaEnvironment()(scheduled);
    expect(late).toMatchObject({ status: 'skipped', skipped: 'done', runId: retried.runId, manifestKey: retried.manifestKey });
    expect(await manifests()).toEqual([retried.manifestKey]);
  });

  test("configured listeners share the app's one secret: both rotated tokens land, neither write loses the other's (compare-and-set)", async () => {
    const rotating = await startFakeSpotify({ rotateRefreshToken: true });
    try {
      const [sam, mira] = rotating.listeners();
      const authorizedAt = '2026-11-01T10:00:00Z';
      const app = { clientId: rotating.credentials.clientId, clientSecret: rotating.credentials.clientSecret };
      const value = { ...app, listeners: { sam: { refreshToken: sam.refreshToken, authorizedAt }, mira: { refreshToken: mira.refreshToken, authorizedAt } } };
      const appSecret = (await secretsClient.send(new CreateSecretCommand({ Name: 'spotify-pipeline-dev/spotify-app', SecretString: JSON.stringify(value) }))).ARN!;
      const config = PipelineConfigSchema.parse({
        environment: 'dev',
        project: 'spotify-pipeline',
        aws: { region: 'eu-west-1' },
        spotify: { apiBaseUrl: rotating.apiBaseUrl, accountsBaseUrl: rotating.accountsBaseUrl, listeners: [{ name: 'sam' }, { name: 'mira' }] },
      });
      const appStore = new SpotifySecretStore(secretsClient, appSecret);
      const result = await createExtractHandler({
        config,
        writer: new S3ObjectWriter(s3, BUCKET),
        secrets: appStore,
        listeners: listenersWithSecrets(config, appStore, secretsClient, appSecret),
        claims: new RunClaims(s3, BUCKET),
        logger: quietLogger(),
        metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
      })({ id: 'plays-rotation', scheduledTime: '2026-11-30T07:00:00Z', mode: 'plays' });
      expect(result).toMatchObject({ status: 'complete', counts: { listeners: 2 } });
      const [samNow, miraNow] = rotating.listeners();
      expect(samNow.refreshToken).not.toBe(sam.refreshToken);
      expect(miraNow.refreshToken).not.toBe(mira.refreshToken);
      // Both rotations (concurrent, one per listener) are in the one secret; each keeps its authorisation instant,
      // since refreshing does not extend the six months; the app's fields are untouched.
      const stored = JSON.parse((await secretsClient.send(new GetSecretValueCommand({ SecretId: appSecret, VersionStage: 'AWSCURRENT' }))).SecretString!);
      expect(stored).toEqual({ ...app, listeners: { sam: { refreshToken: samNow.refreshToken, authorizedAt }, mira: { refreshToken: miraNow.refreshToken, authorizedAt } } });
    } finally {
      await rotating.close();
    }
  });

  test('compare-and-set: of writers racing on one secret, every change lands', async () => {
    const secretId = (await secretsClient.send(new CreateSecretCommand({ Name: 'spotify-pipeline-dev/race', SecretString: JSON.stringify({ clientId: 'c', listeners: {} }) }))).ARN!;
    const names = ['a', 'b', 'c', 'd', 'e'];
    await Promise.all(
      names.map((name) =>
        compareAndSetSecret(secretsClient, secretId, (raw) => ({ ...raw, listeners: { ...(raw.listeners as object), [name]: { refreshToken: `rt-${name}` } } }), { attempts: 10 }),
      ),
    );
    const stored = JSON.parse((await secretsClient.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }))).SecretString!);
    expect(Object.keys(stored.listeners).sort()).toEqual(names);
  });

  test('an explicit runId (a deliberate re-run) is not claimed', async () => {
    const handler = lambdaEnvironment();
    const first = await handler({ runId: '20261130T070000Z-abcdef' });
    const again = await handler({ runId: '20261130T070000Z-abcdef' });
    expect([first.status, again.status]).toEqual(['complete', 'complete']);
  });
});

describe('extract Lambda: a crashed attempt is taken over (short lease, renewed while it runs)', () => {
  const BUCKET = 'spotify-pipeline-dev-crash';
  const event = { id: 'weekly-2026-11-30T06:00:00Z', scheduledTime: '2026-11-30T06:00:00Z' };
  const PLAYLISTS = SAMPLE_PLAYLIST_IDS.owned.slice(0, 3);
  let spotify: FakeSpotifyServer;
  const previousMetricsSetting = process.env.POWERTOOLS_METRICS_DISABLED;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    spotify = await startFakeSpotify({ clock: 'frozen' });
  });
  afterAll(async () => {
    if (previousMetricsSetting === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = previousMetricsSetting;
    await spotify?.close();
  });
  beforeEach(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  });

  const rawConfig = () => ({
    environment: 'dev',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { apiBaseUrl: spotify.apiBaseUrl, accountsBaseUrl: spotify.accountsBaseUrl, playlists: PLAYLISTS, topItems: { enabled: false } },
  });
  const rawKeys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'raw/extract_date=' }))).Contents ?? []).map((o) => o.Key!);
  const claimOf = async (runId: string) => (await new RunClaims(s3, BUCKET).read(`claims/extract/${runId}.json`))!.record;

  /** An in-process attempt whose claim clock is `clock`. */
  function attempt(clock: FakeClock, writer: RawObjectWriter = new S3ObjectWriter(s3, BUCKET)) {
    return createExtractHandler({
      config: PipelineConfigSchema.parse(rawConfig()),
      writer,
      secrets: new InMemoryCredentialStore(spotify.credentials),
      claims: new RunClaims(s3, BUCKET, { now: () => new Date(clock.now()) }),
      clock,
      logger: quietLogger(),
      metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
    });
  }

  /** Every manifest object is in the bucket with its checksum, once; nothing else of the run is. */
  async function expectExactlyOnce(result: { manifestKey: string }) {
    const manifest = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.manifestKey }))).Body!.transformToString());
    const keys: string[] = manifest.objects.map((o: { key: string }) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(manifest.objects.filter((o: { kind: string }) => o.kind === 'playlist').map((o: { entity_id: string }) => o.entity_id).sort()).toEqual([...PLAYLISTS].sort());
    expect(manifest.errors).toEqual([]);
    for (const o of manifest.objects as Array<{ key: string; sha256: string }>) {
      const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.key }))).Body!.transformToByteArray();
      expect(createHash('sha256').update(body).digest('hex')).toBe(o.sha256);
    }
    const prefix = result.manifestKey.slice(0, result.manifestKey.lastIndexOf('/') + 1);
    const ofRun = (await rawKeys()).filter((k) => k.startsWith(prefix));
    expect(ofRun.sort()).toEqual([...keys, result.manifestKey, `${prefix}_checkpoint.json`].sort());
    return manifest;
  }

  test('SIGKILL after the first raw write: the retry waits for the lease to lapse, takes over and finishes the run once', async () => {
    // node itself (not the tsx wrapper, whose SIGKILL would leave its node child running).
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'crash-extract-child.ts'), JSON.stringify({ s3: moto.clientConfig, bucket: BUCKET, config: rawConfig(), credentials: spotify.credentials, event })],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const firstWrite = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /raw-written (\S+)\n/.exec(out);
        if (match) resolve(match[1]);
      });
      void exited.then(() => reject(new Error(`the attempt ended before its first raw write: ${out}${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const runId = runIdentity(ExtractEventSchema.parse(event)).runId;
    const dead = await claimOf(runId);
    expect(dead).toMatchObject({ state: 'running', attempt: 1 });
    expect(Date.parse(dead.lease_expires_at) - Date.parse(dead.updated_at)).toBe(CLAIM_LEASE_SECONDS * 1000);
    expect((await rawKeys()).filter((k) => k.endsWith('_manifest.json'))).toEqual([]);

    // The retry finds the dead attempt's lease live, waits on its own clock until just after it lapses, then takes over.
    const clock = new FakeClock(Date.now());
    const retry = attempt(clock)(event);
    const waiting = await Promise.race([clock.sleepers(1).then(() => true), retry.then(() => false)]);
    expect(waiting).toBe(true);
    clock.advance((CLAIM_LEASE_SECONDS + 2) * 1000);
    const result = await retry;
    expect(result).toMatchObject({ status: 'complete', resumed: true, runId });
    const manifest = await expectExactlyOnce(result);
    expect(manifest.attempts).toBe(2);
    expect(manifest.objects.map((o: { key: string }) => o.key)).toContain(firstWrite);
    expect(await claimOf(runId)).toMatchObject({ state: 'done', attempt: 2, detail: { manifest_key: result.manifestKey } });
  });

  test('a live attempt renews its lease: a duplicate delivery waits, sees the renewal and does nothing', async () => {
    const clock = new FakeClock(Date.now());
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let wrote: () => void = () => undefined;
    const firstWrite = new Promise<void>((resolve) => (wrote = resolve));
    const real = new S3ObjectWriter(s3, BUCKET);
    const slow: RawObjectWriter = {
      put: async (key, body, type) => {
        const written = await real.put(key, body, type);
        if (key.includes('/playlists/')) {
          wrote();
          await released;
        }
        return written;
      },
      get: (key) => real.get(key),
      stat: (key) => real.stat(key),
      describe: () => real.describe(),
    };
    const holder = attempt(clock, slow)(event);
    await firstWrite;
    const duplicate = attempt(clock)(event);
    // The holder's heartbeat and the duplicate's wait both sleep; beat by beat, the holder renews.
    for (let beat = 0; beat < 3; beat += 1) {
      await clock.sleepers(2);
      clock.advance(CLAIM_HEARTBEAT_MS);
    }
    // Past the first lease: the duplicate looks again and finds it renewed.
    await clock.sleepers(2);
    clock.advance(CLAIM_HEARTBEAT_MS);
    expect(await duplicate).toMatchObject({ status: 'skipped', skipped: 'held' });
    release();
    const result = await holder;
    expect(result.status).toBe('complete');
    await expectExactlyOnce(result);
  });
});
