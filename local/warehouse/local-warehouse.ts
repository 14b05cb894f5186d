/**
 * The embedded local warehouse: a DuckDB file with the same tables, views and analysis SQL as Snowflake (the views'
 * Snowflake SQL runs through snowflake-on-duckdb.ts: macros for the functions DuckDB lacks, two respellings).
 *
 * Loading follows Snowpipe's rules: every processed Parquet file is loaded once, identified by its path and
 * checksum (Snowpipe uses the name and ETag); a file seen before is skipped and reported, a rewritten file (new
 * checksum) loads again, and a file that fails is recorded with its error (Snowpipe's ON_ERROR = SKIP_FILE) and
 * not retried until it changes. Rows carry source_file and loaded_at like the pipes' INCLUDE_METADATA (source_file
 * is the path below processed/, as METADATA$FILENAME; the ledger and the load report name bucket keys). Every
 * attempt's files load (the commit records too); the views read only the latest committed attempt of each run id.
 *
 * The session runs in UTC (instants are UTC in every layer) and sorts NULLs as Snowflake does (last ascending,
 * first descending), whatever the machine's settings.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DuckDBConnection, DuckDBInstance, DuckDBTypeId, type DuckDBResultReader, type DuckDBTimestampTZValue } from '@duckdb/node-api';
import { TABLES, duckdbType, loadedColumns, LOAD_METADATA_COLUMNS, type TableSpec } from '../../schemas/table-schemas';
import { analysisSql, COMMITTED_ATTEMPTS_VIEW, listAnalysisFiles, viewDefinitions, type AnalysisInfo } from '../../warehouse/snowflake-sql';
import type { QueryResult, TableStatus } from '../../warehouse/results';
import { checkScope, runCheckStatements, type CheckResult } from '../../warehouse/checks';
import { SNOWFLAKE_FUNCTION_MACROS, duckdbSpelling } from './snowflake-on-duckdb';

export type { AnalysisInfo } from '../../warehouse/snowflake-sql';
export type { QueryResult, TableStatus } from '../../warehouse/results';
export { CURRENT_VIEWS, type CheckResult } from '../../warehouse/checks';

export interface LoadReport {
  loaded: Array<{ table: string; file: string; rows: number }>;
  skipped: Array<{ table: string; file: string; reason: string }>;
}


/** The load ledger: Snowpipe's load metadata, kept in the warehouse itself. */
export const LEDGER_TABLE = 'load_history';

/** processed/<table>/ + this: the layout the Glue job writes (one folder per transform attempt). */
const PROCESSED_FILE = /^extract_date=(\d{4}-\d{2}-\d{2})\/run_id=([^/]+)\/attempt_id=([^/]+)\/[^/]+\.parquet$/;
/** The layout before transform attempts existed: its files carry no attempt_id and no commit makes them visible. */
const PRE_ATTEMPT_FILE = /^extract_date=(\d{4}-\d{2}-\d{2})\/run_id=([^/]+)\/[^/]+\.parquet$/;

/** Settings of every session: UTC, and Snowflake's NULL order (NULLS LAST ascending, NULLS FIRST descending). */
export const SESSION_SETTINGS = ["SET TimeZone = 'UTC'", "SET default_null_order = 'nulls_last_on_asc_first_on_desc'"];

/** How often, and after what wait, opening a file another process holds is tried again. */
export interface LockRetry {
  attempts: number;
  /** Waits before the next attempt (`attempt` = the one that just failed, from 1). */
  wait(attempt: number): Promise<void>;
}

/** About 10 s in all: a dashboard query holds the file for milliseconds, another run or load for much longer. */
export const DEFAULT_LOCK_RETRY: LockRetry = {
  attempts: 20,
  wait: (attempt) => new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000))),
};

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

export class LocalWarehouse {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly file: string,
  ) {}

  /**
   * Opens (or creates) the warehouse file; creates missing tables, columns and the ledger, and (re)creates the views.
   * A file locked by another process (the dashboard reads it for a few milliseconds per query) is tried again.
   */
  static async open(file: string, lockRetry: LockRetry = DEFAULT_LOCK_RETRY): Promise<LocalWarehouse> {
    const path = file === ':memory:' ? file : resolve(file);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let instance: DuckDBInstance | undefined;
    for (let attempt = 1; !instance; attempt++) {
      try {
        instance = await DuckDBInstance.create(path);
      } catch (error) {
        const locked = /lock/i.test((error as Error).message);
        if (locked && attempt < lockRetry.attempts) {
          await lockRetry.wait(attempt);
          continue;
        }
        throw new Error(
          `Cannot open the local warehouse ${path}${locked ? ` (still locked after ${attempt} attempts)` : ''}: ${(error as Error).message}. ` +
            'Another process may hold it (DuckDB allows one writer): close it, or point local.warehouseFile elsewhere.',
        );
      }
    }
    const connection = await instance.connect();
    for (const setting of SESSION_SETTINGS) await connection.run(setting);
    const warehouse = new LocalWarehouse(instance, connection, path);
    await warehouse.createSchema();
    return warehouse;
  }

  private async createSchema(): Promise<void> {
    for (const spec of TABLES) {
      const columns = loadedColumns(spec);
      const definitions = columns.map(
        (c) => `${quote(c.name)} ${duckdbType(c.type)}${c.nullable ? '' : ' NOT NULL'}`,
      );
      await this.connection.run(`CREATE TABLE IF NOT EXISTS ${quote(spec.name)} (${definitions.join(', ')})`);
      // A column added to tables.json after the file was created: add it (nullable, as old rows lack it).
      const existing = new Set(
        (await this.rows(`SELECT column_name FROM information_schema.columns WHERE table_name = $1`, [spec.name])).map(
          (r) => String(r[0]).toLowerCase(),
        ),
      );
      for (const column of columns) {
        if (!existing.has(column.name)) {
          await this.connection.run(`ALTER TABLE ${quote(spec.name)} ADD COLUMN ${quote(column.name)} ${duckdbType(column.type)}`);
        }
      }
    }
    await this.connection.run(`CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
      file VARCHAR NOT NULL,
      checksum VARCHAR NOT NULL,
      table_name VARCHAR NOT NULL,
      bytes BIGINT NOT NULL,
      row_count BIGINT NOT NULL,
      status VARCHAR NOT NULL,
      error VARCHAR,
      run_id VARCHAR,
      extract_date DATE,
      loaded_at TIMESTAMP NOT NULL,
      attempt_id VARCHAR,
      PRIMARY KEY (file, checksum)
    )`);
    await this.connection.run(`ALTER TABLE ${LEDGER_TABLE} ADD COLUMN IF NOT EXISTS attempt_id VARCHAR`);
    for (const macro of SNOWFLAKE_FUNCTION_MACROS) await this.connection.run(macro);
    for (const view of viewDefinitions()) {
      try {
        await this.connection.run(duckdbSpelling(view.createStatement));
      } catch (error) {
        throw new Error(`View ${view.name} (${view.file}) does not run on DuckDB: ${(error as Error).message}`);
      }
    }
  }

  /** Loads every processed file not loaded before, table by table; reports what it loaded and what it skipped. */
  async loadProcessed(bucketDir: string): Promise<LoadReport> {
    const root = resolve(bucketDir);
    const processed = join(root, 'processed');
    const report: LoadReport = { loaded: [], skipped: [] };
    if (!existsSync(processed)) {
      throw new Error(
        `No processed/ folder in ${root}. Run the transform first (it writes processed/<table>/...), or check local.bucketDir.`,
      );
    }
    const known = new Map(TABLES.map((t) => [t.name, t]));
    for (const entry of readdirSync(processed, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory()) continue;
      const tableDir = join(processed, entry.name);
      const spec = known.get(entry.name);
      if (!spec) {
        for (const file of walk(tableDir)) {
          report.skipped.push({ table: entry.name, file: toKey(root, file), reason: `no table "${entry.name}" in schemas/tables.json` });
        }
        continue;
      }
      for (const file of walk(tableDir)) {
        const key = toKey(root, file);
        const inTable = relative(tableDir, file).split(sep).join('/');
        if (!file.endsWith('.parquet')) continue; // not data
        const match = PROCESSED_FILE.exec(inTable);
        if (!match) {
          const old = PRE_ATTEMPT_FILE.exec(inTable);
          report.skipped.push({
            table: spec.name,
            file: key,
            reason: old
              ? `written before transform attempts (no attempt_id=... folder), so no commit record can make it visible; ` +
                `transform run ${old[2]} again (\`pipeline transform --run-id ${old[2]}\`)`
              : 'not in the processed layout processed/<table>/extract_date=YYYY-MM-DD/run_id=<id>/attempt_id=<id>/<file>.parquet',
          });
          continue;
        }
        // What Snowpipe's METADATA$FILENAME gives: the path after the stage's URL (s3://<bucket>/processed/).
        const stagePath = `${spec.name}/${inTable}`;
        const outcome = await this.loadFile(spec, file, key, stagePath, match[1], match[2], match[3]);
        if ('rows' in outcome) report.loaded.push({ table: spec.name, file: key, rows: outcome.rows });
        else report.skipped.push({ table: spec.name, file: key, reason: outcome.reason });
      }
    }
    return report;
  }

  private async loadFile(
    spec: TableSpec,
    path: string,
    key: string,
    stagePath: string,
    extractDate: string,
    runId: string,
    attemptId: string,
  ): Promise<{ rows: number } | { reason: string }> {
    const checksum = await sha256File(path);
    const bytes = statSync(path).size;
    const seen = await this.rows(
      `SELECT status, error, CAST(loaded_at AS VARCHAR) FROM ${LEDGER_TABLE} WHERE file = $1 AND checksum = $2`,
      [key, checksum],
    );
    if (seen.length > 0) {
      const [status, error, at] = seen[0] as [string, string | null, string];
      return status === 'LOADED'
        ? { reason: `already loaded at ${at} (same path and checksum)` }
        : { reason: `failed at ${at} and is not retried until the file changes: ${error}` };
    }
    const loadedAt = new Date();
    const loadedAtSql = loadedAt.toISOString().replace('T', ' ').replace('Z', '');
    try {
      const fileColumns = new Set(
        (await this.rows(`DESCRIBE SELECT * FROM read_parquet($1, hive_partitioning = false)`, [path])).map((r) =>
          String(r[0]).toLowerCase(),
        ),
      );
      const missingRequired = spec.columns.filter((c) => !c.nullable && !fileColumns.has(c.name)).map((c) => c.name);
      if (missingRequired.length > 0) {
        throw new Error(`missing required column(s) ${missingRequired.join(', ')} (schemas/tables.json)`);
      }
      const metadata = new Set(LOAD_METADATA_COLUMNS.map((c) => c.name));
      const columns = loadedColumns(spec).filter((c) => !metadata.has(c.name));
      // Match by name, case-insensitively (MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE); absent nullable columns load as NULL.
      const select = columns.map((c) =>
        fileColumns.has(c.name) ? `CAST(${quote(c.name)} AS ${duckdbType(c.type)})` : `CAST(NULL AS ${duckdbType(c.type)})`,
      );
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const result = await this.connection.run(
          `INSERT INTO ${quote(spec.name)} (${[...columns.map((c) => quote(c.name)), 'source_file', 'loaded_at'].join(', ')})
           SELECT ${select.join(', ')}, $1, CAST($2 AS TIMESTAMP) FROM read_parquet($3, hive_partitioning = false)`,
          [stagePath, loadedAtSql, path],
        );
        const rows = result.rowsChanged;
        await this.record(key, checksum, spec.name, bytes, rows, 'LOADED', null, runId, extractDate, loadedAtSql, attemptId);
        await this.connection.run('COMMIT');
        return { rows };
      } catch (error) {
        await this.connection.run('ROLLBACK');
        throw error;
      }
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      await this.record(key, checksum, spec.name, bytes, 0, 'LOAD_FAILED', message, runId, extractDate, loadedAtSql, attemptId);
      return { reason: `load failed: ${message}` };
    }
  }

  private async record(
    file: string,
    checksum: string,
    table: string,
    bytes: number,
    rows: number,
    status: 'LOADED' | 'LOAD_FAILED',
    error: string | null,
    runId: string,
    extractDate: string,
    loadedAt: string,
    attemptId: string,
  ): Promise<void> {
    await this.connection.run(
      `INSERT INTO ${LEDGER_TABLE} (file, checksum, table_name, bytes, row_count, status, error, run_id, extract_date, loaded_at, attempt_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CAST($9 AS DATE), CAST($10 AS TIMESTAMP), $11)`,
      [file, checksum, table, bytes, rows, status, error, runId, extractDate, loadedAt, attemptId],
    );
  }

  /**
   * Data quality after a load, for one run (runId) or every run: the checks of snowflake-sql/checks/ (warehouse/checks.ts),
   * the same SQL Snowflake runs, here through snowflake-on-duckdb.ts. With runId, `visible_attempt` too (and that it is
   * `attemptId` when given: the one just transformed).
   */
  async runChecks(opts: { runId?: string; attemptId?: string } = {}): Promise<CheckResult[]> {
    return runCheckStatements(checkScope(opts), (sql) => this.query(duckdbSpelling(sql)));
  }

  /** The visible attempt of each run id (committed_attempts), newest run first. */
  async visibleAttempts(): Promise<Array<{ runId: string; attemptId: string; extractDate: string; committedAt: string }>> {
    const rows = await this.rows(
      `SELECT run_id, attempt_id, extract_date, committed_at FROM ${COMMITTED_ATTEMPTS_VIEW} ORDER BY extract_date DESC, run_id DESC`,
    );
    return rows.map(([runId, attemptId, extractDate, committedAt]) => ({
      runId: String(runId),
      attemptId: String(attemptId),
      extractDate: String(extractDate),
      committedAt: String(committedAt),
    }));
  }

  listAnalyses(): AnalysisInfo[] {
    return listAnalysisFiles();
  }

  async runAnalysis(name: string, opts: { limit?: number } = {}): Promise<QueryResult> {
    const result = await this.query(analysisSql(name));
    return opts.limit === undefined ? result : { columns: result.columns, rows: result.rows.slice(0, opts.limit) };
  }

  /** Runs any SQL and returns plain values: numbers, strings, booleans, null; dates as YYYY-MM-DD, timestamps as ISO. */
  async query(sql: string, params: unknown[] = []): Promise<QueryResult> {
    const reader = await this.connection.runAndReadAll(sql, params as never);
    return { columns: reader.columnNames(), rows: plainRows(reader) };
  }

  /** As query, plus each column's DuckDB type (e.g. BIGINT, DECIMAL(18,1), TIMESTAMP): what a SQL server must describe. */
  async queryWithTypes(sql: string): Promise<QueryResult & { types: string[] }> {
    const reader = await this.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: plainRows(reader), types: reader.columnTypes().map((t) => t.toString()) };
  }

  async tableStatus(): Promise<TableStatus[]> {
    const out: TableStatus[] = [];
    for (const spec of TABLES) {
      const [[rows, files, last]] = await this.rows(
        `SELECT COUNT(*), COUNT(DISTINCT source_file), MAX(loaded_at) FROM ${quote(spec.name)}`,
      );
      out.push({ table: spec.name, rows: Number(rows), files: Number(files), lastLoadedAt: (last as string | null) ?? null });
    }
    return out;
  }

  /** Files that failed to load, newest first (the local counterpart of COPY_HISTORY's errors). */
  async loadFailures(): Promise<Array<{ table: string; file: string; failedAt: string; error: string }>> {
    const rows = await this.rows(
      `SELECT table_name, file, loaded_at, error FROM ${LEDGER_TABLE} WHERE status <> 'LOADED' ORDER BY loaded_at DESC, file`,
    );
    return rows.map(([table, file, failedAt, error]) => ({
      table: String(table),
      file: String(file),
      failedAt: String(failedAt),
      error: String(error),
    }));
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async rows(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    return (await this.query(sql, params)).rows;
  }
}

/** DuckDB values as plain JSON-friendly values (BIGINT and DECIMAL as numbers, dates and timestamps as strings). */
function plainRows(reader: DuckDBResultReader): unknown[][] {
  const types = reader.columnTypes().map((t) => t.typeId);
  // The JSON form of a TIMESTAMPTZ is printed in the machine's zone, not the session's: read its instant instead.
  const values = types.includes(DuckDBTypeId.TIMESTAMP_TZ) ? reader.getRows() : [];
  return reader.getRowsJson().map((row, r) =>
    row.map((value, i) => {
      if (value === null) return null;
      switch (types[i]) {
        case DuckDBTypeId.TIMESTAMP_TZ:
          return instantToIso(values[r][i] as DuckDBTimestampTZValue);
        case DuckDBTypeId.BIGINT:
        case DuckDBTypeId.HUGEINT:
        case DuckDBTypeId.UBIGINT:
        case DuckDBTypeId.DECIMAL: {
          const n = Number(value);
          return Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n)) ? n : value;
        }
        case DuckDBTypeId.TIMESTAMP:
        case DuckDBTypeId.TIMESTAMP_MS:
        case DuckDBTypeId.TIMESTAMP_S:
          return toIsoTimestamp(String(value));
        default:
          return value;
      }
    }),
  );
}

/** A TIMESTAMPTZ as its UTC instant, '2026-11-25T06:00:00.123Z' (milliseconds, as toIsoTimestamp); infinities as text. */
function instantToIso(value: DuckDBTimestampTZValue): string {
  if (!value.isFinite) return String(value);
  const millis = value.micros >= 0n ? value.micros / 1000n : -((-value.micros + 999n) / 1000n);
  return new Date(Number(millis)).toISOString();
}

/** '2026-11-25 06:00:00.123456' -> '2026-11-25T06:00:00.123Z' (UTC, as every timestamp in the pipeline). */
export function toIsoTimestamp(text: string): string {
  const [date, time = '00:00:00'] = text.split(' ');
  const [hms, fraction = ''] = time.split('.');
  return `${date}T${hms}.${(fraction + '000').slice(0, 3)}Z`;
}

/** Files under dir, in name order; hidden and temporary entries (`.crc`, `_temporary/`, `_SUCCESS`) are not data. */
function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function toKey(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}
