/**
 * Warehouse benchmark: generates processed Parquet for 1,000,000 playlist items (50 weekly runs x 40 playlists x
 * 500 positions, with the tracks, albums, artists, credits and top lists those runs reference), laid out as the Glue
 * job writes it (one attempt folder per run, then its commit record), then times the local load (Snowpipe rules),
 * a second load (everything skipped), the data quality checks and every analysis.
 * Writes the figures under "## Warehouse" in docs/benchmarks.md (other sections are left as they are).
 *
 *   npx tsx bench/warehouse-bench.ts [--runs 50] [--playlists 40] [--positions 500] [--keep <dir>]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { LocalWarehouse } from '../local/warehouse/local-warehouse';
import { DEFAULT_ATTEMPT, processedKey } from '../local/warehouse/parquet-writer';
import { COMMIT_TABLE } from '../schemas/table-schemas';

interface Options {
  runs: number;
  playlists: number;
  positions: number;
  keep?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 50, playlists: 40, positions: 500 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--keep') options.keep = value;
    else if (flag === '--runs' || flag === '--playlists' || flag === '--positions') {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive whole number (got "${value}")`);
      options[flag.slice(2) as 'runs' | 'playlists' | 'positions'] = n;
    } else throw new Error(`Unknown option ${flag}. Options: --runs N --playlists N --positions N --keep DIR`);
  }
  return options;
}

const TRACK_POOL = 20_000;
const ALBUM_POOL = 5_000;
const ARTIST_POOL = 4_000;

async function generate(connection: DuckDBConnection, bucket: string, options: Options): Promise<void> {
  const start = new Date(Date.UTC(2025, 11, 1, 6)); // a Monday
  for (let week = 0; week < options.runs; week += 1) {
    const at = new Date(start.getTime() + week * 7 * 86_400_000);
    const extractDate = at.toISOString().slice(0, 10);
    const runId = `${extractDate.replace(/-/g, '')}T060000Z-${week.toString(36).padStart(6, '0')}`;
    const run = { runId, extractDate, extractedAt: at.toISOString() };
    const runCols = `'${runId}' AS run_id, DATE '${extractDate}' AS extract_date, TIMESTAMP '${extractDate} 06:00:00' AS extracted_at, '${DEFAULT_ATTEMPT}' AS attempt_id`;
    const target = (table: string) => {
      const path = join(bucket, processedKey(table, run));
      mkdirSync(join(path, '..'), { recursive: true });
      return `'${path}'`;
    };
    // Each playlist drifts by a few tracks a week, so there are entries, drop-outs and movers.
    await connection.run(`CREATE OR REPLACE TEMP TABLE items AS
      SELECT p, pos, 't' || lpad(CAST((p * 997 + pos + ${week} * 3 + CASE WHEN pos % 17 = ${week % 17} THEN 5 ELSE 0 END) % ${TRACK_POOL} AS VARCHAR), 6, '0') AS track_id
      FROM range(${options.playlists}) AS a(p), range(${options.positions}) AS b(pos)`);
    await connection.run(`CREATE OR REPLACE TEMP TABLE run_tracks AS
      SELECT DISTINCT track_id, CAST(substr(track_id, 2) AS INTEGER) AS n FROM items`);
    await connection.run(`COPY (SELECT 'pl' || lpad(CAST(p AS VARCHAR), 4, '0') AS playlist_id, 'Playlist ' || p AS playlist_name,
        NULL::VARCHAR AS description, 'me' AS owner_id, 'Me' AS owner_display_name, true AS is_public, false AS is_collaborative,
        'snap' || ${week} AS snapshot_id, NULL::BIGINT AS followers_total, ${options.positions} AS items_total, NULL::VARCHAR AS image_url, ${runCols}
      FROM range(${options.playlists}) AS a(p)) TO ${target('playlist_snapshots')} (FORMAT parquet)`);
    await connection.run(`COPY (SELECT 'pl' || lpad(CAST(p AS VARCHAR), 4, '0') AS playlist_id, CAST(pos AS INTEGER) AS position,
        'track' AS item_type, track_id AS item_id, 'Track ' || track_id AS item_name, track_id, false AS is_local,
        TIMESTAMP '2025-01-01 00:00:00' + INTERVAL (pos) HOUR AS added_at, 'me' AS added_by_id, ${runCols}
      FROM items) TO ${target('playlist_tracks')} (FORMAT parquet)`);
    await connection.run(`COPY (SELECT track_id, 'Track ' || track_id AS track_name, 'al' || (n % ${ALBUM_POOL}) AS album_id,
        CAST(150000 + n % 120000 AS INTEGER) AS duration_ms, n % 5 = 0 AS explicit, NULL::INTEGER AS popularity,
        CAST(n % 12 + 1 AS INTEGER) AS track_number, 1 AS disc_number, NULL::VARCHAR AS isrc, 'spotify:track:' || track_id AS uri, ${runCols}
      FROM run_tracks) TO ${target('tracks')} (FORMAT parquet)`);
    await connection.run(`COPY (SELECT DISTINCT 'al' || (n % ${ALBUM_POOL}) AS album_id, 'Album ' || (n % ${ALBUM_POOL}) AS album_name,
        'album' AS album_type, DATE '1970-01-01' + INTERVAL ((n % ${ALBUM_POOL}) * 4) DAY AS release_date, 'day' AS release_date_precision,
        NULL::VARCHAR AS release_date_raw, 10 AS total_tracks, NULL::VARCHAR AS label, NULL::VARCHAR AS upc, NULL::VARCHAR AS uri,
        NULL::VARCHAR AS image_url, ${runCols}
      FROM run_tracks) TO ${target('albums')} (FORMAT parquet)`);
    await connection.run(`COPY (SELECT DISTINCT 'ar' || (n % ${ARTIST_POOL}) AS artist_id, 'Artist ' || (n % ${ARTIST_POOL}) AS artist_name,
        NULL::VARCHAR AS genres, NULL::BIGINT AS followers_total, NULL::INTEGER AS popularity, NULL::VARCHAR AS uri, ${runCols}
      FROM run_tracks
      UNION
      SELECT DISTINCT 'ar' || ((n * 7 + 1) % ${ARTIST_POOL}), 'Artist ' || ((n * 7 + 1) % ${ARTIST_POOL}), NULL, NULL, NULL, NULL, ${runCols}
      FROM run_tracks WHERE n % 4 = 0) TO ${target('artists')} (FORMAT parquet)`);
    await connection.run(`COPY (SELECT track_id, 'ar' || (n % ${ARTIST_POOL}) AS artist_id, 0 AS artist_position, ${runCols} FROM run_tracks
      UNION ALL
      SELECT track_id, 'ar' || ((n * 7 + 1) % ${ARTIST_POOL}), 1, ${runCols} FROM run_tracks
      WHERE n % 4 = 0 AND (n * 7 + 1) % ${ARTIST_POOL} <> n % ${ARTIST_POOL}) TO ${target('track_artists')} (FORMAT parquet)`);
    await connection.run(`COPY (SELECT 'track' AS item_type, tr AS time_range, CAST(r + 1 AS INTEGER) AS rank,
        't' || lpad(CAST((r * 31 + ${week}) % ${TRACK_POOL} AS VARCHAR), 6, '0') AS item_id, NULL::VARCHAR AS item_name, ${runCols}
      FROM (VALUES ('short_term'), ('medium_term'), ('long_term')) AS t(tr), range(50) AS x(r)) TO ${target('user_top_items')} (FORMAT parquet)`);
    // Last, as the Glue job: the commit record, one row per table with the rows written.
    const tables = ['playlist_snapshots', 'playlist_tracks', 'tracks', 'albums', 'artists', 'track_artists', 'user_top_items'];
    const counts = tables
      .map((table) => `SELECT '${table}' AS table_name, COUNT(*)::BIGINT AS row_count, 1 AS file_count FROM read_parquet(${target(table)})`)
      .join(' UNION ALL ');
    await connection.run(`COPY (SELECT table_name, row_count, file_count, TIMESTAMP '${extractDate} 06:30:00' AS committed_at, ${runCols}
      FROM (${counts})) TO ${target(COMMIT_TABLE.name)} (FORMAT parquet)`);
  }
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const result = await fn();
  return [result, Number(process.hrtime.bigint() - started) / 1e9];
}

function writeSection(figures: string): void {
  const file = resolve(__dirname, '..', 'docs', 'benchmarks.md');
  const section = `## Warehouse\n\n${figures.trim()}\n`;
  if (!existsSync(file)) {
    writeFileSync(file, `# Benchmarks\n\n${section}`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  const startAt = text.search(/^## Warehouse\s*$/m);
  if (startAt === -1) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const rest = text.slice(startAt + '## Warehouse'.length);
  const next = rest.search(/^## /m);
  const after = next === -1 ? '' : `\n${rest.slice(next)}`;
  // The hand-written before/after record of a change survives a re-run; the rest is regenerated.
  const old = next === -1 ? rest : rest.slice(0, next);
  const keptAt = old.search(/^### Before and after\s*$/m);
  const kept = keptAt === -1 ? '' : `\n${old.slice(keptAt).trimEnd()}\n`;
  writeFileSync(file, `${text.slice(0, startAt)}${section}${kept}${after}`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dir = options.keep ? resolve(options.keep) : mkdtempSync(join(tmpdir(), 'warehouse-bench-'));
  mkdirSync(dir, { recursive: true });
  const bucket = join(dir, 'bucket');
  const items = options.runs * options.playlists * options.positions;
  try {
    process.stdout.write(`Generating ${items.toLocaleString('en')} playlist items (${options.runs} runs) in ${bucket} ...\n`);
    const generator = await DuckDBInstance.create(':memory:');
    const connection = await generator.connect();
    const [, generateSeconds] = await time(() => generate(connection, bucket, options));
    connection.closeSync();
    generator.closeSync();

    const warehouseFile = join(dir, 'warehouse.duckdb');
    rmSync(warehouseFile, { force: true });
    const [warehouse, openSeconds] = await time(() => LocalWarehouse.open(warehouseFile));
    const [report, loadSeconds] = await time(() => warehouse.loadProcessed(bucket));
    const loadedRows = report.loaded.reduce((sum, f) => sum + f.rows, 0);
    if (report.skipped.length > 0) throw new Error(`The benchmark data did not load cleanly: ${JSON.stringify(report.skipped.slice(0, 3))}`);
    const [again, reloadSeconds] = await time(() => warehouse.loadProcessed(bucket));
    const [checks, checkSeconds] = await time(() => warehouse.runChecks());
    const failedChecks = checks.filter((c) => !c.passed);
    if (failedChecks.length > 0) throw new Error(`Checks failed on the benchmark data: ${JSON.stringify(failedChecks)}`);

    const analyses: Array<{ name: string; seconds: number; rows: number }> = [];
    // Each analysis three times, the fastest counted: on a shared machine the minimum is the figure that repeats.
    for (const analysis of warehouse.listAnalyses()) {
      let best = Infinity;
      let rows = 0;
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const [result, seconds] = await time(() => warehouse.runAnalysis(analysis.name));
        best = Math.min(best, seconds);
        rows = result.rows.length;
      }
      analyses.push({ name: analysis.name, seconds: best, rows });
    }
    await warehouse.close();

    const fmt = (s: number) => `${s.toFixed(2)} s`;
    const lines = [
      `Command: \`npx tsx bench/warehouse-bench.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\``,
      `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, DuckDB via @duckdb/node-api.`,
      `Data: ${items.toLocaleString('en')} playlist items in ${options.runs} weekly runs x ${options.playlists} playlists x ${options.positions} positions; ` +
        `${report.loaded.length} Parquet files, ${loadedRows.toLocaleString('en')} rows over all tables (generated in ${fmt(generateSeconds)}).`,
      '',
      '| step | wall time | result |',
      '| --- | ---: | --- |',
      `| open (tables, ledger, views) | ${fmt(openSeconds)} | |`,
      `| load, Snowpipe rules (checksum + insert per file) | ${fmt(loadSeconds)} | ${report.loaded.length} files, ${loadedRows.toLocaleString('en')} rows |`,
      `| second load (every file skipped) | ${fmt(reloadSeconds)} | ${again.skipped.length} skipped |`,
      `| data quality checks, all runs | ${fmt(checkSeconds)} | ${checks.length} checks passed |`,
      ...analyses.map((a) => `| analysis \`${a.name}\` (fastest of 3) | ${fmt(a.seconds)} | ${a.rows} rows |`),
    ];
    writeSection(lines.join('\n'));
    process.stdout.write(`${lines.join('\n')}\n\nWritten to docs/benchmarks.md (## Warehouse).\n`);
  } finally {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`warehouse benchmark failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
