/**
 * A private S3 bucket: SSE, versioning, every public access path blocked, object ownership enforced,
 * TLS-only bucket policy, and lifecycle rules per key prefix.
 */
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import {
  S3BucketLifecycleConfiguration,
  S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { resourcePolicy } from './iam';

export interface PrefixLifecycle {
  /** Rule id, e.g. "raw". Required. */
  id: string;
  /** The key prefix the rule applies to, e.g. raw/. Required. */
  prefix: string;
  /** Move current objects to STANDARD_IA after this many days (S3 needs at least 30). Default: never. */
  infrequentAccessAfterDays?: number;
  /** Delete current objects after this many days. Default: never. */
  expireAfterDays?: number;
  /** Delete noncurrent versions after this many days (versioning keeps overwritten runs this long). Required. */
  noncurrentExpireAfterDays: number;
  /** Apply the rule only to objects under the prefix that carry all these tags. Default: every object under it. */
  tags?: Record<string, string>;
}

export interface SecureBucketProps {
  /** The bucket's name. Required. */
  bucketName: string;
  /** One lifecycle rule per key prefix. Required. */
  lifecycle: PrefixLifecycle[];
  /** Let Terraform destroy the bucket with its objects (dev only). Default: false. */
  forceDestroy?: boolean;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', { bucket: props.bucketName, forceDestroy: props.forceDestroy ?? false });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });
    new S3BucketVersioningA(this, 'versioning', {
      bucket: this.bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: resourcePolicy([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['s3:*'],
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': false } },
        },
      ]),
      // The public access block must exist first, or a policy with a Deny for "*" races it.
      dependsOn: [publicAccess],
    });
    const rules: S3BucketLifecycleConfigurationRule[] = props.lifecycle.map((rule) => ({
      id: rule.id,
      status: 'Enabled',
      filter: rule.tags ? [{ and: [{ prefix: rule.prefix, tags: rule.tags }] }] : [{ prefix: rule.prefix }],
      transition: rule.infrequentAccessAfterDays
        ? [{ days: rule.infrequentAccessAfterDays, storageClass: 'STANDARD_IA' }]
        : undefined,
      expiration: rule.expireAfterDays ? [{ days: rule.expireAfterDays }] : undefined,
      noncurrentVersionExpiration: [{ noncurrentDays: rule.noncurrentExpireAfterDays }],
    }));
    // Bucket-wide: parts of uploads that never completed are billed but unusable.
    rules.push({
      id: 'abort-incomplete-uploads',
      status: 'Enabled',
      filter: [{}],
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', { bucket: this.bucket.id, rule: rules });
  }
}
