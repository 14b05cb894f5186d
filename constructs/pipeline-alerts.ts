/**
 * Where the pipeline's failures go: the SNS alarm topic (with an optional e-mail subscription) and the failures
 * queue that holds events nobody could deliver (Lambda on-failure destinations, the schedule's and the EventBridge
 * rules' dead letters), with an alarm on any message waiting in it.
 *
 * Other constructs let their EventBridge rules publish here with allowEventRule(); the topic and queue policies
 * are written once, at synth time, from what was asked for.
 */
import { Construct } from 'constructs';
import { Lazy } from 'cdktf';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { resourcePolicy, type PrincipalStatement } from './iam';
import { skipCheck } from './checkov';
import type { AlertTargets, PipelineContext } from './context';

export interface PipelineAlertsProps {
  /** Names (the alarm topic, the failures queue and its alarm), account (who may publish) and key (topic and queue encryption) of the stack. Required. */
  context: PipelineContext;
  /** An e-mail address subscribed to the alarm topic (aws.alarmEmail). Default: none, no subscription. */
  alarmEmail?: string;
}

export class PipelineAlerts extends Construct implements AlertTargets {
  readonly topic: SnsTopic;
  readonly failures: SqsQueue;
  private readonly eventRules: { sid: string; ruleArn: string }[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlertsProps) {
    super(scope, id);
    const { names, accountId, kmsKeyArn } = props.context;
    this.failures = new SqsQueue(this, 'failures', {
      name: names.failuresQueue,
      messageRetentionSeconds: 14 * 24 * 3600,
      ...(kmsKeyArn ? { kmsMasterKeyId: kmsKeyArn, kmsDataKeyReusePeriodSeconds: 3600 } : { sqsManagedSseEnabled: true }),
    });
    // CloudWatch alarms and EventBridge can publish to an encrypted topic only under a customer-managed key whose
    // policy lets them (the AWS-managed SNS key does not): without the pipeline key the topic stays unencrypted.
    this.topic = new SnsTopic(this, 'alarms', { name: names.alarmTopic, kmsMasterKeyId: kmsKeyArn });
    if (!kmsKeyArn) {
      skipCheck(
        this.topic,
        'CKV_AWS_26',
        'aws.customerManagedKey is off: CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key, so ' +
          'the alarm topic is unencrypted at rest; it carries alarm texts and Snowpipe error notices, no data.',
      );
    }
    if (props.alarmEmail) {
      new SnsTopicSubscription(this, 'alarm-email', { topicArn: this.topic.arn, protocol: 'email', endpoint: props.alarmEmail });
    }
    new CloudwatchMetricAlarm(this, 'failures-alarm', {
      alarmName: names.failuresAlarm,
      alarmDescription: `An invocation failed after its retries; the event waits in ${names.failuresQueue}.`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: this.failures.name },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [this.topic.arn],
    });

    const ruleStatements = (action: string, resource: string): PrincipalStatement[] =>
      this.eventRules.map(({ sid, ruleArn }) => ({
        Sid: action === 'sns:Publish' ? sid : `${sid}DeadLetters`,
        Principal: { Service: 'events.amazonaws.com' },
        Action: [action],
        Resource: [resource],
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      }));
    new SqsQueuePolicy(this, 'failures-policy', {
      queueUrl: this.failures.url,
      policy: Lazy.stringValue({ produce: () => resourcePolicy(ruleStatements('sqs:SendMessage', this.failures.arn)) }),
    });
    new SnsTopicPolicy(this, 'alarms-policy', {
      arn: this.topic.arn,
      policy: Lazy.stringValue({
        produce: () =>
          resourcePolicy([
            ...ruleStatements('sns:Publish', this.topic.arn),
            {
              Sid: 'CloudWatchAlarms',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['sns:Publish'],
              Resource: [this.topic.arn],
              Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
            },
          ]),
      }),
    });
  }

  get topicArn(): string {
    return this.topic.arn;
  }

  get failureQueueArn(): string {
    return this.failures.arn;
  }

  /** Lets an EventBridge rule publish to the topic and dead-letter to the failures queue (Sid names the rule). */
  allowEventRule(sid: string, ruleArn: string): void {
    this.eventRules.push({ sid, ruleArn });
  }
}
