/**
 * Silence as an alarm, on the AWS side: one alarm when some polled listener has had no plays stored for
 * freshness.playsSilentHours: the extract's PlaysStored (how many listeners a run stored plays for, one metric for
 * all of them) stayed below the number of polled listeners every hour. Missing data is breaching: a dead token, a
 * Spotify outage or a schedule that stopped all look like silence, and silence is what it watches. The alarm says
 * that someone is silent; `pipeline status` says who.
 *
 * The weekly run's commit and the pipes are watched in Snowflake (constructs/warehouse-checks.ts): a week plus its
 * grace is longer than the 7 days a CloudWatch alarm can look back, and Snowflake sees the run committed and loaded.
 */
import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { EXTRACT_SERVICE, METRICS_NAMESPACE, OUTCOME_METRICS } from '../handlers/shared/runtime-contract';
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
  /** The one plays alarm (none when no listener's plays are polled). */
  readonly playsSilent: CloudwatchMetricAlarm | undefined;

  constructor(scope: Construct, id: string, props: FreshnessAlarmsProps) {
    super(scope, id);
    const { environmentName } = props.context;
    const hours = props.playsSilentHours;
    if (!Number.isInteger(hours) || hours < 1 || hours > 168) {
      throw new Error(`freshness.playsSilentHours must be 1-168 (CloudWatch evaluates at most 7 days); got ${hours}`);
    }
    const listeners = props.playsListeners;
    if (listeners.length === 0) return;
    const topicArn = requireAlerts(props.context, 'the freshness alarms').topicArn;
    this.playsSilent = new CloudwatchMetricAlarm(this, 'plays-silent', {
      alarmName: props.context.names.playsSilentAlarm,
      alarmDescription:
        `A listener (of ${listeners.join(', ')}) has had no plays stored for ${hours} hours: their token may have expired ` +
        'or lost a scope, Spotify may be down, or the plays schedule stopped (`pipeline status --target aws` names who). ' +
        'Spotify keeps only the last 50 plays.',
      namespace: METRICS_NAMESPACE,
      metricName: OUTCOME_METRICS.playsStored,
      dimensions: { service: EXTRACT_SERVICE, environment: environmentName },
      // Each hour's best poll: every listener stored is the number of polled listeners; an hour without a poll is
      // missing, and missing breaches.
      statistic: 'Maximum',
      period: 3600,
      evaluationPeriods: hours,
      datapointsToAlarm: hours,
      threshold: listeners.length,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
      alarmActions: [topicArn],
      okActions: [topicArn],
    });
  }
}
