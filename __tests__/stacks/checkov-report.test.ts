/**
 * scripts/checkov-report.ts: a checkov finding is accepted only on the resource that carries a skip of that check;
 * anything else fails the scan, and so does a skip whose check passes (stale).
 */
import { evaluate, findingAddress } from '../../scripts/checkov-report';

const tf = {
  resource: {
    aws_s3_bucket: { data_bucket_1: { '//': { checkov_skip: ['CKV_AWS_18: no access logs: a second bucket for a weekly batch is not worth it'] } } },
    aws_sns_topic: { alerts_alarms_2: {} },
    aws_cloudwatch_log_group: { a_logs_3: { '//': { checkov_skip: ['CKV_AWS_158: aws.customerManagedKey is off for this environment, say the docs'] } } },
  },
};
const report = (failed: { check_id: string; resource: string }[]) => ({ summary: { passed: 5, failed: failed.length }, results: { failed_checks: failed } });

describe('checkov-report', () => {
  it('maps python-check findings ("resource.<id>") and graph-check findings ("type.id") to the resource', () => {
    expect(findingAddress(tf, 'resource.alerts_alarms_2')).toBe('aws_sns_topic.alerts_alarms_2');
    expect(findingAddress(tf, 'aws_s3_bucket.data_bucket_1')).toBe('aws_s3_bucket.data_bucket_1');
  });

  it('accepts a finding only where the skip is, and lists the reason', () => {
    const verdict = evaluate(tf, report([
      { check_id: 'CKV_AWS_18', resource: 'aws_s3_bucket.data_bucket_1' },
      { check_id: 'CKV_AWS_158', resource: 'resource.a_logs_3' },
    ]));
    expect(verdict.failures).toEqual([]);
    expect(verdict.stale).toEqual([]);
    expect(verdict.accepted.map((a) => `${a.id} ${a.address}`)).toEqual(['CKV_AWS_18 aws_s3_bucket.data_bucket_1', 'CKV_AWS_158 aws_cloudwatch_log_group.a_logs_3']);
    expect(verdict.accepted[0].reason).toMatch(/second bucket/);
  });

  it('fails the same check on a resource without the skip, and a skip whose check passes', () => {
    const verdict = evaluate(tf, report([
      { check_id: 'CKV_AWS_18', resource: 'aws_s3_bucket.data_bucket_1' },
      { check_id: 'CKV_AWS_26', resource: 'resource.alerts_alarms_2' },
      { check_id: 'CKV_AWS_18', resource: 'aws_s3_bucket.other_bucket' },
    ]));
    expect(verdict.failures.map((f) => `${f.id} ${f.address}`)).toEqual(['CKV_AWS_26 aws_sns_topic.alerts_alarms_2', 'CKV_AWS_18 aws_s3_bucket.other_bucket']);
    expect(verdict.stale).toEqual([{ id: 'CKV_AWS_158', address: 'aws_cloudwatch_log_group.a_logs_3' }]);
  });
});
