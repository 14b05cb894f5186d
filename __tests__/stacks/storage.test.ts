import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { Testing } from 'cdktf';
import { loadConfig, parseConfig, resourceNames } from '../../config/pipeline-config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPipelineApp } from '../../stacks/app';
import { SUPERSEDED_ATTEMPT_TAG } from '../../stacks/storage-stack';
import { findResource, resources, statements, synthPipeline, testBundles, type Synthesised, type TfJson } from './synth-helper';

describe('storage stack (dev)', () => {
  let s: Synthesised;
  beforeAll(() => {
    s = synthPipeline();
  });

  it('creates the configured bucket, private and versioned', () => {
    const names = resourceNames(s.config);
    const bucket = findResource(s.storage, 'aws_s3_bucket');
    expect(bucket.bucket).toBe(names.bucket);
    expect(bucket.bucket).toBe('spotify-pipeline-dev-123456789012');
    expect(s.text.storage).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(s.text.storage).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: 'Enabled' },
    });
    expect(findResource(s.storage, 'aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  });

  it('encrypts by default', () => {
    expect(s.text.storage).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } })],
    });
  });

  it('denies every request that is not TLS', () => {
    const [deny] = statements(findResource(s.storage, 'aws_s3_bucket_policy').policy);
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:*'],
      Condition: { Bool: { 'aws:SecureTransport': false } },
    });
    expect(deny.Resource).toEqual([expect.stringMatching(/\.arn}$/), expect.stringMatching(/\.arn}\/\*$/)]);
  });

  it('has lifecycle rules for raw/ and rejects/, and aborts stale multipart uploads bucket-wide', () => {
    const rules: any[] = findResource(s.storage, 'aws_s3_bucket_lifecycle_configuration').rule;
    const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
    expect(byId.raw.filter).toEqual([{ prefix: 'raw/' }]);
    expect(byId.raw.transition).toEqual([{ days: 30, storage_class: 'STANDARD_IA' }]);
    expect(byId.raw.expiration).toBeUndefined(); // bronze is kept: everything downstream rebuilds from it
    expect(byId.rejects.filter).toEqual([{ prefix: 'rejects/' }]);
    expect(byId.rejects.expiration).toEqual([{ days: 30 }]);
    expect(byId['abort-incomplete-uploads'].abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 7 }]);
    expect(rules.every((r) => r.status === 'Enabled')).toBe(true);
  });

  it('expires the processed/ objects of superseded transform attempts, by the tag the Glue job puts on them', () => {
    const rules: any[] = findResource(s.storage, 'aws_s3_bucket_lifecycle_configuration').rule;
    const rule = rules.find((r) => r.id === 'processed-superseded-attempts');
    expect(rule.filter).toEqual([{ and: [{ prefix: 'processed/', tags: { 'pipeline-attempt': 'superseded' } }] }]);
    expect(rule.expiration).toEqual([{ days: 7 }]);
    expect(rule.noncurrent_version_expiration).toEqual([{ noncurrent_days: 1 }]);
    // The same tag as the job's (Python), read from its source so the two cannot drift apart.
    const job = readFileSync(join(__dirname, '../../glue/spotify_transform/attempts.py'), 'utf8');
    expect(/^SUPERSEDED_TAG_KEY = "([^"]+)"$/m.exec(job)?.[1]).toBe(SUPERSEDED_ATTEMPT_TAG.key);
    expect(/^SUPERSEDED_TAG_VALUE = "([^"]+)"$/m.exec(job)?.[1]).toBe(SUPERSEDED_ATTEMPT_TAG.value);
    // Everything else under processed/ is history the crawler and a recreated pipe read: no current-version expiry.
    expect(rules.filter((r) => r.id !== rule.id && JSON.stringify(r.filter).includes('processed/')).map((r) => r.expiration)).toEqual([undefined]);
  });

  it('creates the Glue Data Catalog database over processed/', () => {
    expect(s.text.storage).toHaveResourceWithProperties(GlueCatalogDatabase, {
      name: 'spotify_pipeline_dev',
      location_uri: 's3://spotify-pipeline-dev-123456789012/processed/',
    });
  });

  it('declares no bucket notification (the warehouse stack owns the only one)', () => {
    expect(resources(s.storage, 'aws_s3_bucket_notification')).toHaveLength(0);
    expect(resources(s.compute, 'aws_s3_bucket_notification')).toHaveLength(0);
    expect(resources(s.warehouse, 'aws_s3_bucket_notification')).toHaveLength(1);
  });

  it('uses local state for dev and pins the provider to the configured account and region', () => {
    expect(Object.keys(s.storage.terraform?.backend ?? {})).toEqual(['local']);
    const [aws] = s.storage.provider!.aws;
    expect(aws).toMatchObject({ region: 'eu-west-1', allowed_account_ids: ['123456789012'] });
  });

  it("keeps local state beside the output folder by a relative path, and each stack reads the others' from there", () => {
    // Terraform runs in <outdir>/stacks/<stack>; an absolute path would tie the state to one checkout's location.
    const stateOf = (stack: string) => `../../../terraform.${stack}.tfstate`;
    for (const kind of ['storage', 'compute', 'warehouse'] as const) {
      expect(s[kind].terraform?.backend?.local).toEqual({ path: stateOf(`spotify-pipeline-dev-${kind}`) });
    }
    const readsOf = (tf: TfJson) => Object.values<any>(tf.data?.terraform_remote_state ?? {}).map((d) => d.config.path).sort();
    expect(readsOf(s.compute)).toEqual([stateOf('spotify-pipeline-dev-storage')]);
    expect(readsOf(s.warehouse)).toEqual([stateOf('spotify-pipeline-dev-compute'), stateOf('spotify-pipeline-dev-storage')]);
  });
});

describe('stack configuration', () => {
  it('uses the S3 backend with a lockfile when the environment names a state bucket', () => {
    const prod = loadConfig('prod');
    const app = Testing.app();
    const { storage } = buildPipelineApp(prod, { app, bundles: testBundles() });
    const tf = JSON.parse(Testing.synth(storage));
    expect(tf.terraform.backend.s3).toEqual({
      bucket: 'my-terraform-state',
      key: 'spotify-pipeline/prod/storage.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      use_lockfile: true,
    });
  });

  it('keeps local state when PIPELINE_LOCAL_STATE=1, even for prod', () => {
    process.env.PIPELINE_LOCAL_STATE = '1';
    try {
      const { storage } = buildPipelineApp(loadConfig('prod'), { app: Testing.app(), bundles: testBundles() });
      expect(JSON.parse(Testing.synth(storage)).terraform.backend?.s3).toBeUndefined();
    } finally {
      delete process.env.PIPELINE_LOCAL_STATE;
    }
  });

  it('refuses the local environment with a pointer to the local run', () => {
    expect(() => buildPipelineApp(loadConfig('local'), { app: Testing.app(), bundles: testBundles() })).toThrow(
      /no AWS stacks.*PIPELINE_ENV=dev/s,
    );
  });

  it('names the missing account id and the file to fix', () => {
    const raw = { ...require('../../config/environments/dev.json'), aws: { region: 'eu-west-1' } };
    expect(() => buildPipelineApp(parseConfig(raw), { app: Testing.app(), bundles: testBundles() })).toThrow(
      /aws\.accountId is missing.*config\/environments\/dev\.json/s,
    );
  });

  it('names a missing Snowflake setting', () => {
    const dev = require('../../config/environments/dev.json');
    const raw = { ...dev, snowflake: { ...dev.snowflake, storageExternalId: undefined } };
    expect(() => buildPipelineApp(parseConfig(raw), { app: Testing.app(), bundles: testBundles() })).toThrow(
      /snowflake\.storageExternalId is missing/,
    );
  });
});
