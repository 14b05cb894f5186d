/**
 * Who may do what in the warehouse: the loader role (usage on database, schema, stage and file format,
 * select+insert on the tables, operate+monitor on the pipes) and the analyst role (warehouse usage, select on
 * tables and views, monitor on pipes), both under SYSADMIN; the same model as snowflake-sql/roles.sql.
 *
 * The analyst's SELECT on views is granted on all views (applied after the views exist, so it covers them), on
 * future views, and once per view, so each view's grant shows in the plan and is restored if revoked.
 *
 * The planner role makes the plan that main applies: it must see every object of the stack, with exactly the
 * privilege the provider's read of that type needs (constructs/planner-reads.ts, from the provider's source), and
 * read no row. Objects created after this construct (the dashboard's stage and app) are added with plannerMayRead.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { AccountRole } from '@cdktf/provider-snowflake/lib/account-role';
import { GrantAccountRole } from '@cdktf/provider-snowflake/lib/grant-account-role';
import {
  GrantPrivilegesToAccountRole,
  type GrantPrivilegesToAccountRoleConfig,
} from '@cdktf/provider-snowflake/lib/grant-privileges-to-account-role';
import type { Stage } from '@cdktf/provider-snowflake/lib/stage';
import type { Alert } from '@cdktf/provider-snowflake/lib/alert';
import { PLANNER_READS, plannerPrivilegeFor } from './planner-reads';
import type { SnowflakeView } from './snowflake-view';
import { snowflakeName } from './snowpipe-table';

export interface WarehouseAccessProps {
  /** Upper-case name prefix of Snowflake account objects (the roles), e.g. SPOTIFY_PIPELINE_DEV. Required. */
  objectPrefix: string;
  /** The database the roles are granted on. Required. */
  databaseName: string;
  /** The query warehouse the roles may use. Required. */
  warehouseName: string;
  /** `<DATABASE>.<SCHEMA>` of the tables, pipes and views. Required. */
  schemaFqn: string;
  /** Name of the external stage on processed/ the loader role uses (and the planner may see). Required. */
  stageName: string;
  /** Name of the Parquet file format the loader role uses. Required. */
  fileFormatName: string;
  /** The views the analyst role may SELECT. Required. */
  views: readonly SnowflakeView[];
  /** The account-level integrations the stack owns (storage, notification): the planner may see them. Required. */
  integrationNames: string[];
  /** What every grant needs first (the schema, the pipes). Required. */
  dependsOn: ITerraformDependable[];
}

/** The planner's privilege for a resource type whose privilege does not depend on the object. */
function readPrivilege(type: string): string {
  const privilege = PLANNER_READS[type]?.privilege;
  if (typeof privilege !== 'string') throw new Error(`PLANNER_READS.${type} names no single privilege`);
  return privilege;
}

export class WarehouseAccess extends Construct {
  readonly loaderRole: AccountRole;
  readonly analystRole: AccountRole;
  /** The identity of main's plan: sees every object of the stack (what the provider's reads need), reads no row. */
  readonly plannerRole: AccountRole;
  private readonly dependsOn: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: WarehouseAccessProps) {
    super(scope, id);
    this.dependsOn = props.dependsOn;
    const { schemaFqn } = props;
    this.loaderRole = new AccountRole(this, 'loader-role', {
      name: `${props.objectPrefix}_LOADER`,
      comment: 'Snowpipe loader: COPY from the processed stage into the loaded tables.',
    });
    this.analystRole = new AccountRole(this, 'analyst-role', {
      name: `${props.objectPrefix}_ANALYST`,
      comment: 'Read-only analyst: tables, views and pipe status.',
    });
    this.plannerRole = new AccountRole(this, 'planner-role', {
      name: `${props.objectPrefix}_PLANNER`,
      comment: "Terraform plans of main (the plan that is applied): sees every object of the stack; reads no row, changes nothing.",
    });
    const roles = [['loader', this.loaderRole], ['analyst', this.analystRole], ['planner', this.plannerRole]] as const;
    for (const [roleId, role] of roles) {
      // Administrators keep control of everything the roles can do.
      new GrantAccountRole(this, `${roleId}-to-sysadmin`, { roleName: role.name, parentRoleName: 'SYSADMIN' });
    }
    const grant = (
      grantId: string,
      role: AccountRole,
      config: Omit<GrantPrivilegesToAccountRoleConfig, 'accountRoleName'>,
      after: ITerraformDependable[] = [],
    ) => new GrantPrivilegesToAccountRole(this, grantId, { accountRoleName: role.name, ...config, dependsOn: [...props.dependsOn, ...after] });

    for (const [roleId, role] of roles) {
      grant(`${roleId}-database`, role, { privileges: ['USAGE'], onAccountObject: { objectType: 'DATABASE', objectName: props.databaseName } });
      grant(`${roleId}-schema`, role, { privileges: ['USAGE'], onSchema: { schemaName: schemaFqn } });
    }
    grant('loader-stage', this.loaderRole, {
      privileges: ['USAGE'],
      onSchemaObject: { objectType: 'STAGE', objectName: `${schemaFqn}.${props.stageName}` },
    });
    grant('loader-file-format', this.loaderRole, {
      privileges: ['USAGE'],
      onSchemaObject: { objectType: 'FILE FORMAT', objectName: `${schemaFqn}.${props.fileFormatName}` },
    });
    grant('loader-tables', this.loaderRole, { privileges: ['SELECT', 'INSERT'], onSchemaObject: { all: { objectTypePlural: 'TABLES', inSchema: schemaFqn } } });
    grant('loader-future-tables', this.loaderRole, {
      privileges: ['SELECT', 'INSERT'],
      onSchemaObject: { future: { objectTypePlural: 'TABLES', inSchema: schemaFqn } },
    });
    grant('loader-pipes', this.loaderRole, { privileges: ['OPERATE', 'MONITOR'], onSchemaObject: { all: { objectTypePlural: 'PIPES', inSchema: schemaFqn } } });
    grant('analyst-warehouse', this.analystRole, {
      privileges: ['USAGE'],
      onAccountObject: { objectType: 'WAREHOUSE', objectName: props.warehouseName },
    });
    const allViews = props.views.map((v) => v.view);
    for (const plural of ['TABLES', 'VIEWS'] as const) {
      // ALL VIEWS is resolved when the grant is applied: after the views, so that it covers them.
      grant(
        `analyst-${plural.toLowerCase()}`,
        this.analystRole,
        { privileges: ['SELECT'], onSchemaObject: { all: { objectTypePlural: plural, inSchema: schemaFqn } } },
        plural === 'VIEWS' ? allViews : [],
      );
      grant(`analyst-future-${plural.toLowerCase()}`, this.analystRole, {
        privileges: ['SELECT'],
        onSchemaObject: { future: { objectTypePlural: plural, inSchema: schemaFqn } },
      });
    }
    grant('analyst-pipes', this.analystRole, { privileges: ['MONITOR'], onSchemaObject: { all: { objectTypePlural: 'PIPES', inSchema: schemaFqn } } });
    // The planner: each object of the stack with the privilege its read needs (PLANNER_READS), nothing more. USAGE
    // on the warehouse, not MONITOR: the views' reads query table functions, which need a running warehouse.
    const planner = this.plannerRole;
    props.integrationNames.forEach((name, i) =>
      grant(`planner-integration-${i}`, planner, {
        privileges: [readPrivilege('snowflake_storage_integration')],
        onAccountObject: { objectType: 'INTEGRATION', objectName: name },
      }),
    );
    grant('planner-warehouse', planner, {
      privileges: [readPrivilege('snowflake_warehouse')],
      onAccountObject: { objectType: 'WAREHOUSE', objectName: props.warehouseName },
    });
    // The processed stage is external (it has a url): USAGE, as PLANNER_READS says for external stages.
    grant('planner-stage', planner, { privileges: ['USAGE'], onSchemaObject: { objectType: 'STAGE', objectName: `${schemaFqn}.${props.stageName}` } });
    grant('planner-file-format', planner, {
      privileges: [readPrivilege('snowflake_file_format')],
      onSchemaObject: { objectType: 'FILE FORMAT', objectName: `${schemaFqn}.${props.fileFormatName}` },
    });
    for (const [plural, type] of [['TABLES', 'snowflake_table'], ['VIEWS', 'snowflake_view'], ['PIPES', 'snowflake_pipe']] as const) {
      const privileges = [readPrivilege(type)];
      const id = plural.toLowerCase();
      grant(`planner-${id}`, planner, { privileges, onSchemaObject: { all: { objectTypePlural: plural, inSchema: schemaFqn } } }, plural === 'VIEWS' ? allViews : []);
      grant(`planner-future-${id}`, planner, { privileges, onSchemaObject: { future: { objectTypePlural: plural, inSchema: schemaFqn } } });
    }

    // One grant per view as well: it names each view in the plan, and Terraform restores it if it is revoked.
    for (const { definition, view } of props.views) {
      grant(
        `analyst-view-${definition.name}`,
        this.analystRole,
        { privileges: ['SELECT'], onSchemaObject: { objectType: 'VIEW', objectName: `${schemaFqn}.${snowflakeName(definition.name)}` } },
        [view],
      );
    }
  }

  /**
   * Lets the planner read what is created after this construct (PLANNER_READS): READ on the dashboard's internal
   * stage and USAGE on the app (its grant after the app's ownership moved to the analyst role), MONITOR on the alerts.
   */
  plannerMayReadLaterObjects(later: { dashboard: { stage: Stage; appName: string; ownership: ITerraformDependable }; alerts: Alert[] }): void {
    const { stage } = later.dashboard;
    const reads: Array<readonly [string, string, string, string | null | undefined, ITerraformDependable]> = [
      ['dashboard-stage', 'STAGE', `${stage.database}.${stage.schema}.${stage.name}`, plannerPrivilegeFor('snowflake_stage', {}), stage],
      ['dashboard-app', 'STREAMLIT', later.dashboard.appName, readPrivilege('snowflake_streamlit'), later.dashboard.ownership],
      ...later.alerts.map(
        (alert, i) => [`alert-${i}`, 'ALERT', `${alert.database}.${alert.schema}.${alert.name}`, readPrivilege('snowflake_alert'), alert] as const,
      ),
    ];
    for (const [grantId, objectType, objectName, privilege, after] of reads) {
      new GrantPrivilegesToAccountRole(this, `planner-${grantId}`, {
        accountRoleName: this.plannerRole.name,
        privileges: [privilege!],
        onSchemaObject: { objectType, objectName },
        dependsOn: [...this.dependsOn, after],
      });
    }
  }
}
