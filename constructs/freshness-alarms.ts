/**
 * Silence as an alarm, on the AWS side: for each listener whose plays are polled, an alarm when no poll stored their
 * plays (the extract's PlaysStored metric, per listener) for freshness.playsSilentHours. Missing data is breaching:
 * a dead token, a Spotify outage or a schedule that stopped all look like silence, and silence is what it watches.
 *
 * The weekly run's commit and the pipes are watched in Snowflake (constructs/warehouse-checks.ts): a week plus its
 * grace is longer than the 7 days a CloudWatch alarm can look back, and Snowflake sees the run committed and loaded.
 */
import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { EXTRACT_SERVICE, LISTENER_DIMENSION, METRICS_NAMESPACE, OUTCOME_METRICS } from '../handlers/shared/runtime-contract';
import { requireAlerts, type PipelineContext } from './context';

export interface FreshnessAlarmsProps {
  /** Environment (a metric dimension), prefix (alarm names) and the alarm topic (`alerts`, required here). Required. */
  context: PipelineContext;
  /** The configured names of the listeners whose plays are polled; none: no alarm. Required. */
  playsListeners: readonly string[];
  /** Hours without plays stored for a listener before their alarm (1-168: CloudWatch looks back 7 days at most). Required. */
  playsSilentHours: number;
}

export class FreshnessAlarms extends Construct {
  /** One per listener, by listener name. */
  readonly playsSilent: Record<string, CloudwatchMetricAlarm> = {};

  constructor(scope: Construct, id: string, props: FreshnessAlarmsProps) {
    super(scope, id);
    const { environmentName } = props.context;
    const hours = props.playsSilentHours;
    if (!Number.isInteger(hours) || hours < 1 || hours > 168) {
      throw new Error(`freshness.playsSilentHours must be 1-168 (CloudWatch evaluates at most 7 days); got ${hours}`);
    }
    const topicArn = requireAlerts(props.context, 'the freshness alarms').topicArn;
    for (const listener of props.playsListeners) {
      this.playsSilent[listener] = new CloudwatchMetricAlarm(this, `plays-silent-${listener}`, {
        alarmName: props.context.names.playsSilentAlarm(listener),
        alarmDescription:
          `No plays stored for listener ${listener} for ${hours} hours: their token may have expired or lost a scope ` +
          '(pipeline status), Spotify may be down, or the plays schedule stopped. Spotify keeps only the last 50 plays.',
        namespace: METRICS_NAMESPACE,
        metricName: OUTCOME_METRICS.playsStored,
        dimensions: { service: EXTRACT_SERVICE, environment: environmentName, [LISTENER_DIMENSION]: listener },
        // A stored poll is a datapoint (0 plays included); an hour without one is missing, and missing breaches.
        statistic: 'SampleCount',
        period: 3600,
        evaluationPeriods: hours,
        datapointsToAlarm: hours,
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'breaching',
        alarmActions: [topicArn],
        okActions: [topicArn],
      });
    }
  }
}
