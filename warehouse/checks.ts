/**
 * The data-quality checks, one SQL file per check kind in snowflake-sql/checks/, rendered for both warehouses: the
 * local warehouse runs them on DuckDB (`pipeline check`, the local run's check stage), `pipeline check --target
 * snowflake` and the warehouse stack's alert (constructs/warehouse-checks.ts) run them in Snowflake, and the fakesnow
 * suite runs them as Snowflake SQL on the same files as DuckDB.
 *
 * Each file starts with `-- Guards: ...` (what it protects) and `-- Per: ...` (what it is rendered for):
 * - `run`: once, over the runs in scope (only when the scope names runs: one run, or the alert's window);
 * - `data table`: once per data table of schemas/tables.json (so a table added there is checked without new SQL);
 * - `current view`: once per view of CURRENT_VIEWS (one row per entity key);
 * - `warehouse`: once.
 * Every rendered statement answers rows of (table_name, check_name, passed, detail): one per check, or none when
 * there is nothing to check (row_count of a table no commit in scope lists).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMIT_TABLE, DATA_TABLES, type TableSpec } from '../schemas/table-schemas';
import { renderTemplate, SQL_DIR, statementBody } from './snowflake-sql';

export interface CheckResult {
  /** The table or view checked. */
  table: string;
  /** The check's name: its file's name in snowflake-sql/checks/. */
  check: string;
  passed: boolean;
  /** What was found; on a failure, how many and an example. */
  detail: string;
}

/** Per dimension-like table, the view that must hold one row per entity key (the `current view` checks). */
export const CURRENT_VIEWS: Record<string, string> = {
  playlist_snapshots: 'current_playlists',
  tracks: 'current_tracks',
  albums: 'current_albums',
  artists: 'current_artists',
};

export const CHECKS_DIR = join(SQL_DIR, 'checks');

/** The columns every check statement answers, in order. */
export const CHECK_COLUMNS = ['table_name', 'check_name', 'passed', 'detail'] as const;

/**
 * Which runs the checks look at:
 * - `all`: every run with a commit record (no visible_attempt check: it is about named runs);
 * - `run`: one run, and with `attemptId` the attempt it must show (the one just transformed);
 * - `query`: the runs a SQL query answers (a single run_id column), described by `text`, a SQL string expression
 *   (the Snowflake alert: the runs committed since its last check).
 */
export type CheckScope =
  | { kind: 'all' }
  | { kind: 'run'; runId: string; attemptId?: string }
  | { kind: 'query'; runsSql: string; textSql: string };

export interface CheckStatement {
  check: string;
  /** The table or view it is rendered for, if any. */
  subject: string | null;
  file: string;
  /** The SELECT, without comments or semicolon. */
  sql: string;
}

type Per = 'run' | 'data table' | 'current view' | 'warehouse';

interface CheckFile {
  check: string;
  file: string;
  guards: string;
  per: Per;
  template: string;
}

const ORDER: Per[] = ['run', 'data table', 'current view', 'warehouse'];
/** Within a data table, the order the report lists them in (the current view's checks follow its table's). */
const TABLE_CHECK_ORDER = ['row_count', 'key_unique', 'key_not_null', 'entity_key_unique', 'entity_key_not_null'];

/** The check files of snowflake-sql/checks/, each with its `-- Guards:` and `-- Per:` lines; a file without them is refused. */
export function listCheckFiles(dir = CHECKS_DIR): CheckFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      const template = readFileSync(file, 'utf8');
      const [first = '', second = ''] = template.split('\n', 2);
      const guards = /^--\s*Guards:\s*(.+?)\s*$/.exec(first)?.[1];
      const per = /^--\s*Per:\s*(.+?)\s*$/.exec(second)?.[1] as Per | undefined;
      if (!guards) throw new Error(`${file} must start with a "-- Guards: ..." line saying what the check protects.`);
      if (!per || !ORDER.includes(per)) {
        throw new Error(`${file}: its second line must be "-- Per: ${ORDER.join('|')}" (what the check is rendered for).`);
      }
      return { check: name.slice(0, -'.sql'.length), file, guards, per, template };
    });
}

/** A SQL string literal. */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `(a, b)` of a key's values as text, NULL written out: the example a failed uniqueness check names. */
function keyText(columns: string[]): string {
  const parts = columns.map((c) => `COALESCE(CAST(t.${c} AS VARCHAR), 'NULL')`);
  return `'(' || ${parts.join(" || ', ' || ")} || ')'`;
}

function scopeValues(scope: CheckScope): { runs_in_scope: string; scope_text: string; expected_attempt: string } {
  switch (scope.kind) {
    case 'all':
      return { runs_in_scope: `SELECT DISTINCT run_id FROM ${COMMIT_TABLE.name}`, scope_text: "'all runs'", expected_attempt: 'CAST(NULL AS VARCHAR)' };
    case 'run':
      return {
        runs_in_scope: `SELECT ${sqlLiteral(scope.runId)} AS run_id`,
        scope_text: sqlLiteral(`run ${scope.runId}`),
        expected_attempt: scope.attemptId ? sqlLiteral(scope.attemptId) : 'CAST(NULL AS VARCHAR)',
      };
    case 'query':
      return { runs_in_scope: scope.runsSql, scope_text: scope.textSql, expected_attempt: 'CAST(NULL AS VARCHAR)' };
  }
}

function tableValues(spec: TableSpec): Record<string, string> {
  // A key column tables.json declares nullable may be null (user_top_items.spotify_user_id in runs from before
  // listeners); the others may not.
  const required = spec.key.filter((k) => !spec.columns.find((c) => c.name === k)?.nullable);
  return {
    table: spec.name,
    key_columns: spec.key.map((k) => `t.${k}`).join(', '),
    key_names: spec.key.join(', '),
    key_text: keyText(spec.key),
    required_names: required.join(', '),
    null_condition: required.length > 0 ? required.map((k) => `t.${k} IS NULL`).join(' OR ') : 'FALSE',
  };
}

function viewValues(view: string, entityKey: string[]): Record<string, string> {
  return {
    view,
    entity_columns: entityKey.map((k) => `t.${k}`).join(', '),
    entity_names: entityKey.join(', '),
    entity_text: keyText(entityKey),
    entity_null_condition: entityKey.map((k) => `t.${k} IS NULL`).join(' OR '),
  };
}

/**
 * Every check statement for a scope, in the order the report lists them: the run checks, then per data table its
 * row_count, key_unique, key_not_null and its current view's checks, then the warehouse-wide ones.
 */
export function checkStatements(scope: CheckScope, dir = CHECKS_DIR): CheckStatement[] {
  const files = listCheckFiles(dir);
  const common = { ...scopeValues(scope), commit_table: COMMIT_TABLE.name };
  const render = (f: CheckFile, subject: string | null, values: Record<string, string>): CheckStatement => ({
    check: f.check,
    subject,
    file: f.file,
    sql: statementBody(renderTemplate(f.template, { ...common, ...values }, f.file)),
  });
  const of = (per: Per) => files.filter((f) => f.per === per);
  const byRank = (a: CheckFile, b: CheckFile) => rank(a.check) - rank(b.check);
  const tableChecks = of('data table').sort(byRank);
  const viewChecks = of('current view').sort(byRank);
  const out: CheckStatement[] = [];
  if (scope.kind !== 'all') out.push(...of('run').map((f) => render(f, null, {})));
  for (const spec of DATA_TABLES) {
    out.push(...tableChecks.map((f) => render(f, spec.name, tableValues(spec))));
    const view = CURRENT_VIEWS[spec.name];
    if (view && spec.entityKey) out.push(...viewChecks.map((f) => render(f, view, viewValues(view, spec.entityKey!))));
  }
  out.push(...of('warehouse').map((f) => render(f, null, {})));
  return out;
}

function rank(check: string): number {
  const at = TABLE_CHECK_ORDER.indexOf(check);
  return at === -1 ? TABLE_CHECK_ORDER.length : at;
}

/** The rows a check statement answered, as results; a row of another shape is an error naming the file. */
export function checkResults(statement: CheckStatement, columns: string[], rows: unknown[][]): CheckResult[] {
  const lower = columns.map((c) => c.toLowerCase());
  if (lower.join() !== CHECK_COLUMNS.join()) {
    throw new Error(`${statement.file} answers (${lower.join(', ')}); a check answers (${CHECK_COLUMNS.join(', ')}).`);
  }
  return rows.map(([table, check, passed, detail]) => ({
    table: String(table),
    check: String(check),
    passed: passed === true || passed === 'true' || passed === 1,
    detail: detail === null ? '' : String(detail),
  }));
}

/**
 * Every check statement of a scope as one query (a round trip to Snowflake, one plan on DuckDB), in the report's
 * order: statement by statement, and by detail within a statement that answers several rows (visible_attempt: by run).
 */
export function checksQuery(statements: CheckStatement[]): string {
  return (
    statements.map((s, i) => `SELECT ${i} AS check_order, * FROM (${s.sql}) AS check_${i}`).join('\nUNION ALL\n') +
    '\nORDER BY check_order, detail'
  );
}

/**
 * Runs every check statement of a scope through `query` (either warehouse's) as one query; when that fails, runs them
 * one by one so that the error names the check and its file.
 */
export async function runCheckStatements(
  scope: CheckScope,
  query: (sql: string) => Promise<{ columns: string[]; rows: unknown[][] }>,
): Promise<CheckResult[]> {
  const statements = checkStatements(scope);
  let answer: { columns: string[]; rows: unknown[][] };
  try {
    answer = await query(checksQuery(statements));
  } catch (error) {
    for (const statement of statements) {
      try {
        await query(statement.sql);
      } catch (own) {
        throw new Error(`The check ${statement.check}${statement.subject ? ` of ${statement.subject}` : ''} (${statement.file}) failed to run: ${(own as Error).message}`);
      }
    }
    throw error;
  }
  const [order, ...columns] = answer.columns;
  if (order.toLowerCase() !== 'check_order') throw new Error(`The checks' query answered (${answer.columns.join(', ')}), not check_order first.`);
  return answer.rows.flatMap((row) => checkResults(statements[Number(row[0])], columns, [row.slice(1)]));
}

/** The scope of runChecks' options (the local and Snowflake warehouses take the same). */
export function checkScope(opts: { runId?: string; attemptId?: string }): CheckScope {
  if (opts.attemptId && !opts.runId) throw new Error('runChecks: attemptId is an attempt of one run; pass runId with it.');
  return opts.runId ? { kind: 'run', runId: opts.runId, attemptId: opts.attemptId } : { kind: 'all' };
}
