/**
 * `pipeline query <name>`: runs one analysis of snowflake-sql/analysis/ on the local warehouse or on Snowflake
 * and prints it as a table, CSV or JSON. Without a name it lists the analyses and the question each answers.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/pipeline-config';
import type { QueryResult } from '../../warehouse/results';
import { listAnalysisFiles } from '../../warehouse/snowflake-sql';
import { openWarehouse, parseTarget } from '../warehouse-target';
import { formatTable } from '../format';

type Format = 'table' | 'csv' | 'json';

export function formatCsv({ columns, rows }: QueryResult): string {
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return '';
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function formatJson({ columns, rows }: QueryResult): string {
  return JSON.stringify(rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))), null, 2) + '\n';
}

export function register(program: Command): void {
  program
    .command('query')
    .description('Run an analysis query (snowflake-sql/analysis/<name>.sql); without a name, list them')
    .argument('[name]', 'analysis name, e.g. top_artists_across_playlists')
    .option('--format <format>', 'table, csv or json', 'table')
    .option('--target <target>', 'local (the DuckDB warehouse) or snowflake (the deployed account)', 'local')
    .option('--limit <n>', 'print at most n rows')
    .action(async (name: string | undefined, options: { format: string; target: string; limit?: string }) => {
      if (!['table', 'csv', 'json'].includes(options.format)) {
        throw new Error(`--format must be table, csv or json (got "${options.format}")`);
      }
      const format = options.format as Format;
      const limit = options.limit === undefined ? undefined : Number(options.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
        throw new Error(`--limit must be a whole number of rows (got "${options.limit}")`);
      }
      const analyses = listAnalysisFiles();
      if (!name) {
        const listing = { columns: ['name', 'question'], rows: analyses.map((a) => [a.name, a.question]) };
        if (format === 'csv') process.stdout.write(formatCsv(listing));
        else if (format === 'json') process.stdout.write(formatJson(listing));
        else {
          // Questions are printed whole: the table renderer would cut them.
          const width = Math.max(...analyses.map((a) => a.name.length));
          process.stdout.write(`${analyses.map((a) => `${a.name.padEnd(width)}  ${a.question}`).join('\n')}\n`);
        }
        return;
      }
      const analysis = analyses.find((a) => a.name === name);
      if (!analysis) {
        throw new Error(`No analysis "${name}". Available: ${analyses.map((a) => a.name).join(', ')} (see \`pipeline query\`).`);
      }
      const target = parseTarget(options.target);
      const opened = await openWarehouse(loadConfig(program.opts().env), target);
      try {
        const result = await opened.warehouse.runAnalysis(name, { limit });
        if (format === 'csv') process.stdout.write(formatCsv(result));
        else if (format === 'json') process.stdout.write(formatJson(result));
        else {
          process.stdout.write(`${analysis.question}  (${target})\n\n${formatTable(result.columns, result.rows, '')}\n`);
          process.stdout.write(`\n${result.rows.length} row${result.rows.length === 1 ? '' : 's'}\n`);
        }
      } finally {
        await opened.warehouse.close();
      }
    });
}
