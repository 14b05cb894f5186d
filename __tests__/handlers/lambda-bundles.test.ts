/**
 * The esbuild bundles the compute stack deploys, loaded by plain Node and run end to end: the extract bundle
 * reads its secret from Secrets Manager and writes to S3 (moto's server), pulls from the fake Spotify, writes the
 * rotated refresh token back and prints structured logs and EMF metrics; the start-transform bundle starts the
 * Glue job for the manifest it wrote.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateJobCommand, GetJobRunsCommand, GlueClient } from '@aws-sdk/client-glue';
import { buildLambdaBundlesSync, type LambdaBundle } from '../../handlers/build';
import { runIdentity, ExtractEventSchema } from '../../handlers/extract/index';
import { startMotoServer, type MotoServer } from '../../local/fakes/moto/server';
import { startFakeSpotify, type FakeSpotifyServer } from '../../local/fakes/spotify/server';
import { SAMPLE_PLAYLIST_IDS } from '../../local/fakes/spotify/catalog';

const run = promisify(execFile);
let moto: MotoServer;
let spotify: FakeSpotifyServer;
let bundles: Record<string, LambdaBundle>;
let outDir: string;
let s3: S3Client;
let secrets: SecretsManagerClient;
let glue: GlueClient;
const BUCKET = 'spotify-pipeline-dev-data';

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'lambda-bundles-'));
  bundles = Object.fromEntries(buildLambdaBundlesSync(outDir).map((b) => [b.name, b]));
  [moto, spotify] = await Promise.all([startMotoServer(), startFakeSpotify({ rotateRefreshToken: true })]);
  s3 = new S3Client(moto.clientConfig);
  secrets = new SecretsManagerClient(moto.clientConfig);
  glue = new GlueClient(moto.clientConfig);
});

afterAll(async () => {
  s3?.destroy();
  secrets?.destroy();
  glue?.destroy();
  await Promise.all([moto?.close(), spotify?.close()]);
  rmSync(outDir, { recursive: true, force: true });
});

/** Loads a bundle in a fresh Node process, as the Lambda runtime would, and invokes its handler once. */
async function invokeBundle(bundle: LambdaBundle, env: Record<string, string>, event: unknown) {
  const script = `require(${JSON.stringify(bundle.entry)}).handler(${JSON.stringify(event)}, undefined)` +
    `.then((r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'), (e) => { process.stdout.write('ERROR ' + e.message + '\\n'); process.exitCode = 1; })`;
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      ...env,
    },
    timeout: 30_000,
  });
  const lines = stdout.split('\n').filter(Boolean);
  const result = lines.find((l) => l.startsWith('RESULT '));
  return { result: result ? JSON.parse(result.slice(7)) : null, lines };
}

test('both bundles are minified single files with source maps', () => {
  for (const name of ['extract', 'start-transform']) {
    expect(bundles[name].bytes).toBeGreaterThan(10_000);
    expect(bundles[name].bytes).toBeLessThan(3_000_000);
  }
});

test('the extract bundle runs a scheduled event end to end against S3, Secrets Manager and Spotify', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  const secret = await secrets.send(
    new CreateSecretCommand({ Name: 'spotify-pipeline-dev/spotify', SecretString: JSON.stringify(spotify.credentials) }),
  );
  const originalRefreshToken = spotify.credentials.refreshToken;
  const config = {
    environment: 'dev',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: {
      apiBaseUrl: spotify.apiBaseUrl,
      accountsBaseUrl: spotify.accountsBaseUrl,
      playlists: [SAMPLE_PLAYLIST_IDS.owned[0], SAMPLE_PLAYLIST_IDS.notFound],
      topItems: { enabled: true, timeRanges: ['short_term'] },
    },
  };
  const event = { id: 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c', 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-11-23T06:00:00Z' };
  const { result, lines } = await invokeBundle(
    bundles.extract,
    { PIPELINE_CONFIG: JSON.stringify(config), BUCKET_NAME: BUCKET, SPOTIFY_SECRET_ARN: secret.ARN!, POWERTOOLS_METRICS_NAMESPACE: 'SpotifyPipelineTest' },
    event,
  );
  const expected = runIdentity(ExtractEventSchema.parse(event));
  // The weekly run also reads the listener: their plays since the cursor, saved tracks and followed artists.
  expect(result).toMatchObject({
    runId: expected.runId,
    status: 'partial',
    errors: 1,
    counts: { playlists: 1, top_lists: 2, listeners: 1, saved_tracks: 137, followed_artists: 57 },
  });
  expect(result.counts.plays).toBeGreaterThan(0);
  expect(result.manifestKey).toBe(`raw/extract_date=2026-11-23/run_id=${expected.runId}/_manifest.json`);

  const manifest = JSON.parse(
    await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.manifestKey }))).Body!.transformToString(),
  );
  expect(manifest.errors).toEqual([expect.objectContaining({ entity_id: SAMPLE_PLAYLIST_IDS.notFound, http_status: 404 })]);
  const keys = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'raw/' }))).Contents!.map((o) => o.Key);
  const checkpoint = result.manifestKey.replace('_manifest.json', '_checkpoint.json');
  // Moved after the manifest was written; keyed by the listener's account id.
  const cursor = `raw/_state/plays/${manifest.objects.find((o: { kind: string }) => o.kind === 'plays').account_id}.json`;
  // Who the listener is, for the plays polls (listener-state.ts): a fingerprint of the refresh token, never the token.
  const identity = 'raw/_state/listeners/me.json';
  expect(keys.sort()).toEqual([...manifest.objects.map((o: { key: string }) => o.key), result.manifestKey, checkpoint, 'raw/_state/playlists.json', cursor, identity].sort());
  const identityText = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: identity }))).Body!.transformToString();
  expect(JSON.parse(identityText)).toMatchObject({ listener_name: 'me', refresh_token_sha256: expect.stringMatching(/^[0-9a-f]{16}$/) });

  // The rotated refresh token went back into the secret.
  // AWSCURRENT named outright: moto answers an unlabelled read from the first version, not the one a compare-and-set made current.
  const stored = JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: secret.ARN, VersionStage: 'AWSCURRENT' }))).SecretString!);
  expect(stored.refreshToken).toBe(spotify.credentials.refreshToken);
  expect(stored.refreshToken).not.toBe(originalRefreshToken);

  // Structured JSON logs and one EMF metric set, PlaysStored in it (the listeners whose plays were stored: the one); no secret in any line.
  const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  expect(json.some((l) => l.message === 'extract finished' && l.runId === expected.runId && l.level === 'INFO')).toBe(true);
  const emfs = json.filter((l) => l._aws?.CloudWatchMetrics);
  const emf = emfs.find((l) => l.listener === undefined);
  expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('SpotifyPipelineTest');
  expect(emf).toMatchObject({ ApiCalls: manifest.counts.api_calls, Playlists: 1, EntityErrors: 1, ExtractFailed: 0, PlaysStored: 1 });
  expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'environment']]);
  expect(emfs.filter((l) => l.listener !== undefined)).toEqual([]);
  const all = lines.join('\n');
  for (const value of [spotify.credentials.clientSecret, originalRefreshToken, stored.refreshToken]) {
    expect(all).not.toContain(value);
    expect(identityText).not.toContain(value);
  }

  // The same scheduled event again: the run is claimed and done, so nothing is extracted or written twice.
  const requestsBefore = spotify.stats().requests;
  const again = await invokeBundle(
    bundles.extract,
    { PIPELINE_CONFIG: JSON.stringify(config), BUCKET_NAME: BUCKET, SPOTIFY_SECRET_ARN: secret.ARN!, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    event,
  );
  expect(again.result).toMatchObject({ status: 'skipped', skipped: 'done', runId: expected.runId, manifestKey: result.manifestKey });
  // Asked for by its run id (a manual re-run, no claim): the run has its manifest, so it is final.
  const byRunId = await invokeBundle(
    bundles.extract,
    { PIPELINE_CONFIG: JSON.stringify(config), BUCKET_NAME: BUCKET, SPOTIFY_SECRET_ARN: secret.ARN!, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    { runId: expected.runId },
  );
  expect(byRunId.result).toMatchObject({ manifestKey: result.manifestKey, alreadyComplete: true, status: 'partial' });
  expect(spotify.stats().requests).toBe(requestsBefore);
  const keysAgain = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'raw/' }))).Contents!.map((o) => o.Key);
  expect(keysAgain.sort()).toEqual(keys.sort());

  // A week later, the playlist unchanged: its items are not paged again; the manifest points at last week's
  // object, checked in S3 (HEAD with its SHA-256 checksum) before it is pointed at.
  const nextWeek = { ...event, id: 'next-week-event', time: '2026-11-30T06:00:00Z' };
  const later = await invokeBundle(
    bundles.extract,
    { PIPELINE_CONFIG: JSON.stringify(config), BUCKET_NAME: BUCKET, SPOTIFY_SECRET_ARN: secret.ARN!, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    nextWeek,
  );
  expect(later.result).toMatchObject({ status: 'partial', counts: { playlists: 1, playlists_reused: 1 } });
  const laterManifest = JSON.parse(
    await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: later.result.manifestKey }))).Body!.transformToString(),
  );
  const playlistObject = manifest.objects.find((o: { kind: string }) => o.kind === 'playlist');
  expect(laterManifest.objects.find((o: { kind: string }) => o.kind === 'playlist')).toMatchObject({
    key: playlistObject.key,
    sha256: playlistObject.sha256,
    fetched_in_run: expected.runId,
  });

  // The start-transform bundle, on that manifest's S3 event, starts the Glue job once.
  await glue.send(
    new CreateJobCommand({ Name: 'spotify-pipeline-dev-transform', Role: 'arn:aws:iam::123456789012:role/glue', Command: { Name: 'glueetl', ScriptLocation: `s3://${BUCKET}/glue/job.py` } }),
  );
  const s3Event = { Records: [{ eventSource: 'aws:s3', s3: { bucket: { name: BUCKET }, object: { key: result.manifestKey } } }] };
  const env = { GLUE_JOB_NAME: 'spotify-pipeline-dev-transform', BUCKET_NAME: BUCKET, POWERTOOLS_LOG_LEVEL: 'ERROR' };
  const started = await invokeBundle(bundles['start-transform'], env, s3Event);
  expect(started.result).toEqual([expect.objectContaining({ outcome: 'started', runId: expected.runId })]);
  const duplicate = await invokeBundle(bundles['start-transform'], env, s3Event);
  expect(duplicate.result).toEqual([expect.objectContaining({ outcome: 'already-started' })]);
  const runs = (await glue.send(new GetJobRunsCommand({ JobName: 'spotify-pipeline-dev-transform' }))).JobRuns!;
  expect(runs.map((r) => r.Arguments)).toEqual([
    { '--RAW_RUN_PREFIX': `s3://${BUCKET}/raw/extract_date=2026-11-23/run_id=${expected.runId}/`, '--RUN_ID': expected.runId },
  ]);
});

test('the run id comes from the event: a re-delivered event gives the same one, a backfill may name its own', () => {
  const scheduled = ExtractEventSchema.parse({ scheduledTime: '2026-11-23T06:00:00Z', executionId: 'exec-1' });
  expect(runIdentity(scheduled).runId).toBe(runIdentity(scheduled).runId);
  expect(runIdentity(scheduled).runId).toMatch(/^20261123T060000Z-[0-9a-f]{6}$/);
  expect(runIdentity(ExtractEventSchema.parse({ runId: '20261116T060000Z-abc123' }))).toEqual({
    runId: '20261116T060000Z-abc123',
    startedAt: new Date('2026-11-16T06:00:00Z'),
  });
  expect(ExtractEventSchema.safeParse({ runId: 'nope' }).success).toBe(false);
});
