/**
 * Where each pipe reports its load errors: the ERROR_INTEGRATION of the pipe (SHOW PIPES), which the warehouse
 * stack sets to the notification integration that publishes to the alarm topic. A pipe without one loads a bad file
 * silently (the failure only shows in COPY_HISTORY), so `pipeline status --target snowflake` flags it.
 */
import { TABLE_NAMES } from '../schemas/table-schemas';

export interface PipeErrorRouting {
  table: string;
  pipe: string;
  /** The notification integration load errors go to; null when none is set (or the pipe does not exist). */
  errorIntegration: string | null;
  exists: boolean;
}

/** The pipe of a table, as the warehouse stack names it (constructs/snowpipe-table.ts: <TABLE>_PIPE). */
const pipeOf = (table: string) => `${table.toUpperCase()}_PIPE`;

export async function pipeErrorRouting(
  query: (sql: string) => Promise<{ columns: string[]; rows: unknown[][] }>,
  database: string,
  schema: string,
): Promise<PipeErrorRouting[]> {
  const { columns, rows } = await query(`SHOW PIPES IN SCHEMA ${database}.${schema}`);
  const name = columns.indexOf('name');
  const integration = columns.indexOf('error_integration');
  if (name < 0 || integration < 0) throw new Error(`SHOW PIPES answered without name/error_integration columns (got ${columns.join(', ')})`);
  const byName = new Map(rows.map((row) => [String(row[name]).toUpperCase(), row[integration]]));
  return TABLE_NAMES.map((table) => {
    const found = byName.has(pipeOf(table));
    const value = byName.get(pipeOf(table));
    return {
      table,
      pipe: `${database}.${schema}.${pipeOf(table)}`,
      errorIntegration: typeof value === 'string' && value.length > 0 ? value : null,
      exists: found,
    };
  });
}
