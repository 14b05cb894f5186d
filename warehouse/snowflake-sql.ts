/**
 * Reads snowflake-sql/: the pipes' COPY statements, the views and the analysis questions. The warehouse stack
 * (Snowflake), the local warehouse (DuckDB) and the fake Snowflake stand-in all take their SQL from here, so
 * there is one copy of every statement.
 *
 * Production code: it lives here, beside nothing but the warehouse's other production TypeScript, because the
 * stack deploys what it renders; local/ (stand-ins) imports it, never the other way round.
 *
 * One file per view and per analysis, for both warehouses: the Snowflake SQL deployed, which the local warehouse
 * runs on DuckDB too (local/warehouse/snowflake-on-duckdb.ts gives DuckDB Snowflake's missing functions as macros).
 * There are no per-dialect twins; a `<name>.duckdb.sql` beside a file is refused.
 *
 * Two kinds of SQL are rendered per table of schemas/tables.json, so that a table added there gets them without
 * new SQL: each table's pipe COPY (pipes/table.copy.template.sql, unless pipes/<table>.copy.sql exists) and the
 * commit views (views/committed_attempts.template.sql, views/committed_table.template.sql -> committed_<table>).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMMIT_TABLE, DATA_TABLES, TABLES, TABLE_NAMES, loadedColumns, snowflakeType, type TableSpec } from '../schemas/table-schemas';

export const SQL_DIR = resolve(__dirname, '..', 'snowflake-sql');

/** Fully qualified Snowflake object names the pipes' COPY statements refer to. */
export interface SnowflakeObjectNames {
  database: string;
  schema: string;
  /** External stage whose URL is s3://<bucket>/processed/. */
  stage: string;
  /** Parquet file format. */
  fileFormat: string;
}

/** Fills `{{name}}` placeholders; a placeholder without a value is an error, never a silent blank. */
export function renderTemplate(sql: string, values: Record<string, string>, source = 'SQL'): string {
  return sql.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) {
      throw new Error(`${source} uses the placeholder {{${key}}} but no value was given for it; pass ${key}.`);
    }
    return value;
  });
}

/** Drops `--` comment lines and the trailing semicolon: the form a CREATE PIPE ... AS or a driver call takes. */
export function statementBody(sql: string): string {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .trim()
    .replace(/;\s*$/, '');
}

export function assertIdentifier(what: string, value: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(value)) {
    throw new Error(`${what} "${value}" is not a plain Snowflake identifier (letters, digits, _ and $).`);
  }
}

/** The file a table's pipe COPY comes from: its own pipes/<table>.copy.sql, else the template every table shares. */
export function copyStatementFile(table: string): string {
  const own = join(SQL_DIR, 'pipes', `${table}.copy.sql`);
  return existsSync(own) ? own : join(SQL_DIR, 'pipes', 'table.copy.template.sql');
}

/**
 * The COPY INTO statement of a table's pipe (copyStatementFile) with its fully qualified names filled in, ready
 * for `CREATE PIPE ... AUTO_INGEST = TRUE AS <this>`.
 */
export function renderCopyStatement(table: string, names: SnowflakeObjectNames): string {
  if (!TABLE_NAMES.includes(table)) {
    throw new Error(`No pipe for table "${table}": known tables are ${TABLE_NAMES.join(', ')} (schemas/tables.json).`);
  }
  assertIdentifier('database', names.database);
  assertIdentifier('schema', names.schema);
  assertIdentifier('stage', names.stage);
  assertIdentifier('fileFormat', names.fileFormat);
  const file = copyStatementFile(table);
  const sql = readFileSync(file, 'utf8');
  return statementBody(
    renderTemplate(
      sql,
      { database: names.database, schema: names.schema, stage: names.stage, file_format: names.fileFormat, table },
      file,
    ),
  );
}

/** roles.sql with its placeholders filled, split into single statements (without comments). */
export function renderRoleStatements(values: {
  database: string;
  schema: string;
  stage: string;
  fileFormat: string;
  warehouse: string;
  loaderRole: string;
  analystRole: string;
}): string[] {
  for (const [key, value] of Object.entries(values)) assertIdentifier(key, value);
  const file = join(SQL_DIR, 'roles.sql');
  const sql = renderTemplate(
    readFileSync(file, 'utf8'),
    {
      database: values.database,
      schema: values.schema,
      stage: values.stage,
      file_format: values.fileFormat,
      warehouse: values.warehouse,
      loader_role: values.loaderRole,
      analyst_role: values.analystRole,
    },
    file,
  );
  return splitStatements(sql);
}

/** Splits a file of statements on semicolons that end a line (none of our statements has one inside a string). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map(statementBody)
    .filter((statement) => statement.length > 0);
}

/** The views or analyses of a folder, by file name (templates are rendered, not listed). */
function sqlNames(dir: string): string[] {
  const files = readdirSync(dir).filter((file) => file.endsWith('.sql') && !file.endsWith('.template.sql'));
  const twin = files.find((file) => /\.(duckdb|snowflake)\.sql$/.test(file));
  if (twin) {
    throw new Error(
      `${join(dir, twin)}: both warehouses read the same file, so there are no per-dialect twins. Write SQL both ` +
        'Snowflake and DuckDB run, or give DuckDB the missing Snowflake function as a macro (local/warehouse/snowflake-on-duckdb.ts).',
    );
  }
  return files.map((file) => file.slice(0, -'.sql'.length)).sort();
}

export interface ViewDefinition {
  name: string;
  file: string;
  /** The whole `CREATE OR REPLACE VIEW <name> AS ...` statement, without comments or semicolon. */
  createStatement: string;
  /** The SELECT after `AS`: what a Terraform snowflake_view `statement` takes. */
  select: string;
  /** Other views this one reads. */
  dependsOn: string[];
}

/** The view every committed_<table> view joins: the visible attempt of each run id. */
export const COMMITTED_ATTEMPTS_VIEW = 'committed_attempts';

/** The view the other views read a loaded table through (only the visible attempt of each run, each key once). */
export function committedView(table: string): string {
  return `committed_${table}`;
}

/** Per committed attempt and table: the rows its commit lists and the rows loaded (what the other two read). */
export const ATTEMPT_LOADS_VIEW = 'attempt_loads';

/**
 * The generated commit views, rendered from schemas/tables.json: attempt_loads, committed_attempts, then
 * committed_<table> for every data table. Plain SQL both warehouses run as it is.
 */
function generatedViews(): Array<{ name: string; file: string; sql: string }> {
  const dir = join(SQL_DIR, 'views');
  const render = (name: string, file: string, values: Record<string, string>) => ({
    name,
    file,
    sql: renderTemplate(readFileSync(file, 'utf8'), values, file),
  });
  const loadedRowCounts = DATA_TABLES.map(
    (t) => `SELECT run_id, attempt_id, '${t.name}' AS table_name, COUNT(*) AS row_count FROM ${t.name} GROUP BY run_id, attempt_id`,
  ).join('\n    UNION ALL\n    ');
  const out = [
    render(ATTEMPT_LOADS_VIEW, join(dir, 'attempt_loads.template.sql'), {
      commit_table: COMMIT_TABLE.name,
      data_table_names: DATA_TABLES.map((t) => `'${t.name}'`).join(', '),
      loaded_row_counts: loadedRowCounts,
    }),
    render(COMMITTED_ATTEMPTS_VIEW, join(dir, 'committed_attempts.template.sql'), {}),
  ];
  const tableFile = join(dir, 'committed_table.template.sql');
  for (const t of DATA_TABLES) {
    out.push(render(committedView(t.name), tableFile, { table: t.name, key_columns: t.key.map((k) => `t.${k}`).join(', ') }));
  }
  return out;
}

/**
 * The views in creation order (each after the views it reads): the generated commit views and those of
 * snowflake-sql/views/. View names are the file names; table and view names inside are unqualified and resolve in
 * the view's own schema.
 */
export function viewDefinitions(): ViewDefinition[] {
  const dir = join(SQL_DIR, 'views');
  const sources = [
    ...generatedViews(),
    ...sqlNames(dir).map((name) => {
      const file = join(dir, `${name}.sql`);
      return { name, file, sql: readFileSync(file, 'utf8') };
    }),
  ];
  const names = sources.map((v) => v.name);
  const views = new Map<string, ViewDefinition>();
  for (const { name, file, sql } of sources) {
    if (views.has(name)) throw new Error(`${file}: a view named ${name} is generated for a table of schemas/tables.json; rename the file.`);
    const createStatement = statementBody(sql);
    const header = new RegExp(`^CREATE OR REPLACE VIEW ${name} AS\\s+`, 'i');
    if (!header.test(createStatement)) {
      throw new Error(`${file} must start with "CREATE OR REPLACE VIEW ${name} AS" (the view is named after its file).`);
    }
    const body = createStatement.replace(header, '');
    const dependsOn = names.filter((other) => other !== name && new RegExp(`\\b${other}\\b`, 'i').test(body));
    views.set(name, { name, file, createStatement, select: body, dependsOn });
  }
  const ordered: ViewDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`Views depend on each other in a cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    const view = views.get(name)!;
    for (const dep of view.dependsOn) visit(dep, [...path, name]);
    state.set(name, 'done');
    ordered.push(view);
  };
  for (const name of names) visit(name, []);
  return ordered;
}

export interface AnalysisInfo {
  name: string;
  /** The first-line `-- Question: ...` of the file. */
  question: string;
  file: string;
}

export function listAnalysisFiles(): AnalysisInfo[] {
  const dir = join(SQL_DIR, 'analysis');
  return sqlNames(dir).map((name) => {
    const file = join(dir, `${name}.sql`);
    const firstLine = readFileSync(file, 'utf8').split('\n', 1)[0];
    const match = /^--\s*Question:\s*(.+?)\s*$/.exec(firstLine);
    if (!match) throw new Error(`${file} must start with a "-- Question: ..." line saying what it answers.`);
    return { name, question: match[1], file };
  });
}

/** The SELECT of an analysis, without comments or semicolon. */
export function analysisSql(name: string): string {
  const analysis = listAnalysisFiles().find((a) => a.name === name);
  if (!analysis) {
    throw new Error(`No analysis "${name}". Available: ${listAnalysisFiles().map((a) => a.name).join(', ')}.`);
  }
  return statementBody(readFileSync(analysis.file, 'utf8'));
}

/**
 * The CREATE TABLE of a loaded table as the warehouse stack makes it (constructs/snowpipe-table.ts): the columns of
 * schemas/tables.json plus the load metadata, upper-case names, Snowflake types, NOT NULL where tables.json says.
 */
export function snowflakeTableDdl(spec: TableSpec, names: { database: string; schema: string }): string {
  assertIdentifier('database', names.database);
  assertIdentifier('schema', names.schema);
  const columns = loadedColumns(spec).map((c) => `${c.name.toUpperCase()} ${snowflakeType(c.type)}${c.nullable ? '' : ' NOT NULL'}`);
  return `CREATE TABLE ${names.database}.${names.schema}.${spec.name.toUpperCase()} (\n  ${columns.join(',\n  ')}\n)`;
}

/** Every statement the warehouse stack deploys from this folder, in order, plus the analyses: for reviews and tests. */
export function snowflakeDeployment(names: SnowflakeObjectNames): {
  tables: Array<{ name: string; sql: string }>;
  pipes: Array<{ table: string; sql: string }>;
  views: Array<{ name: string; sql: string }>;
  analyses: Array<{ name: string; sql: string }>;
} {
  return {
    tables: TABLES.map((spec) => ({ name: spec.name, sql: snowflakeTableDdl(spec, names) })),
    pipes: TABLES.map((spec) => ({ table: spec.name, sql: renderCopyStatement(spec.name, names) })),
    views: viewDefinitions().map((v) => ({ name: v.name, sql: v.createStatement })),
    analyses: listAnalysisFiles().map((a) => ({ name: a.name, sql: analysisSql(a.name) })),
  };
}
