/**
 * What Snowflake tells the pipeline's alarm topic on its own, a Snowflake alert each (SQL of warehouse/alerts.ts):
 * - DATA_QUALITY_CHECKS: the checks of snowflake-sql/checks (the same files as `pipeline check`) over the runs
 *   committed since the alert last ran; a failed check is reported with its name, its table and the runs;
 * - PIPE_FRESHNESS: a pipe not running or with files stuck pending, or loading silent longer than a week allows;
 * - WEEKLY_COMMIT_FRESHNESS: no weekly run committed and loaded within the configured hours.
 * A condition that answers rows fires the action, which sends them as one JSON message through the notification
 * integration to the alarm topic (SYSTEM$SEND_SNOWFLAKE_NOTIFICATION). Missing data is an alarm: a commit pipe that never
 * ingested and a warehouse without any weekly commit both answer a row.
 *
 * snowflakedb/snowflake 2.11 facts behind the settings:
 * - snowflake_alert is a preview resource (`snowflake_alert_resource` in the provider's preview_features_enabled).
 * - `alert_schedule` takes `interval` (minutes) or `cron { expression, time_zone }`; `warehouse` is required.
 * - The alert's owner needs EXECUTE ALERT on the account, and the SNOWFLAKE database role ALERT_VIEWER for
 *   GET_CONDITION_QUERY_UUID in the action, and USAGE on the integration (docs/warehouse.md, "Alerts").
 * One daily schedule for all three: each run resumes the warehouse (billed a minute at least), so they share it.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Alert } from '@cdktf/provider-snowflake/lib/alert';
import type { PipelineConfig } from '../config/pipeline-config';
import { checksCondition, notifyAction, pipeFreshnessCondition, weeklyCommitCondition } from '../warehouse/alerts';
import { viewDefinitions } from '../warehouse/snowflake-sql';
import { qualifyViewStatement } from './snowflake-view';

export interface WarehouseChecksProps {
  /** Database of the tables, views and alerts. Required. */
  database: string;
  /** Schema of the tables, views and alerts. Required. */
  schema: string;
  /** The warehouse the alerts' conditions run on. Required. */
  warehouse: string;
  /** The loaded tables (schemas/tables.json names); each has a pipe <TABLE>_PIPE. Required. */
  tables: readonly string[];
  /** Name of the outbound notification integration to the pipeline's alarm topic (SNS). Required. */
  integrationName: string;
  /**
   * When the alerts run and what is too long (config `freshness`): snowflakeAlertCron (UTC), weeklyCommitHours,
   * pipeIdleHours, pipePendingMinutes. Required.
   */
  freshness: Pick<PipelineConfig['freshness'], 'snowflakeAlertCron' | 'weeklyCommitHours' | 'pipeIdleHours' | 'pipePendingMinutes'>;
  /** What the alerts need first: the tables and views they read, the warehouse, the integration. Required. */
  dependsOn: ITerraformDependable[];
}

/** The alerts' names, in the schema. */
export const WAREHOUSE_ALERTS = {
  checks: 'DATA_QUALITY_CHECKS',
  pipes: 'PIPE_FRESHNESS',
  weeklyCommit: 'WEEKLY_COMMIT_FRESHNESS',
} as const;

export class WarehouseChecks extends Construct {
  readonly checks: Alert;
  readonly pipes: Alert;
  readonly weeklyCommit: Alert;

  constructor(scope: Construct, id: string, props: WarehouseChecksProps) {
    super(scope, id);
    const { snowflakeAlertCron, weeklyCommitHours, pipeIdleHours, pipePendingMinutes } = props.freshness;
    const views = viewDefinitions().map((v) => v.name);
    // The SQL files stay unqualified (they run on DuckDB too); in an alert every table and view is written in full.
    const qualify = (name: string, sql: string) => {
      const withoutLiterals = sql.replace(/'(?:[^']|'')*'/g, "''");
      const dependsOn = views.filter((v) => new RegExp(`\\b${v}\\b`, 'i').test(withoutLiterals));
      return qualifyViewStatement({ name, file: `the alert ${name}`, select: sql, dependsOn }, props, { tables: props.tables, views }).statement;
    };
    const alert = (key: keyof typeof WAREHOUSE_ALERTS, condition: string, summary: string) => {
      const name = WAREHOUSE_ALERTS[key];
      return new Alert(this, key, {
        database: props.database,
        schema: props.schema,
        name,
        warehouse: props.warehouse,
        alertSchedule: { cron: { expression: snowflakeAlertCron, timeZone: 'UTC' } },
        condition,
        action: notifyAction({ alert: name, database: props.database, schema: props.schema, summary, integration: props.integrationName }),
        enabled: true,
        comment: `${summary}; to the alarm topic through ${props.integrationName}.`,
        dependsOn: props.dependsOn,
      });
    };
    this.checks = alert('checks', qualify(WAREHOUSE_ALERTS.checks, checksCondition()), 'Data-quality checks failed for runs committed since the last check');
    this.pipes = alert(
      'pipes',
      pipeFreshnessCondition({ ...props, idleHours: pipeIdleHours, pendingMinutes: pipePendingMinutes }),
      `A pipe stopped: not running, files pending over ${pipePendingMinutes} minutes, or nothing ingested for ${pipeIdleHours} hours`,
    );
    this.weeklyCommit = alert(
      'weeklyCommit',
      qualify(WAREHOUSE_ALERTS.weeklyCommit, weeklyCommitCondition(weeklyCommitHours)),
      `No weekly run committed and loaded for ${weeklyCommitHours} hours`,
    );
  }
}
