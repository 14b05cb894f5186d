/**
 * TypeScript view of schemas/tables.json, the ONE source of the processed table schemas.
 * The local warehouse (DuckDB DDL) and the warehouse stack (Snowflake tables) both build their DDL from here;
 * the Glue job reads the same JSON from Python.
 */
import tablesJson from './tables.json';

/**
 * The types of tables.json, plus `instant`: a point in time a warehouse itself records (loaded_at), which Snowflake
 * keeps as TIMESTAMP_LTZ (METADATA$START_SCAN_TIME is one). tables.json's `timestamp` is a UTC wall-clock time
 * (TIMESTAMP_NTZ), written so by the Glue job.
 */
export type LogicalType = 'string' | 'int' | 'bigint' | 'double' | 'boolean' | 'date' | 'timestamp' | 'instant';

export interface ColumnSpec {
  name: string;
  type: LogicalType;
  nullable: boolean;
  description?: string;
}

export interface TableSpec {
  name: string;
  description: string;
  /** 'commit': the commit-record table (transform_commits); every other kind is a data table. */
  kind: 'fact' | 'dimension' | 'bridge' | 'commit';
  /** Row identity within one run. */
  key: string[];
  /** Identity across runs (dimension tables: latest extract wins in the current views). */
  entityKey?: string[];
  /** Table columns followed by the run columns (run_id, extract_date, extracted_at, attempt_id). */
  columns: ColumnSpec[];
}

/**
 * Columns the loaders add to every loaded table: the file a row came from and when it was loaded.
 * Snowflake fills them in the pipe's COPY (METADATA$FILENAME, METADATA$START_SCAN_TIME); the local loader
 * fills them the same way.
 */
export const LOAD_METADATA_COLUMNS: ColumnSpec[] = [
  { name: 'source_file', type: 'string', nullable: false, description: 'Processed file this row was loaded from.' },
  { name: 'loaded_at', type: 'instant', nullable: false, description: 'When the row was loaded.' },
];

interface RawColumn {
  name: string;
  type: string;
  nullable: boolean;
  description?: string;
}
interface RawTable {
  description: string;
  kind: string;
  key: string[];
  entity_key?: string[];
  columns: RawColumn[];
}

const raw = tablesJson as unknown as { run_columns: RawColumn[]; tables: Record<string, RawTable> };

export const TABLES: TableSpec[] = Object.entries(raw.tables).map(([name, table]) => ({
  name,
  description: table.description,
  kind: table.kind as TableSpec['kind'],
  key: table.key,
  entityKey: table.entity_key,
  columns: [...table.columns, ...raw.run_columns].map((c) => ({ ...c, type: c.type as LogicalType })),
}));

export const TABLE_NAMES = TABLES.map((t) => t.name);

/** The commit-record table: one row per table a transform attempt published, written after all of them. */
export const COMMIT_TABLE: TableSpec = (() => {
  const commits = TABLES.filter((t) => t.kind === 'commit');
  if (commits.length !== 1) {
    throw new Error(`schemas/tables.json must define exactly one table of kind "commit"; found ${commits.map((t) => t.name).join(', ') || 'none'}`);
  }
  return commits[0];
})();

/** The tables transform attempts write rows to: every table but the commit records. */
export const DATA_TABLES: TableSpec[] = TABLES.filter((t) => t.kind !== 'commit');

export function table(name: string): TableSpec {
  const found = TABLES.find((t) => t.name === name);
  if (!found) throw new Error(`Unknown table "${name}"; known tables: ${TABLE_NAMES.join(', ')}`);
  return found;
}

const SNOWFLAKE_TYPES: Record<LogicalType, string> = {
  string: 'VARCHAR',
  int: 'NUMBER(10,0)',
  bigint: 'NUMBER(19,0)',
  double: 'FLOAT',
  boolean: 'BOOLEAN',
  date: 'DATE',
  // UTC wall-clock time: the Parquet files carry TIMESTAMP(MICROS, isAdjustedToUTC=false) and the pipes read them
  // with USE_LOGICAL_TYPE = TRUE, so no session time zone shifts them on the way in or out.
  timestamp: 'TIMESTAMP_NTZ(6)',
  instant: 'TIMESTAMP_LTZ(6)',
};

const DUCKDB_TYPES: Record<LogicalType, string> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  // The local warehouse session runs in UTC, so an instant is its UTC wall-clock time there.
  instant: 'TIMESTAMP',
};

export function snowflakeType(type: LogicalType): string {
  return SNOWFLAKE_TYPES[type];
}

export function duckdbType(type: LogicalType): string {
  return DUCKDB_TYPES[type];
}

/** Columns of the loaded (warehouse) table: the processed columns plus the load metadata. */
export function loadedColumns(spec: TableSpec): ColumnSpec[] {
  return [...spec.columns, ...LOAD_METADATA_COLUMNS];
}
