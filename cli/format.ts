/** Plain-text rendering shared by the CLI commands: aligned tables that survive any terminal and CI logs. */

/**
 * Text as one line that keeps its columns: a line break becomes a visible ⏎, a tab or any other control character
 * its Unicode control picture (tab -> ␉), so names from Spotify can neither split a line nor shift a column.
 */
export function oneLine(text: string): string {
  return text
    .replace(/\s*(?:\r\n|\n|\r|\u2028|\u2029)\s*/g, ' ⏎ ')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}

/** Renders a cell: null as an empty-set marker, dates as ISO dates, long text cut with an ellipsis. */
export function formatCell(value: unknown, maxWidth = 40): string {
  let text: string;
  if (value === null || value === undefined) text = '∅';
  else if (value instanceof Date) text = value.toISOString().replace('T00:00:00.000Z', '');
  else if (typeof value === 'number') text = Number.isInteger(value) ? String(value) : value.toFixed(2);
  else if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'object') text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  else text = String(value);
  text = oneLine(text);
  return text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
}

export function formatTable(columns: string[], rows: unknown[][], indent = '  ', maxCellWidth = 40): string {
  const cells = rows.map((row) => row.map((value) => formatCell(value, maxCellWidth)));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = columns.map((_c, i) => rows.length > 0 && rows.every((row) => row[i] === null || typeof row[i] === 'number' || typeof row[i] === 'bigint'));
  const line = (values: string[]) =>
    indent +
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i]) : value.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(columns), indent + widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  if (rows.length === 0) out.push(`${indent}(no rows)`);
  return out.join('\n');
}
