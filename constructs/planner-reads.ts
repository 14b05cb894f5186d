/**
 * What a Terraform refresh of the warehouse stack reads in Snowflake, per resource type, and the privilege the
 * planner role (`<PREFIX>_PLANNER`, the identity of main's plan) needs on each object for that read to see it.
 *
 * Taken from the read functions of snowflakedb/snowflake v2.11.0 (`pkg/resources/<type>.go`, the `Read*` function,
 * and the SDK calls it makes). Why it matters: a read that cannot see an object marks it "removed", the plan then
 * proposes to create it, and applying that plan fails with "already exists" for every type whose create is a
 * CREATE (stage, app, view, table...). Grants are the exception: their create is a GRANT, which Snowflake repeats
 * without error. `__tests__/stacks/first-deploy.test.ts` (block 10) checks that every Snowflake resource type in the
 * synthesised stack has an entry here and that the planner role is granted what the entry says on every object.
 * docs/deploying.md ("What the planner may read") gives the same table.
 */

/** The privilege the planner needs on one object of a type, or null when the read needs none on the object. */
export type ReadPrivilege = string | null;

export interface ReadRequirement {
  /** The statements the provider's read runs (v2.11.0). */
  reads: string;
  /** The privilege on each object of this type; a function when it depends on the object (internal/external stage). */
  privilege: ReadPrivilege | ((resource: Record<string, unknown>) => ReadPrivilege);
  /** Why that privilege, and what the read does without it. */
  why: string;
}

/** The session the provider opens must have a running warehouse: the views' reads call table functions. */
export const PLANNER_SESSION_WAREHOUSE_PRIVILEGE = 'USAGE';

export const PLANNER_READS: Readonly<Record<string, ReadRequirement>> = {
  snowflake_database: {
    reads: 'SHOW DATABASES LIKE; SHOW REPLICATION DATABASES; SHOW PARAMETERS IN DATABASE',
    privilege: 'USAGE',
    why: 'SHOW lists only databases the role holds a privilege on; USAGE is the least one.',
  },
  snowflake_schema: {
    reads: 'SHOW SCHEMAS LIKE ... IN DATABASE; SHOW PARAMETERS IN SCHEMA; DESCRIBE SCHEMA',
    privilege: 'USAGE',
    why: 'SHOW and DESCRIBE need a privilege on the schema (and USAGE on its database).',
  },
  snowflake_warehouse: {
    reads: 'SHOW WAREHOUSES LIKE; SHOW PARAMETERS IN WAREHOUSE',
    privilege: 'USAGE',
    why:
      'MONITOR would list it, but the view reads (below) query table functions, which need a running warehouse in ' +
      'the session: without USAGE they fail with "No active warehouse selected".',
  },
  snowflake_file_format: {
    reads: 'SHOW FILE FORMATS LIKE ... IN SCHEMA',
    privilege: 'USAGE',
    why: 'SHOW lists only file formats the role may use.',
  },
  snowflake_storage_integration: {
    reads: 'SHOW STORAGE INTEGRATIONS LIKE; DESCRIBE STORAGE INTEGRATION',
    privilege: 'USAGE',
    why: 'An integration the role holds nothing on is not shown: the plan would create it again.',
  },
  snowflake_notification_integration: {
    reads: 'SHOW NOTIFICATION INTEGRATIONS LIKE; DESCRIBE NOTIFICATION INTEGRATION',
    privilege: 'USAGE',
    why: 'As for the storage integration.',
  },
  snowflake_stage: {
    reads: 'SHOW STAGES LIKE ... IN SCHEMA; DESCRIBE STAGE',
    // An external stage has a url; an internal one (the dashboard's files) has none.
    privilege: (resource) => (resource.url ? 'USAGE' : 'READ'),
    why:
      'DESCRIBE STAGE needs USAGE on an external stage and READ on an internal one. Without it the plan proposes ' +
      'to create the stage and the apply fails with "already exists".',
  },
  snowflake_table: {
    reads: 'SHOW TABLES LIKE ... IN SCHEMA; SHOW SCHEMAS LIKE; DESCRIBE TABLE (columns)',
    privilege: 'REFERENCES',
    why: 'REFERENCES shows the structure and reads no row (SELECT would read the data).',
  },
  snowflake_pipe: {
    reads: 'SHOW PIPES LIKE ... IN SCHEMA',
    privilege: 'MONITOR',
    why: 'MONITOR shows the pipe and its definition; OPERATE (pause, refresh) is not needed.',
  },
  snowflake_view: {
    reads:
      'SHOW VIEWS LIKE ... IN SCHEMA; SELECT FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(...)); ' +
      'SELECT FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.DATA_METRIC_FUNCTION_REFERENCES(...)); DESCRIBE VIEW',
    privilege: 'REFERENCES',
    why:
      'REFERENCES shows the view text and columns without reading rows; the two table functions run in the ' +
      "session's warehouse (USAGE on the warehouse, above).",
  },
  snowflake_streamlit: {
    reads: 'SHOW STREAMLITS LIKE ... IN SCHEMA; DESCRIBE STREAMLIT',
    privilege: 'USAGE',
    why: 'The app is owned by the analyst role; without USAGE the plan proposes to create it and the apply fails.',
  },
  snowflake_account_role: {
    reads: "SHOW ROLES LIKE '<role>'",
    privilege: null,
    why: 'No privilege on the role itself: the planner is not granted the loader or analyst role (that would give it their data).',
  },
  snowflake_grant_account_role: {
    reads: 'SHOW GRANTS OF ROLE <role>',
    privilege: null,
    why: 'A grant the read cannot see is planned again; re-applying a GRANT is harmless.',
  },
  snowflake_grant_privileges_to_account_role: {
    reads: "SHOW ROLES LIKE '<role>'; SHOW GRANTS ON <object> or SHOW FUTURE GRANTS IN SCHEMA (grants ON ALL are not read)",
    privilege: null,
    why: 'Reads the grants on objects the planner already holds a privilege on (above); a grant planned again applies harmlessly.',
  },
  snowflake_execute: {
    reads: 'nothing: the read runs only the optional `query`, which no execute of this stack sets',
    privilege: null,
    why: 'Uploads and the ownership transfer are written, never read back.',
  },
  // Not in the stack today; listed so that a construct adding one knows the grant to add with it.
  snowflake_alert: {
    reads: 'SHOW ALERTS LIKE ... IN SCHEMA',
    privilege: 'MONITOR',
    why: 'MONITOR shows an alert without letting the role run or change it.',
  },
  snowflake_task: {
    reads: 'SHOW TASKS LIKE ... IN SCHEMA; SHOW PARAMETERS IN TASK',
    privilege: 'MONITOR',
    why: 'MONITOR shows a task without letting the role run or change it.',
  },
};

/** The privilege the planner needs on one synthesised resource, or null; throws for a type not in the table. */
export function plannerPrivilegeFor(type: string, resource: Record<string, unknown>): ReadPrivilege {
  const requirement = PLANNER_READS[type];
  if (!requirement) {
    throw new Error(
      `${type} is not in PLANNER_READS (constructs/planner-reads.ts): read its Read function in the provider's source, ` +
        'add what it queries and the privilege that needs, and grant that privilege to the planner role.',
    );
  }
  return typeof requirement.privilege === 'function' ? requirement.privilege(resource) : requirement.privilege;
}
