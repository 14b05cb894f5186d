/**
 * Every name the stacks create stays within AWS's and Snowflake's limits for every project name the configuration
 * accepts: the longest accepted project is synthesised (prod: the longest environment name with stacks, the key,
 * both schedules, the crawler) and each name is held to the limit of its kind (NAME_LIMITS). A construct that adds a
 * name the validation does not know about, long enough to overflow, fails here.
 */
import { derivedNames, NAME_LIMITS, parseConfig, resourceNames, type NameKind } from '../../config/pipeline-config';
import { synthPipeline, type Synthesised } from './synth-helper';

/** The attribute that holds each resource type's name, and the kind of limit it has. */
const NAMED_TYPES: Record<string, [attribute: string, kind: NameKind]> = {
  aws_s3_bucket: ['bucket', 'S3 bucket'],
  aws_iam_role: ['name', 'IAM role'],
  aws_iam_role_policy: ['name', 'IAM role policy'],
  aws_lambda_function: ['function_name', 'Lambda function'],
  aws_scheduler_schedule: ['name', 'EventBridge Scheduler schedule'],
  aws_cloudwatch_event_rule: ['name', 'EventBridge rule'],
  aws_sqs_queue: ['name', 'SQS queue'],
  aws_sns_topic: ['name', 'SNS topic'],
  aws_cloudwatch_metric_alarm: ['alarm_name', 'CloudWatch alarm'],
  aws_cloudwatch_log_group: ['name', 'CloudWatch log group'],
  aws_glue_job: ['name', 'Glue job'],
  aws_glue_crawler: ['name', 'Glue crawler'],
  aws_glue_trigger: ['name', 'Glue trigger'],
  aws_glue_security_configuration: ['name', 'Glue security configuration'],
  aws_glue_catalog_database: ['name', 'Glue database'],
  aws_secretsmanager_secret: ['name', 'Secrets Manager secret'],
  aws_kms_alias: ['name', 'KMS alias'],
};

/** The longest project name the configuration accepts for an environment file (found by asking it). */
function longestAcceptedProject(raw: Record<string, any>): string {
  for (let length = 41; length > 2; length -= 1) {
    const project = `p${'x'.repeat(length - 1)}`;
    try {
      parseConfig({ ...raw, project });
      return project;
    } catch {
      // too long for some derived name: one shorter
    }
  }
  throw new Error('no project name accepted');
}

describe('name limits', () => {
  let s: Synthesised;
  let project: string;
  beforeAll(() => {
    const raw = require('../../config/environments/prod.json');
    project = longestAcceptedProject(raw);
    const config = parseConfig({ ...raw, project, spotify: { ...raw.spotify, listeners: [{ name: 'a-listener-name-of-thirty-char' }] } });
    process.env.PIPELINE_LOCAL_STATE = '1';
    try {
      s = synthPipeline(config);
    } finally {
      delete process.env.PIPELINE_LOCAL_STATE;
    }
  });

  it('accepts a project name only as long as its longest derived name allows', () => {
    expect(project.length).toBeGreaterThanOrEqual(30);
    expect(project.length).toBeLessThan(41);
  });

  it('keeps every synthesised name of the longest accepted project within its limit', () => {
    const { prefix, snowflakePrefix } = resourceNames(s.config);
    const checked: string[] = [];
    for (const kind of ['storage', 'compute', 'warehouse'] as const) {
      for (const [type, byId] of Object.entries(s[kind].resource)) {
        for (const body of Object.values<any>(byId)) {
          const named = NAMED_TYPES[type] ?? (type.startsWith('snowflake_') ? ['name', 'Snowflake identifier'] : undefined);
          const names = Object.entries(body).filter(([k, v]) => typeof v === 'string' && /(^|_)name$|^bucket$/.test(k) && !v.includes('${'));
          const derived = names.filter(([, v]) => (v as string).includes(prefix) || (v as string).includes(snowflakePrefix));
          // A resource named after the project must have a known limit: add its type above (and to NAME_LIMITS).
          if (derived.length > 0) expect({ type, known: Boolean(named) }).toEqual({ type, known: true });
          if (!named || typeof body[named[0]] !== 'string') continue;
          const name: string = body[named[0]];
          if (name.length > NAME_LIMITS[named[1]]) checked.push(`${type} ${name} (${name.length} > ${NAME_LIMITS[named[1]]})`);
          else checked.push('ok');
        }
      }
    }
    expect(checked.filter((c) => c !== 'ok')).toEqual([]);
    expect(checked.length).toBeGreaterThan(40);
  });

  it('creates exactly the names the validation checks (derivedNames): the constructs use the same names', () => {
    const listed = new Set(derivedNames(s.config).map((n) => n.name));
    const synthesised: string[] = [];
    for (const kind of ['storage', 'compute', 'warehouse'] as const) {
      for (const [type, byId] of Object.entries(s[kind].resource)) {
        const attribute = NAMED_TYPES[type]?.[0] ?? (type.startsWith('snowflake_') ? 'name' : undefined);
        if (!attribute) continue;
        for (const body of Object.values<any>(byId)) if (typeof body[attribute] === 'string') synthesised.push(body[attribute]);
      }
    }
    const { prefix, snowflakePrefix, glueDatabase } = resourceNames(s.config);
    const derived = synthesised.filter((name) => name.includes(prefix) || name.includes(snowflakePrefix) || name === glueDatabase);
    expect(derived.filter((name) => !listed.has(name))).toEqual([]);
    expect(derived.length).toBeGreaterThan(25);
  });
});
