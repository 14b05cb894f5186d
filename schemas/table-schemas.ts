/**
 * TypeScript view of schemas/tables.json, the ONE source of the processed table schemas.
 * The local warehouse (DuckDB DDL) and the warehouse stack (Snowflake tables) both build their DDL from here;
 * the Glue job reads the same JSON from Python.
 */
import tablesJson from './tables.json';

export type LogicalType = 'string' | 'int' | 'bigint' | 'double' | 'boolean' | 'date' | 'timestamp';

export interface ColumnSpec {
  name: string;
  type: LogicalType;
  nullable: boolean;
  description?: string;
}

export interface TableSpec {
  name: string;
  description: string;
  kind: 'fact' | 'dimension' | 'bridge';
  /** Row identity within one run. */
  key: string[];
  /** Identity across runs (dimension tables: latest extract wins in the current views). */
  entityKey?: string[];
  /** Table columns followed by the run columns (run_id, extract_date, extracted_at). */
  columns: ColumnSpec[];
}

/**
 * Columns the loaders add to every loaded table: the file a row came from and when it was loaded.
 * Snowflake fills them in the pipe's COPY (METADATA$FILENAME, METADATA$START_SCAN_TIME); the local loader
 * fills them the same way.
 */
export const LOAD_METADATA_COLUMNS: ColumnSpec[] = [
  { name: 'source_file', type: 'string', nullable: false, description: 'Processed file this row was loaded from.' },
  { name: 'loaded_at', type: 'timestamp', nullable: false, description: 'When the row was loaded.' },
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
  timestamp: 'TIMESTAMP_NTZ(6)',
};

const DUCKDB_TYPES: Record<LogicalType, string> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
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
