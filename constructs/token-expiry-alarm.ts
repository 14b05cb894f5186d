/**
 * The alarm that announces a refresh token's death before it happens: Spotify refresh tokens expire six months after
 * the listener's original authorisation (handlers/shared/token-lifetime.ts), and the extract reports the fewest days
 * any listener has left (RefreshTokenDaysLeft) on every full run and on the plays poll of the 00 UTC hour. The alarm
 * goes off at EXPIRY_WARNING_DAYS (14) or fewer, and when the metric stops coming (missing data is breaching: no run,
 * or no listener with a recorded authorisation, is no reassurance either). The run's log names the listener and the
 * command: `npm run pipeline -- authorize --listener NAME --store aws`.
 */
import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { pollsPlays, type PipelineConfig } from '../config/pipeline-config';
import { EXTRACT_SERVICE, METRICS_NAMESPACE, REFRESH_TOKEN_DAYS_LEFT_METRIC } from '../handlers/shared/runtime-contract';
import { EXPIRY_WARNING_DAYS } from '../handlers/shared/token-lifetime';
import { requireAlerts, type PipelineContext } from './context';

export interface TokenExpiryAlarmProps {
  /** Environment name (the metric's dimension) and the alert topic; `alerts` is required here. Required. */
  context: PipelineContext;
  /** The validated configuration: whether plays are polled decides how often the metric comes (daily, or weekly). Required. */
  config: PipelineConfig;
}

const DAY_SECONDS = 86_400;

export class TokenExpiryAlarm extends Construct {
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: TokenExpiryAlarmProps) {
    super(scope, id);
    const { context, config } = props;
    // Daily with the hourly plays poll; otherwise the weekly run alone reports, so a week of days must all breach
    // (missing days count as breaching, and a week with no report at all alarms too).
    const days = pollsPlays(config) ? 1 : 7;
    this.alarm = new CloudwatchMetricAlarm(this, 'alarm', {
      alarmName: context.names.tokenExpiryAlarm,
      alarmDescription:
        `A Spotify refresh token has ${EXPIRY_WARNING_DAYS} days or fewer left (tokens expire six months after the listener authorised, ` +
        'whatever the refreshes), or no run reported the days left. The extract log names the listener: run ' +
        '`npm run pipeline -- authorize --listener NAME --store aws` logged in as them.',
      namespace: METRICS_NAMESPACE,
      metricName: REFRESH_TOKEN_DAYS_LEFT_METRIC,
      dimensions: { service: EXTRACT_SERVICE, environment: context.environmentName },
      statistic: 'Minimum',
      period: DAY_SECONDS,
      evaluationPeriods: days,
      datapointsToAlarm: days,
      threshold: EXPIRY_WARNING_DAYS,
      comparisonOperator: 'LessThanOrEqualToThreshold',
      treatMissingData: 'breaching',
      alarmActions: [requireAlerts(context, 'the token-expiry alarm').topicArn],
      okActions: [requireAlerts(context, 'the token-expiry alarm').topicArn],
    });
  }
}
