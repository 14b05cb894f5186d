/**
 * The deployed pipeline's CloudWatch alarms that are in ALARM now: every alarm the stacks create is named with
 * the environment's prefix (`<project>-<env>-...`), so one DescribeAlarms by prefix finds them all.
 */
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm, type CompositeAlarm } from '@aws-sdk/client-cloudwatch';
import type { AlarmInAlarm } from './health-report';

export async function alarmsInAlarm(cloudwatch: CloudWatchClient, namePrefix: string): Promise<AlarmInAlarm[]> {
  const found: Array<MetricAlarm | CompositeAlarm> = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: namePrefix, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }),
    );
    found.push(...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  // Filtered here too: a CloudWatch-compatible server may ignore StateValue when a prefix is given (moto does).
  return found
    .filter((alarm) => alarm.StateValue === 'ALARM')
    .map((alarm) => ({
      name: alarm.AlarmName ?? '(unnamed)',
      reason: alarm.StateReason ?? '',
      since: alarm.StateUpdatedTimestamp ? alarm.StateUpdatedTimestamp.toISOString() : null,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
