import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, resourceNames } from '../../config/pipeline-config';
import { PLANNER_READS, PLANNER_SESSION_WAREHOUSE_PRIVILEGE, plannerPrivilegeFor } from '../../constructs/planner-reads';
import { synthPipeline, type Synthesised, type TfJson } from './synth-helper';

/**
 * The plan main applies is made by the planner role. Every object of the warehouse stack must be visible to it,
 * or the plan proposes to create what exists and the apply fails with "already exists" (issue 18, item 1).
 */

/** Snowflake's singular and plural object type names of the schema-level resource types. */
const SCHEMA_OBJECT_TYPES: Record<string, [string, string]> = {
  snowflake_file_format: ['FILE FORMAT', 'FILE FORMATS'],
  snowflake_stage: ['STAGE', 'STAGES'],
  snowflake_table: ['TABLE', 'TABLES'],
  snowflake_pipe: ['PIPE', 'PIPES'],
  snowflake_view: ['VIEW', 'VIEWS'],
  snowflake_streamlit: ['STREAMLIT', 'STREAMLITS'],
  snowflake_alert: ['ALERT', 'ALERTS'],
  snowflake_task: ['TASK', 'TASKS'],
};
const ACCOUNT_OBJECT_TYPES: Record<string, string> = {
  snowflake_database: 'DATABASE',
  snowflake_warehouse: 'WAREHOUSE',
  snowflake_storage_integration: 'INTEGRATION',
  snowflake_notification_integration: 'INTEGRATION',
};

/** Resolves `${snowflake_x.id.name}` references to the literal they point at, and strips identifier quotes. */
function resolver(tf: TfJson): (value: unknown) => string {
  const resolve = (value: unknown): string =>
    String(value)
      .replace(/\$\{(snowflake_[a-z_]+)\.([^.}]+)\.(name|database|schema|fully_qualified_name)\}/g, (_, type: string, id: string, attribute: string) => {
        const r = tf.resource[type]?.[id];
        if (!r) throw new Error(`unresolved reference ${type}.${id}`);
        if (attribute !== 'fully_qualified_name') return resolve(r[attribute]);
        return [r.database, r.schema, r.name].filter(Boolean).map(resolve).join('.');
      })
      .replace(/"/g, '');
  return resolve;
}

interface Covered {
  privilege: string;
  /** `ACCOUNT:<TYPE>:<NAME>`, `SCHEMA:<DB.SCHEMA>`, `OBJECT:<TYPE>:<DB.SCHEMA.NAME>` or `ALL:<PLURAL>:<DB.SCHEMA>` */
  on: string;
}

function plannerGrants(tf: TfJson, plannerRole: string): Covered[] {
  const resolve = resolver(tf);
  const covered: Covered[] = [];
  for (const g of Object.values(tf.resource.snowflake_grant_privileges_to_account_role ?? {})) {
    if (resolve(g.account_role_name) !== plannerRole) continue;
    const targets: string[] = [];
    if (g.on_account_object) targets.push(`ACCOUNT:${g.on_account_object.object_type}:${resolve(g.on_account_object.object_name)}`);
    if (g.on_schema?.schema_name) targets.push(`SCHEMA:${resolve(g.on_schema.schema_name)}`);
    const so = g.on_schema_object;
    if (so?.object_type) targets.push(`OBJECT:${so.object_type}:${resolve(so.object_name)}`);
    // ALL covers what exists when the grant is applied, FUTURE what comes later: either makes an object visible.
    for (const bulk of [so?.all, so?.future].filter(Boolean)) targets.push(`ALL:${bulk.object_type_plural}:${resolve(bulk.in_schema)}`);
    for (const on of targets) for (const privilege of g.privileges) covered.push({ privilege, on });
  }
  return covered;
}

/** The grant targets that would make one resource visible. */
function targetsOf(tf: TfJson, type: string, r: Record<string, any>): string[] {
  const resolve = resolver(tf);
  if (ACCOUNT_OBJECT_TYPES[type]) return [`ACCOUNT:${ACCOUNT_OBJECT_TYPES[type]}:${resolve(r.name)}`];
  if (type === 'snowflake_schema') return [`SCHEMA:${resolve(r.database)}.${resolve(r.name)}`];
  const [singular, plural] = SCHEMA_OBJECT_TYPES[type];
  const schema = `${resolve(r.database)}.${resolve(r.schema)}`;
  return [`OBJECT:${singular}:${schema}.${resolve(r.name)}`, `ALL:${plural}:${schema}`];
}

describe.each(['prod', 'dev'])('the planner role can read every object of the %s warehouse stack', (env) => {
  let s: Synthesised;
  let planner: string;
  let grants: Covered[];
  beforeAll(() => {
    s = synthPipeline(loadConfig(env));
    planner = `${resourceNames(s.config).snowflakePrefix}_PLANNER`;
    grants = plannerGrants(s.warehouse, planner);
  });

  it('every Snowflake resource type of the stack is in the table of reads (constructs/planner-reads.ts)', () => {
    const types = Object.keys(s.warehouse.resource).filter((t) => t.startsWith('snowflake_'));
    expect(types.filter((t) => !PLANNER_READS[t])).toEqual([]);
  });

  it('holds, on every object, the privilege its read needs', () => {
    const missing: string[] = [];
    for (const [type, byId] of Object.entries(s.warehouse.resource)) {
      if (!type.startsWith('snowflake_')) continue;
      for (const [id, r] of Object.entries(byId)) {
        const privilege = plannerPrivilegeFor(type, r);
        if (!privilege) continue;
        const targets = targetsOf(s.warehouse, type, r);
        if (!grants.some((g) => g.privilege === privilege && targets.includes(g.on))) missing.push(`${privilege} on ${type}.${id} (${targets[0]})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("has a running warehouse in its session (the views' reads call table functions)", () => {
    const provider = (s.warehouse.provider as Record<string, any[]>).snowflake[0];
    expect(provider.warehouse).toBe(s.config.snowflake.warehouse);
    expect(grants).toContainEqual({ privilege: PLANNER_SESSION_WAREHOUSE_PRIVILEGE, on: `ACCOUNT:WAREHOUSE:${s.config.snowflake.warehouse}` });
  });

  it('reads no row: no SELECT, no role of another, nothing it could change with', () => {
    expect(grants.map((g) => g.privilege).filter((p) => !['USAGE', 'READ', 'REFERENCES', 'MONITOR'].includes(p))).toEqual([]);
    const resolve = resolver(s.warehouse);
    const rolesGranted = Object.values(s.warehouse.resource.snowflake_grant_account_role ?? {}).filter((g) => resolve(g.parent_role_name) === planner);
    expect(rolesGranted).toEqual([]);
  });
});

describe('docs/deploying.md gives the table of reads', () => {
  it('has one row per resource type, with its privilege', () => {
    const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'deploying.md'), 'utf8');
    for (const [type, requirement] of Object.entries(PLANNER_READS)) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${type}\` |`));
      expect(row).toBeDefined();
      const privilege = typeof requirement.privilege === 'function' ? null : requirement.privilege;
      if (privilege) expect(row).toContain(`**${privilege}**`);
    }
  });
});
