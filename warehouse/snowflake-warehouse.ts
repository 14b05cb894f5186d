/**
 * The deployed warehouse, through snowflake-sdk with key-pair (JWT) authentication: the same analysis SQL as the
 * local warehouse, the same data-quality checks, table status from the loaded tables' own load metadata, pipe status (SYSTEM$PIPE_STATUS) and
 * recent COPY_HISTORY errors.
 */
import { existsSync } from 'node:fs';
import snowflake from 'snowflake-sdk';
import type { PipelineConfig } from '../config/pipeline-config';
import { TABLE_NAMES } from '../schemas/table-schemas';
import { pipeName } from './alerts';
import { checkScope, runCheckStatements, type CheckResult } from './checks';
import type { QueryResult, TableStatus } from './results';
import { analysisSql, listAnalysisFiles, type AnalysisInfo } from './snowflake-sql';

export interface SnowflakeSettings {
  /** <orgname>-<account_name> */
  account: string;
  username: string;
  role: string;
  warehouse: string;
  database: string;
  schema: string;
  /** PEM text of the private key, or ... */
  privateKey?: string;
  /** ... the path of a PEM file. */
  privateKeyPath?: string;
  privateKeyPassphrase?: string;
  /** Overrides https://<account>.snowflakecomputing.com (PrivateLink, or a local protocol stand-in). */
  accessUrl?: string;
}

export interface PipeStatus {
  table: string;
  pipe: string;
  executionState: string;
  pendingFileCount: number | null;
  lastIngestedAt: string | null;
  lastIngestedFile: string | null;
  error: string | null;
}

export interface CopyError {
  table: string;
  file: string;
  status: string;
  lastLoadTime: string | null;
  rowsLoaded: number | null;
  errorCount: number | null;
  firstError: string | null;
}

export { pipeName } from './alerts';

/**
 * Connection settings from the configuration (account, user, role, warehouse, database, schema) and the
 * environment (the private key: SNOWFLAKE_PRIVATE_KEY_PATH or SNOWFLAKE_PRIVATE_KEY; optional
 * SNOWFLAKE_PRIVATE_KEY_PASSPHRASE and SNOWFLAKE_ACCESS_URL).
 */
export function snowflakeSettingsFromConfig(config: PipelineConfig, env: NodeJS.ProcessEnv = process.env): SnowflakeSettings {
  const sf = config.snowflake;
  const missing = [
    !sf.organizationName && 'snowflake.organizationName',
    !sf.accountName && 'snowflake.accountName',
    !sf.user && 'snowflake.user',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(
      `The ${config.environment} configuration has no ${missing.join(', ')}: the Snowflake target needs the account and the key-pair user. ` +
        'Set them in config/environments/<env>.json, or use --target local.',
    );
  }
  const privateKeyPath = env.SNOWFLAKE_PRIVATE_KEY_PATH || undefined;
  const privateKey = env.SNOWFLAKE_PRIVATE_KEY || undefined;
  if (!privateKeyPath && !privateKey) {
    throw new Error(
      'No Snowflake private key: set SNOWFLAKE_PRIVATE_KEY_PATH to the PEM file of the key-pair user ' +
        `${sf.user} (or SNOWFLAKE_PRIVATE_KEY to its PEM text).`,
    );
  }
  if (privateKeyPath && !existsSync(privateKeyPath)) {
    throw new Error(`SNOWFLAKE_PRIVATE_KEY_PATH points to ${privateKeyPath}, which does not exist.`);
  }
  return {
    account: `${sf.organizationName}-${sf.accountName}`,
    username: sf.user!,
    role: sf.role,
    warehouse: sf.warehouse,
    database: sf.database,
    schema: sf.schema,
    privateKey: privateKeyPath ? undefined : privateKey!.replace(/\\n/g, '\n'),
    privateKeyPath,
    privateKeyPassphrase: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE || undefined,
    accessUrl: env.SNOWFLAKE_ACCESS_URL || undefined,
  };
}

let configured = false;

export class SnowflakeWarehouse {
  private constructor(
    private readonly connection: snowflake.Connection,
    readonly settings: SnowflakeSettings,
  ) {}

  static async connect(settings: SnowflakeSettings): Promise<SnowflakeWarehouse> {
    if (!configured) {
      // The SDK logs to a file by default; errors reach the caller as exceptions, so keep it quiet.
      snowflake.configure({ logLevel: 'OFF' });
      configured = true;
    }
    const connection = snowflake.createConnection({
      account: settings.account,
      username: settings.username,
      authenticator: 'SNOWFLAKE_JWT',
      privateKey: settings.privateKey,
      privateKeyPath: settings.privateKeyPath,
      privateKeyPass: settings.privateKeyPassphrase,
      role: settings.role,
      warehouse: settings.warehouse,
      database: settings.database,
      schema: settings.schema,
      accessUrl: settings.accessUrl,
      application: 'spotify-data-pipeline',
    });
    try {
      // connectAsync resolves even when the login is refused; the refusal only reaches its callback.
      await new Promise<void>((resolvePromise, reject) => {
        connection.connectAsync((error) => (error ? reject(error) : resolvePromise())).catch(reject);
      });
    } catch (error) {
      throw new Error(
        `Cannot log in to Snowflake account ${settings.account} as ${settings.username} (role ${settings.role}): ` +
          `${(error as Error).message}. Check the account, the user's RSA_PUBLIC_KEY and the private key.`,
      );
    }
    return new SnowflakeWarehouse(connection, settings);
  }

  listAnalyses(): AnalysisInfo[] {
    return listAnalysisFiles();
  }

  async runAnalysis(name: string, opts: { limit?: number } = {}): Promise<QueryResult> {
    const result = await this.query(analysisSql(name));
    return opts.limit === undefined ? result : { columns: result.columns, rows: result.rows.slice(0, opts.limit) };
  }

  /** The data-quality checks of snowflake-sql/checks/, for one run or every run: the same SQL the local warehouse runs. */
  async runChecks(opts: { runId?: string; attemptId?: string } = {}): Promise<CheckResult[]> {
    return runCheckStatements(checkScope(opts), (sql) => this.query(sql));
  }

  async tableStatus(): Promise<TableStatus[]> {
    const sql = TABLE_NAMES.map(
      (table) =>
        `SELECT '${table}' AS table_name, COUNT(*) AS row_count, COUNT(DISTINCT source_file) AS file_count, MAX(loaded_at) AS last_loaded_at FROM ${table}`,
    ).join('\nUNION ALL\n');
    const { rows } = await this.query(sql);
    const byTable = new Map(rows.map((r) => [String(r[0]), r]));
    return TABLE_NAMES.map((table) => {
      const row = byTable.get(table);
      return {
        table,
        rows: Number(row?.[1] ?? 0),
        files: Number(row?.[2] ?? 0),
        lastLoadedAt: (row?.[3] as string | null | undefined) ?? null,
      };
    });
  }

  async pipeStatus(): Promise<PipeStatus[]> {
    const { database, schema } = this.settings;
    const sql = TABLE_NAMES.map(
      (table) => `SELECT '${table}' AS table_name, SYSTEM$PIPE_STATUS('${database}.${schema}.${pipeName(table)}') AS pipe_status`,
    ).join('\nUNION ALL\n');
    const { rows } = await this.query(sql);
    return rows.map(([table, raw]) => {
      const status = JSON.parse(String(raw)) as Record<string, unknown>;
      const lastIngested = status.lastIngestedTimestamp;
      return {
        table: String(table),
        pipe: `${database}.${schema}.${pipeName(String(table))}`,
        executionState: String(status.executionState ?? 'UNKNOWN'),
        pendingFileCount: typeof status.pendingFileCount === 'number' ? status.pendingFileCount : null,
        lastIngestedAt: typeof lastIngested === 'string' ? lastIngested : null,
        lastIngestedFile: typeof status.lastIngestedFilePath === 'string' ? status.lastIngestedFilePath : null,
        error: typeof status.error === 'string' ? status.error : null,
      };
    });
  }

  /** Files that failed or partly failed to load in the last `hours` (COPY_HISTORY keeps 14 days). */
  async copyErrors(hours = 24 * 7): Promise<CopyError[]> {
    const { database, schema } = this.settings;
    const since = new Date(Date.now() - hours * 3600_000).toISOString();
    const sql = TABLE_NAMES.map(
      (table) =>
        `SELECT '${table}' AS table_name, file_name, status, last_load_time, row_count, error_count, first_error_message
         FROM TABLE(INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => '${database}.${schema}.${table.toUpperCase()}', START_TIME => TO_TIMESTAMP_LTZ('${since}')))
         WHERE error_count > 0 OR status <> 'Loaded'`,
    ).join('\nUNION ALL\n');
    const { rows } = await this.query(`${sql}\nORDER BY last_load_time DESC`);
    return rows.map(([table, file, status, lastLoadTime, rowCount, errorCount, firstError]) => ({
      table: String(table),
      file: String(file),
      status: String(status),
      lastLoadTime: (lastLoadTime as string | null) ?? null,
      rowsLoaded: rowCount === null ? null : Number(rowCount),
      errorCount: errorCount === null ? null : Number(errorCount),
      firstError: (firstError as string | null) ?? null,
    }));
  }

  /** Runs one statement; column names come back lower-case, values as plain numbers, strings and ISO dates. */
  async query(sqlText: string): Promise<QueryResult> {
    return new Promise((resolvePromise, reject) => {
      this.connection.execute({
        sqlText,
        rowMode: 'array',
        complete: (error, statement, rows) => {
          if (error) {
            reject(new Error(`Snowflake query failed: ${error.message}`));
            return;
          }
          const columns = statement.getColumns() ?? [];
          resolvePromise({
            columns: columns.map((c) => c.getName().toLowerCase()),
            rows: ((rows ?? []) as unknown[][]).map((row) =>
              row.map((value, i) => plainValue(value, columns[i]?.getType())),
            ),
          });
        },
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolvePromise) => this.connection.destroy(() => resolvePromise()));
  }
}

function plainValue(value: unknown, type: string | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    const iso = value.toISOString();
    return type === 'date' ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

