/**
 * A local stand-in for the few Snowflake REST calls snowflake-sdk (Node) makes for the warehouse commands:
 * login-request (key-pair JWT, verified against a registered public key), query-request (answered with JSON
 * rowsets, the only result format the Node SDK reads), session delete and in-band telemetry. SQL runs on a
 * LocalWarehouse (DuckDB) holding the same tables and views; the two Snowflake-only calls the adapter makes,
 * SYSTEM$PIPE_STATUS and INFORMATION_SCHEMA.COPY_HISTORY, are answered from the local load ledger.
 *
 * fakesnow's server (PyPI) answers query-request with Arrow rowsets (rowsetBase64), which snowflake-sdk 3.x for
 * Node does not decode; hence this stand-in.
 */
import { createHash, createPublicKey, randomUUID, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { TABLE_NAMES } from '../../../schemas/table-schemas';
import { LEDGER_TABLE, type LocalWarehouse } from '../../warehouse/local-warehouse';
import { duckdbSpelling } from '../../warehouse/snowflake-on-duckdb';

export interface FakeSnowflakeOptions {
  /** The data served: its tables, views and load ledger. */
  warehouse: LocalWarehouse;
  /** <orgname>-<account_name>, as the client sends it. */
  account: string;
  user: string;
  /** PEM public key registered for the user (ALTER USER ... SET RSA_PUBLIC_KEY). */
  publicKeyPem: string;
  database: string;
  schema: string;
  port?: number;
  /** What SHOW PIPES answers as each pipe's error_integration (the warehouse stack sets one); null: none. */
  pipeErrorIntegration?: string | null;
}

export interface FakeSnowflake {
  /** The accessUrl to give snowflake-sdk. */
  url: string;
  /** Every SQL text received, in order. */
  queries: string[];
  close(): Promise<void>;
}

class SqlError extends Error {
  constructor(
    message: string,
    readonly code = '002003',
    readonly sqlState = '42S02',
  ) {
    super(message);
  }
}

interface Session {
  database: string;
  schema: string;
  warehouse: string | null;
  role: string | null;
}

export async function startFakeSnowflake(options: FakeSnowflakeOptions): Promise<FakeSnowflake> {
  const publicKey = createPublicKey(options.publicKeyPem);
  const fingerprint = `SHA256:${createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64')}`;
  const subject = `${options.account.toUpperCase()}.${options.user.toUpperCase()}`;
  const sessions = new Map<string, Session>();
  const queries: string[] = [];

  const login = (url: URL, body: Record<string, unknown>) => {
    const data = (body.data ?? {}) as Record<string, unknown>;
    if (data.AUTHENTICATOR !== 'SNOWFLAKE_JWT' || typeof data.TOKEN !== 'string') {
      return failure('390100', 'Incorrect username or password was specified.');
    }
    const claims = verifyJwt(data.TOKEN, publicKey);
    if (!claims || claims.sub !== subject || claims.iss !== `${subject}.${fingerprint}`) {
      return failure('390144', 'JWT token is invalid.');
    }
    const database = (url.searchParams.get('databaseName') ?? options.database).toUpperCase();
    const schema = (url.searchParams.get('schemaName') ?? options.schema).toUpperCase();
    const token = randomUUID();
    sessions.set(token, {
      database,
      schema,
      warehouse: url.searchParams.get('warehouse'),
      role: url.searchParams.get('roleName'),
    });
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token,
        masterToken: randomUUID(),
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: Date.now(),
        parameters: [],
        sessionInfo: {
          databaseName: database,
          schemaName: schema,
          warehouseName: url.searchParams.get('warehouse'),
          roleName: url.searchParams.get('roleName'),
        },
      },
    };
  };

  const runQuery = async (session: Session, body: Record<string, unknown>) => {
    const sqlText = String(body.sqlText ?? '');
    queries.push(sqlText);
    const queryId = randomUUID();
    try {
      const sql = await rewriteSnowflakeCalls(sqlText.trim().replace(/;\s*$/, ''), session, options.warehouse, options.pipeErrorIntegration ?? null);
      const result = await options.warehouse.queryWithTypes(sql);
      const rowtype = result.types.map((type, i) => describeColumn(result.columns[i], type));
      return {
        success: true,
        code: null,
        message: null,
        data: {
          parameters: [],
          rowtype,
          rowset: result.rows.map((row) => row.map((value, i) => encodeValue(value, rowtype[i].type))),
          total: result.rows.length,
          returned: result.rows.length,
          queryId,
          queryResultFormat: 'json',
          statementTypeId: 4096,
          finalDatabaseName: session.database,
          finalSchemaName: session.schema,
          finalWarehouseName: session.warehouse,
          finalRoleName: session.role,
          numberOfBinds: 0,
          version: 1,
        },
      };
    } catch (error) {
      const sqlError = error instanceof SqlError ? error : new SqlError(`SQL compilation error:\n${(error as Error).message}`);
      return {
        success: false,
        code: sqlError.code,
        message: sqlError.message,
        data: { queryId, sqlState: sqlError.sqlState, errorCode: sqlError.code, internalError: false },
      };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    if (req.method === 'POST' && url.pathname === '/session/v1/login-request') return send(res, login(url, body));
    const token = /^Snowflake Token="(.+)"$/.exec(req.headers.authorization ?? '')?.[1];
    const session = token ? sessions.get(token) : undefined;
    if (!session) return send(res, failure('390104', 'User must login again to access the service.'), 401);
    if (req.method === 'POST' && url.pathname === '/queries/v1/query-request') return send(res, await runQuery(session, body));
    if (req.method === 'POST' && url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
      sessions.delete(token!);
      return send(res, { success: true, code: null, message: null, data: null });
    }
    if (req.method === 'POST' && url.pathname === '/telemetry/send') return send(res, { success: true, data: null });
    return send(res, failure('000404', `The local Snowflake stand-in does not serve ${req.method} ${url.pathname}.`), 404);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, failure('000500', (error as Error).message), 500));
  });
  await new Promise<void>((resolvePromise) => server.listen(options.port ?? 0, '127.0.0.1', resolvePromise));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    close: () => new Promise<void>((resolvePromise, reject) => server.close((e) => (e ? reject(e) : resolvePromise()))),
  };
}

/**
 * Replaces SYSTEM$PIPE_STATUS('<db>.<schema>.<TABLE>_PIPE') with the pipe's status JSON and
 * TABLE(INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => '...', START_TIME => TO_TIMESTAMP_LTZ('...'))) with the
 * ledger's rows in COPY_HISTORY's columns.
 */
async function rewriteSnowflakeCalls(sql: string, session: Session, warehouse: LocalWarehouse, pipeErrorIntegration: string | null): Promise<string> {
  const resolveTable = (qualified: string, suffix: string, kind: string): string => {
    const parts = qualified.toUpperCase().split('.');
    const name = parts.pop()!;
    const [database, schema] = parts.length === 2 ? parts : [session.database, parts[0] ?? session.schema];
    const table = name.endsWith(suffix) ? name.slice(0, name.length - suffix.length).toLowerCase() : '';
    if (database !== session.database || schema !== session.schema || !TABLE_NAMES.includes(table)) {
      throw new SqlError(`SQL compilation error:\n${kind} '${qualified}' does not exist or not authorized.`);
    }
    return table;
  };

  const showPipes = /^SHOW PIPES IN SCHEMA ([A-Za-z0-9_$.]+)$/i.exec(sql);
  if (showPipes) {
    const [database, schema] = showPipes[1].toUpperCase().split('.');
    if (database !== session.database || schema !== session.schema) throw new SqlError(`SQL compilation error:\nSchema '${showPipes[1]}' does not exist or not authorized.`);
    const literal = (v: string | null) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);
    return TABLE_NAMES.map(
      (t) =>
        `SELECT '${t.toUpperCase()}_PIPE' AS name, '${database}' AS database_name, '${schema}' AS schema_name, ` +
        `'arn:aws:sqs:eu-west-1:000000000000:sf-snowpipe-stand-in' AS notification_channel, ${literal(pipeErrorIntegration)} AS error_integration`,
    ).join(' UNION ALL ');
  }
  let out = sql;
  for (const match of [...sql.matchAll(/SYSTEM\$PIPE_STATUS\('([^']+)'\)/gi)]) {
    const table = resolveTable(match[1], '_PIPE', 'Pipe');
    const { rows } = await warehouse.query(
      `SELECT COUNT(*), MAX(loaded_at), arg_max(file, loaded_at) FROM ${LEDGER_TABLE} WHERE table_name = $1 AND status = 'LOADED'`,
      [table],
    );
    const [, lastAt, lastFile] = rows[0];
    const status = {
      executionState: 'RUNNING',
      pendingFileCount: 0,
      ...(lastAt ? { lastIngestedTimestamp: lastAt, lastIngestedFilePath: lastFile } : {}),
    };
    out = out.replace(match[0], `'${JSON.stringify(status).replace(/'/g, "''")}'`);
  }
  const copyHistory =
    /TABLE\(\s*INFORMATION_SCHEMA\.COPY_HISTORY\(\s*TABLE_NAME\s*=>\s*'([^']+)'\s*,\s*START_TIME\s*=>\s*TO_TIMESTAMP_LTZ\('([^']+)'\)\s*\)\s*\)/gi;
  for (const match of [...out.matchAll(copyHistory)]) {
    const table = resolveTable(match[1], '', 'Table');
    const since = new Date(match[2]);
    if (Number.isNaN(since.getTime())) throw new SqlError(`Timestamp '${match[2]}' is not recognized`, '100035', '22007');
    const sinceSql = since.toISOString().replace('T', ' ').replace('Z', '');
    out = out.replace(
      match[0],
      `(SELECT file AS file_name, 'processed/' AS stage_location, loaded_at AS last_load_time, row_count, row_count AS row_parsed,
               bytes AS file_size, error AS first_error_message, CASE WHEN status = 'LOADED' THEN 0 ELSE 1 END AS error_count,
               CASE WHEN status = 'LOADED' THEN 'Loaded' ELSE 'Load failed' END AS status, upper(table_name) AS table_name
        FROM ${LEDGER_TABLE} WHERE table_name = '${table}' AND loaded_at >= TIMESTAMP '${sinceSql}')`,
    );
  }
  // Snowflake spellings DuckDB does not parse (LISTAGG ... WITHIN GROUP, DATEADD's bare part), as the local warehouse respells its views.
  return duckdbSpelling(out);
}

interface RowType {
  name: string;
  type: string;
  scale: number | null;
  precision: number | null;
  length: number | null;
  byteLength: number | null;
  nullable: boolean;
  database: string;
  schema: string;
  table: string;
  collation: null;
}

/** Snowflake column metadata for a DuckDB type; unquoted identifiers come back upper-case as in Snowflake. */
function describeColumn(name: string, duckdbType: string): RowType {
  const base = { name: name.toUpperCase(), nullable: true, database: '', schema: '', table: '', collation: null };
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(duckdbType);
  if (decimal) return { ...base, type: 'fixed', precision: Number(decimal[1]), scale: Number(decimal[2]), length: null, byteLength: null };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(duckdbType)) {
    return { ...base, type: 'fixed', precision: 38, scale: 0, length: null, byteLength: null };
  }
  if (/^(FLOAT|DOUBLE)$/.test(duckdbType)) return { ...base, type: 'real', precision: null, scale: null, length: null, byteLength: null };
  if (duckdbType === 'BOOLEAN') return { ...base, type: 'boolean', precision: null, scale: null, length: null, byteLength: null };
  if (duckdbType === 'DATE') return { ...base, type: 'date', precision: null, scale: null, length: null, byteLength: null };
  if (/^TIMESTAMP/.test(duckdbType)) return { ...base, type: 'timestamp_ntz', precision: 0, scale: 9, length: null, byteLength: null };
  return { ...base, type: 'text', precision: null, scale: null, length: 16777216, byteLength: 16777216 };
}

/** JSON rowset cells are strings: numbers as text, booleans 1/0, dates as days and timestamps as seconds since 1970. */
function encodeValue(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'boolean':
      return value ? '1' : '0';
    case 'date':
      return String(Date.parse(`${String(value)}T00:00:00Z`) / 86_400_000);
    case 'timestamp_ntz': {
      const ms = Date.parse(String(value));
      const seconds = Math.floor(ms / 1000);
      return `${seconds}.${String((ms - seconds * 1000) * 1_000_000).padStart(9, '0')}`;
    }
    case 'text':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      return String(value);
  }
}

function verifyJwt(token: string, publicKey: ReturnType<typeof createPublicKey>): { iss?: string; sub?: string } | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts;
  try {
    const algorithm = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).alg;
    if (algorithm !== 'RS256') return null;
    const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
    if (!ok) return null;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: string; sub?: string; exp?: number };
    // The Node SDK writes exp in milliseconds; Snowflake accepts seconds too.
    const expiresMs = (claims.exp ?? 0) > 1e12 ? claims.exp! : (claims.exp ?? 0) * 1000;
    return expiresMs > Date.now() ? claims : null;
  } catch {
    return null;
  }
}

function failure(code: string, message: string) {
  return { success: false, code, message, data: null };
}

function send(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}
