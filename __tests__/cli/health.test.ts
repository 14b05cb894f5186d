/**
 * The health view (`pipeline status`): per listener and stage from the bucket's manifests and commit records, token
 * lifetimes, and the problems a user is told about, judged at a fixed instant (no wall clock). The AWS target reads
 * a bucket, a secret and CloudWatch alarms through the real SDK clients against moto's server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import type { RunManifest } from '../../handlers/shared/manifest';
import { manifestKey } from '../../handlers/shared/manifest';
import { listenerStages } from '../../cli/health/listener-stages';
import { LocalBucketListing, readRecentRuns } from '../../cli/health/bucket-listing';
import { DEFAULT_THRESHOLDS, healthReport, type HealthInput } from '../../cli/health/health-report';
import { formatHealth } from '../../cli/health/format-status';
import { tokenHealth } from '../../cli/health/token-health';
import { awsHealth } from '../../cli/health/aws-health';
import { bucketStages } from '../../cli/health/gather';
import { PipelineConfigSchema } from '../../config/pipeline-config';
import { startMotoServer, type MotoServer } from '../../local/fakes/moto/server';
import { tempDir } from '../warehouse/fixture-data';

const NOW = new Date('2026-12-07T12:00:00Z');

/** A manifest as the extract writes it, with only what the health view reads. */
function manifest(runId: string, finishedAt: string, objects: Array<[kind: string, entity: string, cursorAfter?: number]>, opts: Partial<RunManifest> = {}): RunManifest {
  return {
    manifest_version: 2,
    run_id: runId,
    extract_date: finishedAt.slice(0, 10),
    started_at: finishedAt,
    finished_at: finishedAt,
    status: 'complete',
    stopped_early: null,
    source: { api_base_url: 'http://127.0.0.1/v1', auth_mode: 'user' },
    attempts: 1,
    objects: objects.map(([kind, entity, cursorAfter]) => ({
      key: `raw/${runId}/${kind}/${entity}.json`,
      kind: kind as RunManifest['objects'][number]['kind'],
      entity_id: entity,
      bytes: 1,
      sha256: 'x',
      items: 1,
      pages: 1,
      fetched_in_run: runId,
      spotify_user_id: kind === 'playlist' ? undefined : `id-${entity.split('/')[0]}`,
      ...(cursorAfter === undefined ? {} : { cursor_after: cursorAfter }),
    })),
    counts: {} as RunManifest['counts'],
    errors: [],
    mode: runId.includes('-p') ? 'plays' : 'full',
    ...opts,
  };
}

const WEEKLY_1 = manifest('20261130T060000Z-aaaaaa', '2026-11-30T06:05:00.000Z', [
  ['playlist', '4rOoJ6Egrf8K2IrywzwOMk'],
  ['top', 'ana/tracks_short_term'],
  ['saved_tracks', 'bo'],
  ['plays', 'ana', Date.parse('2026-11-30T05:00:00Z')],
]);
// A week later bo's token failed: ana's documents are there, bo has a listener error.
const WEEKLY_2 = manifest('20261207T060000Z-bbbbbb', '2026-12-07T06:05:00.000Z', [['top', 'ana/tracks_short_term']], {
  status: 'partial',
  errors: [{ kind: 'listener', entity_id: 'bo', http_status: 400, message: 'invalid_grant' }],
});
const POLL = manifest('20261207T100000Z-p0a1b2', '2026-12-07T10:00:30.000Z', [['plays', 'ana', Date.parse('2026-12-07T09:58:00Z')]]);

describe('per listener and stage, the last success', () => {
  const stages = listenerStages(['ana', 'bo'], [WEEKLY_1, WEEKLY_2, POLL], new Set([WEEKLY_1.run_id, WEEKLY_2.run_id]), new Set([WEEKLY_1.run_id]));

  test('a listener error makes that run no success for them, and only for them', () => {
    const byStage = (i: number) => Object.fromEntries(stages[i].stages.map((s) => [s.stage, s.runId]));
    expect(byStage(0)).toEqual({ 'weekly extract': WEEKLY_2.run_id, 'plays poll': POLL.run_id, transform: WEEKLY_2.run_id, load: WEEKLY_1.run_id });
    expect(byStage(1)).toEqual({ 'weekly extract': WEEKLY_1.run_id, 'plays poll': null, transform: WEEKLY_1.run_id, load: WEEKLY_1.run_id });
  });

  test('the newest play stored comes from the plays cursors; the user id from their documents', () => {
    expect(stages[0]).toMatchObject({ spotifyUserId: 'id-ana', lastPlayAt: '2026-12-07T09:58:00.000Z' });
    expect(stages[1]).toMatchObject({ spotifyUserId: 'id-bo', lastPlayAt: null });
  });

  test('without a warehouse to ask there is no load stage', () => {
    expect(listenerStages(['ana'], [WEEKLY_1], new Set(), null)[0].stages.map((s) => s.stage)).toEqual(['weekly extract', 'plays poll', 'transform']);
  });
});

describe('the bucket read from a window of days', () => {
  test('manifests and commit records since the window start; older ones are not read', async () => {
    const root = tempDir('health-bucket');
    const old = manifest('20261101T060000Z-cccccc', '2026-11-01T06:05:00.000Z', [['top', 'ana/tracks_short_term']]);
    for (const m of [old, WEEKLY_1, WEEKLY_2, POLL]) {
      const key = manifestKey(m.run_id, m.extract_date);
      mkdirSync(join(root, key, '..'), { recursive: true });
      writeFileSync(join(root, key), JSON.stringify(m));
    }
    const commit = join(root, 'processed/transform_commits/extract_date=2026-11-30', `run_id=${WEEKLY_1.run_id}`, 'attempt_id=local-1');
    mkdirSync(commit, { recursive: true });
    writeFileSync(join(commit, 'part-0.parquet'), '');
    mkdirSync(join(root, 'raw/extract_date=2026-12-07/run_id=20261207T110000Z-p0ffff'), { recursive: true });
    writeFileSync(join(root, 'raw/extract_date=2026-12-07/run_id=20261207T110000Z-p0ffff/_manifest.json'), '{ not json');

    const bucket = new LocalBucketListing(root);
    const runs = await readRecentRuns(bucket, '2026-11-23');
    expect(runs.manifests.map((m) => m.run_id)).toEqual([WEEKLY_1.run_id, WEEKLY_2.run_id, POLL.run_id]);
    expect([...runs.committedRuns]).toEqual([[WEEKLY_1.run_id, 'local-1']]);
    expect(runs.unreadable).toEqual([{ key: 'raw/extract_date=2026-12-07/run_id=20261207T110000Z-p0ffff/_manifest.json', error: expect.stringContaining('JSON') }]);

    // No listener configured (the local run's fake has its sample listeners): the listeners the runs name, not `me`.
    const seen = await bucketStages(bucket, null, NOW, 14, null);
    expect(seen.listeners.map((l) => [l.listener, l.stages[0].runId])).toEqual([
      ['ana', WEEKLY_2.run_id],
      ['bo', WEEKLY_1.run_id],
    ]);
    expect((await bucketStages(new LocalBucketListing(tempDir('health-empty')), null, NOW, 14, null)).listeners.map((l) => l.listener)).toEqual(['me']);
  });
});

/** The problems' messages, in order. */
const messages = (input: HealthInput) => healthReport(input).problems.map((p) => p.message);

describe('what the user is told', () => {
  const base = (over: Partial<HealthInput>): HealthInput => ({
    target: 'local',
    where: '/bucket',
    now: NOW,
    listeners: listenerStages(['ana', 'bo'], [WEEKLY_1, WEEKLY_2, POLL], new Set([WEEKLY_1.run_id, WEEKLY_2.run_id]), new Set([WEEKLY_1.run_id])),
    tokens: null,
    checks: null,
    pipes: null,
    alarms: null,
    unreadable: [],
    authorizeCommand: (l) => `npm run pipeline -- authorize --listener ${l}`,
    thresholds: DEFAULT_THRESHOLDS,
    ...over,
  });

  test('a listener without plays in the window is told; fresh stages are not', () => {
    expect(messages(base({}))).toEqual([
      "bo: no plays poll in the window: Spotify keeps only the last 50 plays, so older ones are being lost. Check the listener's token and the plays schedule.",
    ]);
  });

  test('stale weekly extract and a transform stuck past the lag are problems; fresh ones are not', () => {
    const later = new Date('2026-12-15T12:00:00Z');
    const problems = messages(base({ now: later }));
    expect(problems).toContain(`ana: no weekly extract since ${WEEKLY_2.finished_at} (expected every week): look at the extract's logs and the failures queue, or run \`pipeline extract\`.`);
    expect(problems).toContain(`ana: the extract of ${POLL.finished_at} is not transformed after 193 h: run \`pipeline transform\` and see its error.`);
    expect(problems.some((p) => p.startsWith('ana: no plays poll since 2026-12-07T10:00:30.000Z'))).toBe(true);
  });

  test('token lifetimes: expired, inside the warning, unknown, and fine', () => {
    const tokens = [
      tokenHealth('ana', '2026-06-01T00:00:00Z', NOW),
      tokenHealth('bo', '2026-06-17T12:00:00Z', NOW),
      tokenHealth('cy', null, NOW),
      tokenHealth('di', '2026-11-01T00:00:00Z', NOW),
    ];
    expect(tokens.map((t) => [t.expiresAt, t.daysLeft])).toEqual([
      ['2026-12-01T00:00:00.000Z', -7],
      ['2026-12-17T12:00:00.000Z', 10],
      [null, null],
      ['2027-05-01T00:00:00.000Z', 144],
    ]);
    const problems = messages(base({ listeners: [], tokens }));
    expect(problems).toEqual([
      'ana: the refresh token expired on 2026-12-01T00:00:00.000Z (six months after authorising): run `npm run pipeline -- authorize --listener ana`.',
      'bo: the refresh token expires in 10 day(s), on 2026-12-17T12:00:00.000Z: run `npm run pipeline -- authorize --listener bo` before then.',
      'cy: when the refresh token was authorised is not recorded, so its six-month expiry is unknown: run `npm run pipeline -- authorize --listener cy` to start a known count.',
    ]);
  });

  test('failing checks, stopped pipes and alarms in ALARM are problems, and the text shows each part', () => {
    const report = healthReport(
      base({
        listeners: [],
        checks: [
          { table: 'plays', check: 'key_unique', passed: false, detail: '2 duplicate keys' },
          { table: 'tracks', check: 'key_unique', passed: true, detail: '' },
        ],
        pipes: [
          { table: 'plays', pipe: 'DB.RAW.PLAYS_PIPE', executionState: 'STOPPED_STAGE_DROPPED', pendingFileCount: 3, lastIngestedAt: null, error: null } as never,
          { table: 'tracks', pipe: 'DB.RAW.TRACKS_PIPE', executionState: 'RUNNING', pendingFileCount: 0, lastIngestedAt: null, error: null } as never,
        ],
        alarms: [{ name: 'spotify-pipeline-dev-no-weekly-commit', reason: 'Threshold Crossed: no datapoints were received', since: '2026-12-07T07:00:00.000Z' }],
      }),
    );
    expect(report.problems.map((p) => [p.kind, p.subject])).toEqual([
      ['check-failed', 'plays.key_unique'],
      ['pipe-not-running', 'DB.RAW.PLAYS_PIPE'],
      ['alarm', 'spotify-pipeline-dev-no-weekly-commit'],
    ]);
    expect(report.problems.map((p) => p.message)).toEqual([
      'check key_unique on plays failed: 2 duplicate keys',
      'pipe DB.RAW.PLAYS_PIPE is STOPPED_STAGE_DROPPED: see `pipeline status --target snowflake` and SYSTEM$PIPE_STATUS.',
      'alarm spotify-pipeline-dev-no-weekly-commit is in ALARM since 2026-12-07T07:00:00.000Z: Threshold Crossed: no datapoints were received',
    ]);
    const text = formatHealth(report).join('\n');
    expect(text).toContain('Checks: 1 passed, 1 failing');
    expect(text).toMatch(/spotify-pipeline-dev-no-weekly-commit\s+2026-12-07T07:00:00.000Z\s+Threshold Crossed/);
    expect(text).toContain('Problems (3):');
  });

  test('a poll that found more than 50 new plays is a gap, named with its bounds and run', () => {
    const gapped = manifest('20261207T110000Z-p0c0c0', '2026-12-07T11:00:30.000Z', [['plays', 'ana', Date.parse('2026-12-07T10:59:00Z')]], {
      plays_gaps: [{ listener: 'ana', spotify_user_id: 'id-ana', cursor_before: '2026-12-05T10:00:00.000Z', oldest_new_play: '2026-12-07T02:00:00.000Z', message: '' }],
    });
    const listeners = listenerStages(['ana'], [WEEKLY_2, gapped], new Set(), null);
    expect(healthReport(base({ listeners })).problems).toEqual([
      {
        kind: 'plays-gap',
        subject: 'ana',
        episode: '20261207T110000Z-p0c0c0',
        message: 'ana: plays may be missing between 2026-12-05T10:00:00.000Z and 2026-12-07T02:00:00.000Z (run 20261207T110000Z-p0c0c0): more than 50 were played between two polls that reached Spotify.',
      },
    ]);
  });

  test('a healthy pipeline says so', () => {
    const fresh = listenerStages(['ana'], [WEEKLY_2, POLL], new Set([WEEKLY_2.run_id, POLL.run_id]), new Set([WEEKLY_2.run_id, POLL.run_id]));
    const report = healthReport(base({ listeners: fresh, tokens: [tokenHealth('ana', '2026-11-01T00:00:00Z', NOW)], checks: [], alarms: [] }));
    expect(report.problems).toEqual([]);
    const text = formatHealth(report).join('\n');
    expect(text).toMatch(/ana\s+plays poll\s+2026-12-07T10:00:30.000Z\s+2 h ago\s+20261207T100000Z-p0a1b2/);
    expect(text).toContain('No problems.');
  });
});

describe('the deployed account (moto)', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMotoServer();
  });
  afterAll(async () => {
    await moto?.close();
  });

  test('runs from S3, token lifetimes from the secrets, the pipeline alarms in ALARM (and only its own)', async () => {
    const config = PipelineConfigSchema.parse({
      environment: 'dev',
      project: 'spotify-pipeline',
      aws: { region: 'eu-west-1', bucketName: 'health-bucket' },
      spotify: { playlists: ['4rOoJ6Egrf8K2IrywzwOMk'], listeners: [{ name: 'ana' }, { name: 'bo' }] },
    });
    const clients = { s3: new S3Client(moto.clientConfig), secretsManager: new SecretsManagerClient(moto.clientConfig), cloudwatch: new CloudWatchClient(moto.clientConfig) };
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'health-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    for (const m of [WEEKLY_1, WEEKLY_2, POLL]) {
      await clients.s3.send(new PutObjectCommand({ Bucket: 'health-bucket', Key: manifestKey(m.run_id, m.extract_date), Body: JSON.stringify(m) }));
    }
    // One secret for every listener's token (bo has none recorded yet).
    await clients.secretsManager.send(
      new CreateSecretCommand({
        Name: 'spotify-pipeline-dev/spotify',
        SecretString: JSON.stringify({ clientId: 'app', listeners: { ana: { refreshToken: 'r', authorizedAt: '2026-06-17T12:00:00Z' }, bo: { refreshToken: 'q' } } }),
      }),
    );
    for (const [name, state] of [['spotify-pipeline-dev-plays-missing', 'ALARM'], ['spotify-pipeline-dev-extract-errors', 'OK'], ['other-project-alarm', 'ALARM']] as const) {
      await clients.cloudwatch.send(
        new PutMetricAlarmCommand({ AlarmName: name, MetricName: 'M', Namespace: 'N', Statistic: 'Sum', Period: 3600, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'LessThanThreshold' }),
      );
      await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `set by the test: ${state}` }));
    }

    const gathered = await awsHealth(config, ['ana', 'bo'], NOW, 14, clients);
    expect(gathered.where).toBe('s3://health-bucket (eu-west-1)');
    expect(gathered.listeners.map((l) => l.stages.find((s) => s.stage === 'weekly extract')!.runId)).toEqual([WEEKLY_2.run_id, WEEKLY_1.run_id]);
    expect(gathered.tokens).toEqual([
      { listener: 'ana', authorizedAt: '2026-06-17T12:00:00.000Z', expiresAt: '2026-12-17T12:00:00.000Z', daysLeft: 10 },
      { listener: 'bo', authorizedAt: null, expiresAt: null, daysLeft: null },
    ]);
    expect(gathered.alarms).toEqual([{ name: 'spotify-pipeline-dev-plays-missing', reason: 'set by the test: ALARM', since: expect.any(String) }]);
    for (const client of Object.values(clients)) client.destroy();
  });
});
