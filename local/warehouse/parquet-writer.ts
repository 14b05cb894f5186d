/**
 * Writes processed Parquet files exactly as the Glue job lays them out (columns of schemas/tables.json, run
 * columns inside every file, one folder per transform attempt, timestamps as UTC wall-clock TIMESTAMP without a
 * zone), and the commit record that makes an attempt visible, with DuckDB. Tests, the fake Snowflake demo data and
 * the benchmark use it to produce input for the loader without running Spark.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { COMMIT_TABLE, duckdbType, table as tableSpec } from '../../schemas/table-schemas';

export interface ProcessedRun {
  runId: string;
  /** YYYY-MM-DD */
  extractDate: string;
  /** ISO timestamp (UTC) */
  extractedAt: string;
  /** The transform attempt that writes the files (default "attempt-1"). */
  attemptId?: string;
}

export const DEFAULT_ATTEMPT = 'attempt-1';

/** bucket key of a processed file: processed/<table>/extract_date=D/run_id=R/attempt_id=A/<fileName> */
export function processedKey(table: string, run: ProcessedRun, fileName = 'part-00000.parquet'): string {
  return `processed/${table}/extract_date=${run.extractDate}/run_id=${run.runId}/attempt_id=${run.attemptId ?? DEFAULT_ATTEMPT}/${fileName}`;
}

/** UTC ISO timestamp -> the text of a DuckDB TIMESTAMP (UTC wall-clock time). */
export function utcTimestampText(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Writes rows (table columns only; the run columns are added) as one Parquet file under bucketDir and returns
 * its bucket key. Columns absent from a row are written as NULL.
 */
export async function writeProcessedParquet(
  bucketDir: string,
  table: string,
  run: ProcessedRun,
  rows: Array<Record<string, unknown>>,
  fileName = 'part-00000.parquet',
): Promise<string> {
  const spec = tableSpec(table);
  const key = processedKey(table, run, fileName);
  const target = join(bucketDir, key);
  mkdirSync(join(target, '..'), { recursive: true });
  const scratch = join(tmpdir(), `processed-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  const runValues = {
    run_id: run.runId,
    extract_date: run.extractDate,
    extracted_at: utcTimestampText(run.extractedAt),
    attempt_id: run.attemptId ?? DEFAULT_ATTEMPT,
  };
  writeFileSync(scratch, rows.map((row) => JSON.stringify({ ...row, ...runValues })).join('\n') + '\n');
  const columnTypes = spec.columns.map((c) => `'${c.name}': '${duckdbType(c.type)}'`).join(', ');
  const connection = await writerConnection();
  try {
    await connection.run(
      `COPY (SELECT ${spec.columns.map((c) => `"${c.name}"`).join(', ')}
             FROM read_json($1, format = 'newline_delimited', columns = {${columnTypes}}))
       TO '${target.replace(/'/g, "''")}' (FORMAT parquet)`,
      [scratch],
    );
  } finally {
    rmSync(scratch, { force: true });
  }
  return key;
}

let writer: Promise<DuckDBConnection> | undefined;

/** One in-memory DuckDB for every file this process writes: starting an instance costs more than writing a file. */
function writerConnection(): Promise<DuckDBConnection> {
  writer ??= DuckDBInstance.create(':memory:').then(async (instance) => {
    const connection = await instance.connect();
    // Timestamps are written as the UTC wall-clock text they are given, whatever the machine's zone.
    await connection.run("SET TimeZone = 'UTC'");
    return connection;
  });
  return writer;
}

/**
 * Writes an attempt's commit record (what the Glue job writes last): one row per table it published, with its row
 * count (a table with 0 rows has no file). Until it exists, the views do not show the attempt.
 */
export async function writeCommitRecord(
  bucketDir: string,
  run: ProcessedRun,
  rowCounts: Record<string, number>,
  committedAt = new Date().toISOString(),
): Promise<string> {
  const rows = Object.entries(rowCounts).map(([table_name, row_count]) => ({
    table_name,
    row_count,
    file_count: row_count > 0 ? 1 : 0, // the Glue job writes no file for a table without rows
    committed_at: utcTimestampText(committedAt),
  }));
  return writeProcessedParquet(bucketDir, COMMIT_TABLE.name, run, rows);
}
