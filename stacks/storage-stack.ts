/**
 * storage: the one bucket (raw/, processed/, rejects/, plus artifacts/ for deploy assets and glue-temp/ for
 * Spark), and the Glue Data Catalog database the crawler fills from processed/.
 *
 * The bucket's notification configuration is NOT declared here: S3 keeps one per bucket, and its targets
 * (the start-transform Lambda, Snowpipe's queue) belong to later stacks. The warehouse stack owns it; see
 * docs/architecture.md.
 */
import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import type { PipelineConfig } from '../config/pipeline-config';
import { BUCKET_PREFIXES } from '../schemas/raw-documents';
import type { PipelineBucket } from '../constructs/context';
import { SecureBucket, type PrefixLifecycle } from '../constructs/secure-bucket';
import { skipCheck } from '../constructs/checkov';
import { GithubCiIdentities, type GithubCiIdentitiesProps } from '../constructs/github-ci-identities';
import { PipelineStack, pipelineContext } from './common';

/**
 * The tag the Glue job puts on every object of a transform attempt that a later commit of the same run superseded
 * (glue/spotify_transform/attempts.py: SUPERSEDED_TAG_KEY / SUPERSEDED_TAG_VALUE); a lifecycle rule expires them.
 */
export const SUPERSEDED_ATTEMPT_TAG = { key: 'pipeline-attempt', value: 'superseded' } as const;

/** How long each prefix of the bucket keeps its objects and their overwritten versions. */
export function dataLifecycle(config: PipelineConfig): PrefixLifecycle[] {
  const p = BUCKET_PREFIXES;
  return [
    // raw/ is the bronze layer everything can be rebuilt from: keep it, but move it to cheaper storage.
    // Spotify serves only the present, so raw/ cannot be re-extracted: an overwritten or deleted raw object stays
    // recoverable as a noncurrent version for aws.rawVersionRetentionDays (365 by default).
    { id: 'raw', prefix: p.raw, infrequentAccessAfterDays: 30, noncurrentExpireAfterDays: config.aws.rawVersionRetentionDays },
    // Each transform attempt writes new keys; an overwritten or deleted object's old version goes after a week.
    { id: 'processed', prefix: p.processed, noncurrentExpireAfterDays: 7 },
    // Attempts a later commit superseded (the Glue job tags them; docs/data-contracts.md): the warehouse has
    // loaded them already and its views no longer read them.
    {
      id: 'processed-superseded-attempts',
      prefix: p.processed,
      tags: { [SUPERSEDED_ATTEMPT_TAG.key]: SUPERSEDED_ATTEMPT_TAG.value },
      expireAfterDays: 7,
      noncurrentExpireAfterDays: 1,
    },
    // Rejected records are for debugging a run, not for keeping.
    { id: 'rejects', prefix: p.rejects, expireAfterDays: 30, noncurrentExpireAfterDays: 1 },
    { id: 'artifacts', prefix: p.artifacts, noncurrentExpireAfterDays: 30 },
    { id: 'glue-temp', prefix: p.glueTemp, expireAfterDays: 7, noncurrentExpireAfterDays: 1 },
    // A claim matters while its run can still be retried or re-delivered (hours); kept a while for the record.
    { id: 'claims', prefix: p.claims, expireAfterDays: 90, noncurrentExpireAfterDays: 1 },
  ];
}

/** The checkov checks the data bucket does not meet, each with the reason. */
function explainBucketChecks(bucket: SecureBucket['bucket'], config: PipelineConfig): void {
  skipCheck(
    bucket,
    'CKV_AWS_144',
    'No cross-region replica: raw/ (which Spotify cannot serve again) is protected by versioning with ' +
      `noncurrent versions kept ${config.aws.rawVersionRetentionDays} days (aws.rawVersionRetentionDays); processed/ is rebuilt from raw/.`,
  );
  skipCheck(
    bucket,
    'CKV_AWS_18',
    "No server access logs: they need a second bucket; the pipeline's writers are its own roles, and CloudTrail " +
      'data events are the account-level choice for object auditing.',
  );
  skipCheck(
    bucket,
    'CKV_AWS_145',
    "SSE-S3 rather than SSE-KMS: Snowflake's integration role, Glue and the Lambdas read without key grants or " +
      'per-object KMS requests; the data is music metadata and the bucket is private and TLS-only.',
  );
  skipCheck(
    bucket,
    'CKV2_AWS_62',
    'Event notifications exist, in the warehouse stack: a bucket has ONE notification configuration and only the ' +
      'last stack knows both targets (docs/architecture.md); a per-stack scan cannot see across stacks.',
  );
}

/** The CI roles' view of the configuration (ci needs the state bucket: the pull-request planner reads only that). */
function githubCiProps(config: PipelineConfig): GithubCiIdentitiesProps {
  const backend = config.aws.stateBackend;
  if (!config.ci || !backend) {
    throw new Error(`ci.githubRepository needs aws.stateBackend in the ${config.environment} configuration: CI plans against remote state.`);
  }
  const { githubRepository: repository, deployEnvironment, createOidcProvider } = config.ci;
  const state = { bucket: backend.bucket, keyPrefix: `${backend.keyPrefix}/${config.environment}` };
  return { context: pipelineContext(config), repository, deployEnvironment, createOidcProvider, state };
}

export class StorageStack extends PipelineStack {
  readonly dataBucket: SecureBucket;
  /** The bucket as the constructs of later stacks use it: configured name, reference, key prefixes. */
  readonly bucket: PipelineBucket;
  readonly glueDatabase: GlueCatalogDatabase;
  /** The GitHub workflow's AWS roles, when ci.githubRepository is configured. */
  readonly githubCi?: GithubCiIdentities;

  constructor(scope: Construct, config: PipelineConfig) {
    super(scope, 'storage', config);
    this.dataBucket = new SecureBucket(this, 'data', {
      bucketName: this.names.bucket,
      forceDestroy: config.environment !== 'prod',
      lifecycle: dataLifecycle(config),
    });
    explainBucketChecks(this.dataBucket.bucket, config);
    this.bucket = { name: this.names.bucket, ref: this.dataBucket.bucket.bucket, prefixes: BUCKET_PREFIXES };
    this.glueDatabase = new GlueCatalogDatabase(this, 'catalog', {
      name: this.names.glueDatabase,
      description: `Processed (silver) Spotify tables of ${config.project} ${config.environment}, filled by the crawler.`,
      locationUri: `s3://${this.names.bucket}/${BUCKET_PREFIXES.processed}`,
    });
    if (config.ci) this.githubCi = new GithubCiIdentities(this, 'github-ci', githubCiProps(config));
    new TerraformOutput(this, 'bucket_name', { value: this.dataBucket.bucket.bucket });
    new TerraformOutput(this, 'glue_database', { value: this.glueDatabase.name });
  }
}
