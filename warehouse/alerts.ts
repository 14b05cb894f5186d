/**
 * The SQL of the Snowflake alerts the warehouse stack deploys (constructs/warehouse-checks.ts), rendered from
 * snowflake-sql/alerts/ and snowflake-sql/checks/:
 * - the data-quality checks over the runs committed since the alert last ran (the same check files as
 *   `pipeline check`), answering the failed ones;
 * - a pipe that stopped (SYSTEM$PIPE_STATUS): not running, files pending; nothing loaded at all for too long;
 * - no weekly run committed for too long.
 * Each condition answers one row per finding (nothing when all is well); the action (notify.template.sql) sends the
 * rows as one JSON message through the notification integration to the pipeline's alarm topic.
 *
 * Names stay unqualified here, as in every SQL file; the construct qualifies the tables and views it reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RAW_DOCUMENTS } from '../schemas/raw-documents';
import { COMMIT_TABLE } from '../schemas/table-schemas';
import { checkStatements } from './checks';
import { assertIdentifier, renderTemplate, SQL_DIR, statementBody } from './snowflake-sql';

const ALERTS_DIR = join(SQL_DIR, 'alerts');

/**
 * Snowpipe loads a commit's files within minutes; the checks look at runs whose commit record was loaded at least
 * this long before the alert runs, so a run still loading is not reported as missing rows.
 */
export const CHECKS_LOAD_GRACE_MINUTES = 60;

/** On the first run (no earlier successful one), the checks look this far back. */
export const CHECKS_FIRST_LOOKBACK_DAYS = 7;

/** A table's pipe, as the warehouse stack names it (constructs/snowpipe-table.ts: <TABLE>_PIPE). */
export function pipeName(table: string): string {
  return `${table.toUpperCase()}_PIPE`;
}

function render(file: string, values: Record<string, string>): string {
  const path = join(ALERTS_DIR, file);
  return statementBody(renderTemplate(readFileSync(path, 'utf8'), values, path));
}

/** The runs whose commit record was loaded between the alert's last successful run and this one (less the grace). */
export function runsCommittedSinceLastAlert(graceMinutes = CHECKS_LOAD_GRACE_MINUTES): string {
  const since = `COALESCE(SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME(), DATEADD(day, -${CHECKS_FIRST_LOOKBACK_DAYS}, SNOWFLAKE.ALERT.SCHEDULED_TIME()))`;
  return (
    `SELECT DISTINCT run_id FROM ${COMMIT_TABLE.name} ` +
    `WHERE loaded_at >= DATEADD(minute, -${graceMinutes}, ${since}) ` +
    `AND loaded_at < DATEADD(minute, -${graceMinutes}, SNOWFLAKE.ALERT.SCHEDULED_TIME())`
  );
}

/**
 * The checks alert's condition: every check of snowflake-sql/checks over `runsSql` (default: the runs committed since
 * the alert last ran), answering (table_name, check_name, detail, runs_checked) of each failed check.
 */
export function checksCondition(runsSql = runsCommittedSinceLastAlert()): string {
  const statements = checkStatements({ kind: 'query', runsSql, textSql: "'the runs checked'" });
  const union = statements.map((s, i) => `SELECT * FROM (${s.sql}) AS check_${i}`).join('\nUNION ALL\n');
  // The runs checked, on every row (a plain scalar subquery, outside the checks' aggregates).
  const runs = `(SELECT LISTAGG(run_id, ', ') WITHIN GROUP (ORDER BY run_id) FROM (${runsSql}) AS scope_runs)`;
  return `SELECT table_name, check_name, detail, ${runs} AS runs_checked FROM (\n${union}\n) AS checks\nWHERE NOT passed`;
}

/**
 * The pipe alert's condition: a row per pipe not running or with files stuck pending, and one when the commit
 * records' pipe (written by every committed transform attempt: loading's heartbeat) ingested nothing for too long.
 * Other tables may rightly stay idle (a feature switched off, imports now and then).
 */
export function pipeFreshnessCondition(opts: {
  database: string;
  schema: string;
  tables: readonly string[];
  idleHours: number;
  pendingMinutes: number;
}): string {
  assertIdentifier('database', opts.database);
  assertIdentifier('schema', opts.schema);
  const rows = opts.tables
    .map((table) => {
      const pipe = `${opts.database}.${opts.schema}.${pipeName(table)}`;
      return `SELECT '${table}' AS table_name, '${pipe}' AS pipe, PARSE_JSON(SYSTEM$PIPE_STATUS('${pipe}')) AS status`;
    })
    .join('\n    UNION ALL\n    ');
  return render('pipe_freshness.template.sql', {
    pipe_status_rows: rows,
    idle_hours: String(positive('idleHours', opts.idleHours)),
    heartbeat_table: COMMIT_TABLE.name,
    pending_minutes: String(positive('pendingMinutes', opts.pendingMinutes)),
  });
}

/**
 * The weekly-run alert's condition: a row when no weekly run was committed and loaded within `hours` of `nowSql`
 * (Snowflake: the current time in UTC, as committed_at is a UTC wall-clock time).
 */
export function weeklyCommitCondition(hours: number, nowSql = "CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ"): string {
  return render('weekly_commit.template.sql', {
    weekly_commit_hours: String(positive('hours', hours)),
    plays_run_pattern: RAW_DOCUMENTS.run_id.plays_pattern.replace(/'/g, "''"),
    now: nowSql,
  });
}

/** The action of an alert: its condition's rows as one JSON message through the integration (to the alarm topic). */
export function notifyAction(opts: { alert: string; database: string; schema: string; summary: string; integration: string }): string {
  for (const [what, value] of Object.entries({ alert: opts.alert, database: opts.database, schema: opts.schema })) assertIdentifier(what, value);
  // The integration may be a Terraform reference (the stack's integration, resolved at deploy) or a plain name.
  if (!/^\$\{[^'"]+\}$/.test(opts.integration)) assertIdentifier('integration', opts.integration);
  if (/['$\\]/.test(opts.summary)) throw new Error(`An alert's summary is written into SQL as it is: no quote, $ or backslash ("${opts.summary}").`);
  return render('notify.template.sql', opts);
}

function positive(what: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${what} must be a whole number above 0 (got ${value})`);
  return value;
}
