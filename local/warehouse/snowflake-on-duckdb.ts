/**
 * How the local warehouse runs the views' Snowflake SQL on DuckDB: the same file Snowflake deploys, never a copy.
 *
 * - Snowflake functions DuckDB lacks become DuckDB macros of the same name, with Snowflake's meaning
 *   (SNOWFLAKE_FUNCTION_MACROS); the warehouse creates them before its views.
 * - Two Snowflake spellings DuckDB's parser does not take are respelled mechanically (duckdbSpelling): the bare date
 *   part of DATEADD, and LISTAGG's WITHIN GROUP.
 *
 * The analysis files are not respelled: the dashboard runs them on the DuckDB file as they are written, so they stay
 * in SQL both warehouses parse (the local warehouse's analysis tests run them unchanged). They may call the macros,
 * which the warehouse file keeps.
 */

/**
 * Kept in the warehouse file (not TEMP), so whoever opens it afterwards (the dashboard, read-only) can query the
 * views that call them.
 */
export const SNOWFLAKE_FUNCTION_MACROS = [
  // 1 for Monday to 7 for Sunday, whatever the session's week start (Snowflake's WEEK_START does not move it).
  'CREATE OR REPLACE MACRO dayofweekiso(d) AS isodow(d)',
  // DATEADD(part, n, d) with the part quoted by duckdbSpelling. DuckDB widens a DATE plus days to a TIMESTAMP where
  // Snowflake keeps a DATE: the views CAST to DATE where they want one. Other parts fail, naming themselves.
  `CREATE OR REPLACE MACRO dateadd(part, n, d) AS CASE lower(part)
     WHEN 'second' THEN d + to_seconds(CAST(n AS INTEGER))
     WHEN 'day' THEN d + to_days(CAST(n AS INTEGER))
     WHEN 'week' THEN d + to_weeks(CAST(n AS INTEGER))
     WHEN 'month' THEN d + to_months(CAST(n AS INTEGER))
     WHEN 'year' THEN d + to_years(CAST(n AS INTEGER))
     ELSE error('DATEADD(' || part || ', ...) has no DuckDB macro in local/warehouse/snowflake-on-duckdb.ts')
   END`,
];

/** Index of the `)` that closes the `(` at `open`, skipping quoted strings. */
function closingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'") {
      i = sql.indexOf("'", i + 1);
      if (i === -1) break;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`Unbalanced parentheses after: ${sql.slice(open, open + 80)}`);
}

/**
 * A Snowflake statement in the spelling DuckDB's parser takes:
 * - `DATEADD(day, n, d)` -> `DATEADD('day', n, d)`: DuckDB would read the bare part as a column; the dateadd macro
 *   takes it as text;
 * - `LISTAGG(x, sep) WITHIN GROUP (ORDER BY k)` -> `LISTAGG(x, sep ORDER BY k)`: DuckDB takes WITHIN GROUP only for
 *   its ordered-set aggregates; its LISTAGG takes the order inside the call.
 */
export function duckdbSpelling(sql: string): string {
  let out = sql.replace(/\bDATEADD\s*\(\s*([A-Za-z_]+)\s*,/gi, (_match, part: string) => `DATEADD('${part}',`);
  const listagg = /\bLISTAGG\s*\(/gi;
  for (let match = listagg.exec(out); match; match = listagg.exec(out)) {
    const close = closingParen(out, match.index + match[0].length - 1);
    const withinGroup = /^\s*WITHIN\s+GROUP\s*\(\s*ORDER\s+BY\b/i.exec(out.slice(close + 1));
    if (!withinGroup) continue;
    const groupOpen = out.indexOf('(', close + 1);
    const groupClose = closingParen(out, groupOpen);
    const orderBy = out.slice(groupOpen + 1, groupClose).trim();
    out = `${out.slice(0, close)} ${orderBy})${out.slice(groupClose + 1)}`;
  }
  return out;
}
