/**
 * What a warehouse answers, whichever it is (Snowflake through snowflake-sdk, or the local DuckDB stand-in):
 * the shapes the CLI prints and the tests compare.
 */

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export interface TableStatus {
  table: string;
  rows: number;
  files: number;
  lastLoadedAt: string | null;
}
