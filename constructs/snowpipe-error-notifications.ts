/**
 * Where Snowpipe reports load failures: an outbound notification integration to an SNS topic (the pipeline's
 * alarm topic), and the AWS IAM role Snowflake assumes to publish there. Every pipe names the integration as its
 * ERROR_INTEGRATION, so a file that fails to load becomes a message on the alarm topic instead of a silent row in
 * COPY_HISTORY.
 *
 * Unlike the storage integration, Snowflake generates this integration's external id: the role trusts the
 * integration's aws_sns_iam_user_arn with its aws_sns_external_id, both read from the integration once it exists.
 * The role ARN the integration names is predictable, so Terraform creates integration -> role -> pipes.
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { NotificationIntegration } from '@cdktf/provider-snowflake/lib/notification-integration';
import { policyDocument, type PolicyStatement } from './iam';
import { requireAlerts, type PipelineContext } from './context';

export interface SnowpipeErrorNotificationsProps {
  /** Upper-case name prefix of Snowflake account objects (the integration), e.g. SPOTIFY_PIPELINE_DEV. Required. */
  objectPrefix: string;
  /**
   * Account, region, the alarm topic the errors go to (`alerts`, required here) and the key that topic is
   * encrypted with (`kmsKeyArn`, when aws.customerManagedKey is on). Required.
   */
  context: PipelineContext;
  /** Name of the AWS IAM role Snowflake assumes to publish. Required. */
  roleName: string;
}

export class SnowpipeErrorNotifications extends Construct {
  readonly integration: NotificationIntegration;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: SnowpipeErrorNotificationsProps) {
    super(scope, id);
    const { accountId, region, kmsKeyArn: topicKeyArn } = props.context;
    const topicArn = requireAlerts(props.context, 'Snowpipe error notifications').topicArn;
    this.integration = new NotificationIntegration(this, 'integration', {
      name: `${props.objectPrefix}_PIPE_ERRORS`,
      notificationProvider: 'AWS_SNS',
      direction: 'OUTBOUND',
      enabled: true,
      awsSnsTopicArn: topicArn,
      awsSnsRoleArn: `arn:aws:iam::${accountId}:role/${props.roleName}`,
      comment: 'Snowpipe load errors of the pipeline, to its alarm topic.',
    });
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: "Assumed by Snowflake's notification integration to publish Snowpipe errors to the alarm topic.",
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'SnowflakeNotificationUser',
            Effect: 'Allow',
            Principal: { AWS: this.integration.awsSnsIamUserArn },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': this.integration.awsSnsExternalId } },
          },
        ],
      }),
    });
    const statements: PolicyStatement[] = [{ Sid: 'PublishPipeErrors', Action: ['sns:Publish'], Resource: [topicArn] }];
    if (topicKeyArn) {
      statements.push({
        Sid: 'EncryptedTopic',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: [topicKeyArn],
        Condition: { StringEquals: { 'kms:ViaService': `sns.${region}.amazonaws.com` } },
      });
    }
    this.policy = new IamRolePolicy(this, 'policy', { name: `${props.roleName}-policy`, role: this.role.id, policy: policyDocument(statements) });
  }
}
