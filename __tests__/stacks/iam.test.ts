import { resourceNames } from '../../config/pipeline-config';
import { policyDocument } from '../../constructs/iam';
import { allows, resources, rolePolicy, statements, synthPipeline, type Statement, type Synthesised } from './synth-helper';

/** Asserted on the synthesised policy documents: what each role's job needs, and what it must never do. */
describe('IAM least privilege', () => {
  let s: Synthesised;
  let names: ReturnType<typeof resourceNames>;
  let obj: (key: string) => string;
  let bucketArn: string;
  const jobArn = () => `arn:aws:glue:eu-west-1:123456789012:job/${names.glueJob}`;

  beforeAll(() => {
    s = synthPipeline();
    names = resourceNames(s.config);
    bucketArn = `arn:aws:s3:::${names.bucket}`;
    obj = (key) => `${bucketArn}/${key}`;
  });

  const RUN = 'extract_date=2026-11-23/run_id=20261123T060000Z-a1b2c3';
  const WRITES = ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl'];

  describe('extract Lambda', () => {
    let p: Statement[];
    beforeAll(() => {
      p = rolePolicy(s.compute, names.extractFunction);
    });
    it('writes raw/ and reads and writes back the Spotify secret', () => {
      expect(allows(p, 's3:PutObject', obj(`raw/${RUN}/playlists/x.json`))).toBe(true);
      expect(allows(p, 's3:PutObject', obj(`raw/${RUN}/_manifest.json`))).toBe(true);
      expect(allows(p, 'secretsmanager:GetSecretValue', '${aws_secretsmanager_secret.spotify-secret.arn}')).toBe(true);
      expect(allows(p, 'secretsmanager:PutSecretValue', '${aws_secretsmanager_secret.spotify-secret.arn}')).toBe(true);
    });
    it('cannot read processed/ or delete anything', () => {
      expect(allows(p, 's3:GetObject', obj('processed/tracks/x.parquet'))).toBe(false);
      expect(allows(p, 's3:PutObject', obj('processed/tracks/x.parquet'))).toBe(false);
      for (const key of [`raw/${RUN}/_manifest.json`, 'processed/tracks/x.parquet', 'rejects/x.json']) {
        expect(allows(p, 's3:DeleteObject', obj(key))).toBe(false);
        expect(allows(p, 's3:DeleteObjectVersion', obj(key))).toBe(false);
      }
      expect(p.flatMap((st) => [st.Action].flat()).some((a) => /Delete/.test(a))).toBe(false);
      expect(allows(p, 'secretsmanager:DeleteSecret', '${aws_secretsmanager_secret.spotify-secret.arn}')).toBe(false);
    });
  });

  describe('start-transform Lambda', () => {
    let p: Statement[];
    beforeAll(() => {
      p = rolePolicy(s.compute, names.startTransformFunction);
    });
    it('starts and inspects runs of its Glue job only, and reads no raw object', () => {
      expect(allows(p, 'glue:StartJobRun', jobArn())).toBe(true);
      expect(allows(p, 'glue:GetJobRuns', jobArn())).toBe(true);
      expect(allows(p, 'glue:StartJobRun', 'arn:aws:glue:eu-west-1:123456789012:job/another-job')).toBe(false);
      expect(allows(p, 's3:GetObject', obj(`raw/${RUN}/_manifest.json`))).toBe(false);
      expect(allows(p, 's3:GetObject', obj(`raw/${RUN}/playlists/x.json`))).toBe(false);
    });
    it('writes nothing to the bucket', () => {
      for (const action of WRITES) expect(allows(p, action, obj(`raw/${RUN}/_manifest.json`))).toBe(false);
    });
  });

  describe('Glue transform job', () => {
    let p: Statement[];
    beforeAll(() => {
      p = rolePolicy(s.compute, `${names.prefix}-glue-transform`);
    });
    it('reads raw/ and its artifacts, writes processed/, rejects/ and its temp/staging folder', () => {
      expect(allows(p, 's3:GetObject', obj(`raw/${RUN}/playlists/x.json`))).toBe(true);
      expect(allows(p, 's3:GetObject', obj('artifacts/glue/ABC/transform_job.py'))).toBe(true);
      for (const key of [`processed/tracks/${RUN}/part-0.parquet`, `rejects/${RUN}/part-0.json`, 'glue-temp/staging/x']) {
        expect(allows(p, 's3:PutObject', obj(key))).toBe(true);
        expect(allows(p, 's3:DeleteObject', obj(key))).toBe(true);
      }
    });
    it('may abort its own multipart uploads (Spark writes large files in parts) in the prefixes it writes, nowhere else', () => {
      for (const key of [`processed/tracks/${RUN}/part-0.parquet`, `rejects/${RUN}/part-0.json`, 'glue-temp/staging/x']) {
        expect(allows(p, 's3:AbortMultipartUpload', obj(key))).toBe(true);
      }
      expect(allows(p, 's3:AbortMultipartUpload', obj(`raw/${RUN}/_manifest.json`))).toBe(false);
      expect(allows(p, 's3:AbortMultipartUpload', obj('artifacts/glue/ABC/transform_job.py'))).toBe(false);
    });

    it('reads imports/ (exports uploaded by pipeline import) and can neither write nor delete them', () => {
      const key = `imports/listener=sam/run_id=${RUN.split('/').pop()}/streams/Streaming_History_Audio_2024_0.json`;
      expect(allows(p, 's3:GetObject', obj(key))).toBe(true);
      for (const action of WRITES) expect(allows(p, action, obj(key))).toBe(false);
    });
    it('tags the objects of superseded attempts in processed/ (for the lifecycle rule), nothing else', () => {
      expect(allows(p, 's3:PutObjectTagging', obj(`processed/tracks/${RUN}/attempt_id=jr_1/part-0.parquet`))).toBe(true);
      expect(allows(p, 's3:PutObjectTagging', obj(`raw/${RUN}/_manifest.json`))).toBe(false);
      expect(allows(p, 's3:PutObjectTagging', obj('artifacts/glue/ABC/transform_job.py'))).toBe(false);
    });
    it('cannot write or delete raw/ or the deploy artifacts', () => {
      for (const action of WRITES) {
        expect(allows(p, action, obj(`raw/${RUN}/_manifest.json`))).toBe(false);
        expect(allows(p, action, obj('artifacts/glue/ABC/transform_job.py'))).toBe(false);
      }
    });
    it('publishes metrics only to the Glue namespace', () => {
      const metrics = p.find((st) => st.Sid === 'GlueMetrics')!;
      expect(metrics.Resource).toEqual(['*']);
      expect(metrics.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'Glue' } });
    });
  });

  describe('Glue crawler', () => {
    it('reads processed/ and maintains only its own database', () => {
      const p = rolePolicy(s.compute, `${names.prefix}-glue-crawler`);
      expect(allows(p, 's3:GetObject', obj('processed/tracks/x.parquet'))).toBe(true);
      expect(allows(p, 's3:GetObject', obj(`raw/${RUN}/_manifest.json`))).toBe(false);
      for (const action of WRITES) expect(allows(p, action, obj('processed/tracks/x.parquet'))).toBe(false);
      const table = `arn:aws:glue:eu-west-1:123456789012:table/${names.glueDatabase}/tracks`;
      expect(allows(p, 'glue:CreateTable', table)).toBe(true);
      expect(allows(p, 'glue:BatchCreatePartition', table)).toBe(true);
      expect(allows(p, 'glue:DeleteTable', table)).toBe(false);
      expect(allows(p, 'glue:CreateTable', 'arn:aws:glue:eu-west-1:123456789012:table/other_db/tracks')).toBe(false);
    });
  });

  describe('the schedule', () => {
    it('can invoke the extract Lambda and nothing else', () => {
      const p = rolePolicy(s.compute, `${names.prefix}-scheduler`);
      const invokes = p.filter((st) => [st.Action].flat().includes('lambda:InvokeFunction'));
      expect(invokes.flatMap((st) => [st.Resource].flat())).toEqual([expect.stringMatching(/aws_lambda_function\.extract_function_\w+\.arn/)]);
    });
  });

  describe("Snowflake's integration role", () => {
    it('can only read processed/', () => {
      const p = rolePolicy(s.warehouse, names.snowflakeIntegrationRole);
      expect(allows(p, 's3:GetObject', obj('processed/tracks/x.parquet'))).toBe(true);
      expect(allows(p, 's3:ListBucket', bucketArn)).toBe(true);
      expect(p.find((st) => [st.Action].flat().includes('s3:ListBucket'))!.Condition).toEqual({
        StringLike: { 's3:prefix': ['processed/*'] },
      });
      expect(allows(p, 's3:GetObject', obj(`raw/${RUN}/_manifest.json`))).toBe(false);
      expect(allows(p, 's3:GetObject', obj('rejects/x.json'))).toBe(false);
      for (const action of WRITES) expect(allows(p, action, obj('processed/tracks/x.parquet'))).toBe(false);
    });
  });

  describe('every policy of every stack', () => {
    const everyStatement = () =>
      [s.storage, s.compute, s.warehouse].flatMap((tf) => resources(tf, 'aws_iam_role_policy').flatMap((r) => statements(r.policy)));

    it('names its actions: no "*" or "service:*"', () => {
      for (const st of everyStatement()) {
        for (const action of [st.Action].flat()) expect(action).not.toMatch(/(^|:)\*$/);
      }
    });

    it('uses Resource "*" only where the service has no resource-level permissions', () => {
      const star = everyStatement().filter((st) => [st.Resource].flat().includes('*'));
      expect(new Set(star.map((st) => st.Sid))).toEqual(new Set(['SendTraces', 'GlueMetrics']));
      for (const st of star) {
        expect([st.Action].flat().every((a) => /^(xray:PutTraceSegments|xray:PutTelemetryRecords|cloudwatch:PutMetricData)$/.test(a))).toBe(true);
      }
    });

    it('lets only the intended AWS service assume each role, from this account', () => {
      for (const role of resources(s.compute, 'aws_iam_role')) {
        const [trust] = statements(role.assume_role_policy);
        expect(trust.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '123456789012' } });
        expect(['lambda.amazonaws.com', 'glue.amazonaws.com', 'scheduler.amazonaws.com']).toContain((trust.Principal as any).Service);
      }
    });
  });

  it('refuses wildcard actions and unexplained Resource "*" when a policy is written', () => {
    expect(() => policyDocument([{ Sid: 'All', Action: ['s3:*'], Resource: ['arn:aws:s3:::b'] }])).toThrow(/grants "s3:\*"/);
    expect(() => policyDocument([{ Sid: 'Any', Action: ['s3:GetObject'], Resource: ['*'] }])).toThrow(/Resource "\*"/);
    expect(() => policyDocument([{ Sid: 'Ok', Action: ['xray:PutTraceSegments'], Resource: ['*'] }], { allowStarResource: ['Ok'] })).not.toThrow();
  });
});
