/**
 * dev and prod side by side in one AWS account and one Snowflake account (config/environments/dev.json and
 * prod.json name the same ones): no object that either creates may have a name the other creates too, or the
 * second deploy fails with "already exists", an import makes two states fight over one object, and destroying one
 * environment deletes the other's. Names are collected generically (every name-like attribute of every resource,
 * references resolved to what they name), so a new resource is covered without a list here.
 */
import { createHash } from 'node:crypto';
import { loadConfig } from '../../config/pipeline-config';
import { synthPipeline, type Synthesised, type TfJson } from './synth-helper';

/** Attributes that name an object or the scope it is named in (a table's database and schema, a policy's bucket). */
const NAME_LIKE = /(^|_)name$|^(bucket|alias|database|schema|name_prefix)$/;
const KINDS = ['storage', 'compute', 'warehouse'] as const;

interface Entry {
  type: string;
  body: Record<string, any>;
}

/**
 * The names each resource of one environment claims, as `type {attribute: name}` with references replaced by the
 * name of what they point at (so `${snowflake_database.x.name}` reads SPOTIFY_DEV), resources without a name-like
 * attribute left out (grants, executes, policies attached by reference: they name nothing of their own).
 */
export function claimedNames(env: Synthesised): Map<string, string> {
  const claims = new Map<string, string>();
  for (const kind of KINDS) {
    const tf: TfJson = env[kind];
    const entries = new Map<string, Entry>();
    for (const [type, byId] of Object.entries(tf.resource ?? {})) for (const [id, body] of Object.entries(byId)) entries.set(`${type}.${id}`, { type, body });
    for (const [type, byId] of Object.entries(tf.data ?? {})) for (const [id, body] of Object.entries(byId)) entries.set(`data.${type}.${id}`, { type, body });
    const identities = new Map<string, string>();
    const resolving = new Set<string>();
    const identity = (address: string): string => {
      const known = identities.get(address);
      if (known) return known;
      const { type, body } = entries.get(address)!;
      if (resolving.has(address)) return type;
      resolving.add(address);
      const names = nameAttributes(body);
      const id = Object.keys(names).length > 0 ? `${type}${JSON.stringify(names)}` : `${type}#${createHash('sha1').update(resolve(JSON.stringify(body))).digest('hex')}`;
      resolving.delete(address);
      identities.set(address, id);
      return id;
    };
    const resolve = (text: string): string =>
      text.replace(/\$\{([^}]*)\}/g, (_, expression: string) =>
        expression.replace(/\b(?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+/g, (ref) => (entries.has(ref) ? `<${identity(ref)}>` : ref)),
      );
    const nameAttributes = (body: Record<string, any>): Record<string, string> =>
      Object.fromEntries(
        Object.entries(body)
          .filter(([key, value]) => NAME_LIKE.test(key) && typeof value === 'string')
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, value]) => [key, resolve(value)]),
      );
    for (const [address, { type, body }] of entries) {
      if (address.startsWith('data.')) continue; // data sources read objects, they do not create them
      const names = nameAttributes(body);
      if (Object.keys(names).length > 0) claims.set(`${type} ${JSON.stringify(names)}`, `${kind}: ${address}`);
    }
  }
  return claims;
}

describe('dev and prod in one account', () => {
  let dev: Synthesised;
  let prod: Synthesised;
  beforeAll(() => {
    // Local state, as first-deploy.test.ts synthesises them: the same cached synths (state is no resource).
    process.env.PIPELINE_LOCAL_STATE = '1';
    try {
      dev = synthPipeline(loadConfig('dev'));
      prod = synthPipeline(loadConfig('prod'));
    } finally {
      delete process.env.PIPELINE_LOCAL_STATE;
    }
  });

  it('share the AWS account and the Snowflake account (what makes this test matter)', () => {
    expect(dev.config.aws.accountId).toBe(prod.config.aws.accountId);
    expect(dev.config.aws.region).toBe(prod.config.aws.region);
    expect(`${dev.config.snowflake.organizationName}-${dev.config.snowflake.accountName}`).toBe(
      `${prod.config.snowflake.organizationName}-${prod.config.snowflake.accountName}`,
    );
  });

  it('create no object under a name the other environment creates too', () => {
    const devNames = claimedNames(dev);
    const prodNames = claimedNames(prod);
    // The collection sees the objects that matter: buckets, roles, log groups, Snowflake warehouse and database.
    for (const type of ['aws_s3_bucket', 'aws_iam_role', 'aws_cloudwatch_log_group', 'aws_lambda_function', 'snowflake_warehouse', 'snowflake_database', 'snowflake_account_role', 'snowflake_stage']) {
      expect([...devNames.keys()].some((k) => k.startsWith(`${type} `))).toBe(true);
    }
    const shared = [...devNames.keys()].filter((name) => prodNames.has(name)).map((name) => `${name} (dev ${devNames.get(name)}, prod ${prodNames.get(name)})`);
    expect(shared).toEqual([]);
  });

  it('leave the account-wide crawler log group to prod, which creates it with its retention and key', () => {
    const groups = (env: Synthesised) => Object.values<any>(env.compute.resource.aws_cloudwatch_log_group).map((g) => g.name);
    expect(groups(prod)).toContain('/aws-glue/crawlers');
    expect(groups(dev)).not.toContain('/aws-glue/crawlers');
    // dev's crawler still writes there.
    const devCrawlerPolicy = Object.values<any>(dev.compute.resource.aws_iam_role_policy).find((p) => p.name.endsWith('-glue-crawler-policy'));
    expect(devCrawlerPolicy.policy).toContain(':log-group:/aws-glue/crawlers:*');
  });
});
