/**
 * What the planner role is granted, read from a synthesised warehouse stack, and the grant targets that would make a
 * resource visible to it: for the check that main's plan sees every object it refreshes (first-deploy.test.ts, 10).
 */
import type { TfJson } from './synth-helper';

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
export function resolver(tf: TfJson): (value: unknown) => string {
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

export interface Covered {
  privilege: string;
  /** `ACCOUNT:<TYPE>:<NAME>`, `SCHEMA:<DB.SCHEMA>`, `OBJECT:<TYPE>:<DB.SCHEMA.NAME>` or `ALL:<PLURAL>:<DB.SCHEMA>` */
  on: string;
}

export function plannerGrants(tf: TfJson, plannerRole: string): Covered[] {
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
export function targetsOf(tf: TfJson, type: string, r: Record<string, any>): string[] {
  const resolve = resolver(tf);
  if (ACCOUNT_OBJECT_TYPES[type]) return [`ACCOUNT:${ACCOUNT_OBJECT_TYPES[type]}:${resolve(r.name)}`];
  if (type === 'snowflake_schema') return [`SCHEMA:${resolve(r.database)}.${resolve(r.name)}`];
  const [singular, plural] = SCHEMA_OBJECT_TYPES[type];
  const schema = `${resolve(r.database)}.${resolve(r.schema)}`;
  return [`OBJECT:${singular}:${schema}.${resolve(r.name)}`, `ALL:${plural}:${schema}`];
}
