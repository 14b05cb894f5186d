/**
 * Snowflake's read access to processed/: the storage integration, the AWS IAM role it assumes, and the external
 * stage on s3://<bucket>/processed/.
 *
 * The integration and the role reference each other: the integration needs the role ARN, the role's trust policy
 * the integration's IAM user ARN. The cycle is broken with a predictable role ARN given to the integration before
 * the role exists, and an external id we set ourselves (left unset, the attribute stays empty in state and the
 * trust breaks). Terraform creates integration -> role + policy -> stage.
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Stage } from '@cdktf/provider-snowflake/lib/stage';
import { StorageIntegration } from '@cdktf/provider-snowflake/lib/storage-integration';
import type { FileFormat } from '@cdktf/provider-snowflake/lib/file-format';
import { bucketArn, objectsArn, policyDocument } from './iam';
import type { PipelineBucket, PipelineContext } from './context';

export const STAGE_NAME = 'PROCESSED_STAGE';

export interface ProcessedStageProps {
  /** Upper-case name prefix of Snowflake account objects (the integration), e.g. SPOTIFY_PIPELINE_DEV. Required. */
  objectPrefix: string;
  /** Account of the stack (the role's predictable ARN). Required. */
  context: PipelineContext;
  /** Name of the AWS IAM role the storage integration assumes. Required. */
  roleName: string;
  /** The external id the role's trust demands (snowflake.storageExternalId); set here, never generated. Required. */
  externalId: string;
  /** The pipeline bucket: the stage reads its processed/ prefix, and only that. Required. */
  bucket: PipelineBucket;
  /** Database of the stage. Required. */
  database: string;
  /** Schema of the stage. Required. */
  schema: string;
  /** The Parquet file format the stage reads with. Required. */
  fileFormat: FileFormat;
}

export class ProcessedStage extends Construct {
  readonly integration: StorageIntegration;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly stage: Stage;

  constructor(scope: Construct, id: string, props: ProcessedStageProps) {
    super(scope, id);
    const bucket = props.bucket.name;
    const processedPrefix = props.bucket.prefixes.processed;
    const roleArn = `arn:aws:iam::${props.context.accountId}:role/${props.roleName}`;
    const processedUrl = `s3://${bucket}/${processedPrefix}`;
    this.integration = new StorageIntegration(this, 'integration', {
      name: `${props.objectPrefix}_PROCESSED`,
      type: 'EXTERNAL_STAGE',
      storageProvider: 'S3',
      enabled: true,
      storageAwsRoleArn: roleArn,
      // Set here: left unset the attribute stays empty in state and the trust policy would break.
      storageAwsExternalId: props.externalId,
      storageAllowedLocations: [processedUrl],
      comment: 'Read-only access of Snowpipe to processed/.',
    });
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: "Assumed by Snowflake's storage integration to read processed/ (and nothing else).",
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'SnowflakeIntegrationUser',
            Effect: 'Allow',
            Principal: { AWS: this.integration.storageAwsIamUserArn },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': props.externalId } },
          },
        ],
      }),
    });
    this.policy = new IamRolePolicy(this, 'policy', {
      name: `${props.roleName}-policy`,
      role: this.role.id,
      policy: policyDocument([
        { Sid: 'ReadProcessed', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: [objectsArn(bucket, `${processedPrefix}*`)] },
        {
          Sid: 'ListProcessed',
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(bucket)],
          Condition: { StringLike: { 's3:prefix': [`${processedPrefix}*`] } },
        },
        { Sid: 'BucketLocation', Action: ['s3:GetBucketLocation'], Resource: [bucketArn(bucket)] },
      ]),
    });
    this.stage = new Stage(this, 'stage', {
      database: props.database,
      schema: props.schema,
      name: STAGE_NAME,
      url: processedUrl,
      storageIntegration: this.integration.name,
      fileFormat: `FORMAT_NAME = ${props.fileFormat.fullyQualifiedName}`,
      comment: 'processed/ of the pipeline bucket.',
      dependsOn: [this.role, this.policy],
    });
  }
}
