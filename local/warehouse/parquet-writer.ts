/**
 * Writes processed Parquet files exactly as the Glue job lays them out (columns of schemas/tables.json, run
 * columns inside every file), with DuckDB. Tests, the fake Snowflake demo data and the benchmark use it to
 * produce input for the loader without running Spark.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbType, table as tableSpec } from '../../schemas/table-schemas';

export interface ProcessedRun {
  runId: string;
  /** YYYY-MM-DD */
  extractDate: string;
  /** ISO timestamp (UTC) */
  extractedAt: string;
}

/** bucket key of a processed file: processed/<table>/extract_date=D/run_id=R/<fileName> */
export function processedKey(table: string, run: ProcessedRun, fileName = 'part-00000.parquet'): string {
  return `processed/${table}/extract_date=${run.extractDate}/run_id=${run.runId}/${fileName}`;
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
  const runValues = { run_id: run.runId, extract_date: run.extractDate, extracted_at: run.extractedAt.replace('T', ' ').replace('Z', '') };
  writeFileSync(scratch, rows.map((row) => JSON.stringify({ ...row, ...runValues })).join('\n') + '\n');
  const columnTypes = spec.columns.map((c) => `'${c.name}': '${duckdbType(c.type)}'`).join(', ');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT ${spec.columns.map((c) => `"${c.name}"`).join(', ')}
             FROM read_json($1, format = 'newline_delimited', columns = {${columnTypes}}))
       TO '${target.replace(/'/g, "''")}' (FORMAT parquet)`,
      [scratch],
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(scratch, { force: true });
  }
  return key;
}
