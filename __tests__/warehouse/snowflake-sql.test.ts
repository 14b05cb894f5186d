import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  SQL_DIR,
  analysisSql,
  copyStatementFile,
  renderCopyStatement,
  renderRoleStatements,
  renderTemplate,
  viewDefinitions,
} from '../../warehouse/snowflake-sql';
import { TABLE_NAMES } from '../../schemas/table-schemas';

const NAMES = { database: 'SPOTIFY', schema: 'RAW', stage: 'PROCESSED_STAGE', fileFormat: 'PARQUET_FORMAT' };

describe('snowflake-sql/', () => {
  test('every table of schemas/tables.json gets a pipe COPY: its own file, else the shared template', () => {
    const files = readdirSync(join(SQL_DIR, 'pipes')).sort();
    expect(files).toContain('table.copy.template.sql');
    for (const file of files.filter((f) => f.endsWith('.copy.sql'))) expect(TABLE_NAMES).toContain(file.slice(0, -'.copy.sql'.length));
    for (const table of TABLE_NAMES) expect(copyStatementFile(table)).toMatch(/\/pipes\/(table\.copy\.template|[a-z_]+\.copy)\.sql$/);
  });

  test('renderCopyStatement fills the fully qualified names', () => {
    expect(renderCopyStatement('playlist_tracks', NAMES)).toBe(
      [
        'COPY INTO SPOTIFY.RAW.playlist_tracks',
        'FROM @SPOTIFY.RAW.PROCESSED_STAGE/playlist_tracks/',
        'FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE)',
        'MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE',
        'INCLUDE_METADATA = (source_file = METADATA$FILENAME, loaded_at = METADATA$START_SCAN_TIME)',
        "PATTERN = '.*extract_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/run_id=[^/]+/attempt_id=[^/]+/[^/_.][^/]*[.]parquet'",
      ].join('\n'),
    );
    for (const table of TABLE_NAMES) {
      const sql = renderCopyStatement(table, NAMES);
      expect(sql).toContain(`COPY INTO SPOTIFY.RAW.${table}\nFROM @SPOTIFY.RAW.PROCESSED_STAGE/${table}/`);
      expect(sql).not.toMatch(/\{\{|--|;/);
    }
  });

  test('renderCopyStatement refuses unknown tables and names that are not identifiers', () => {
    expect(() => renderCopyStatement('songs', NAMES)).toThrow(/No pipe for table "songs": known tables are playlist_snapshots/);
    expect(() => renderCopyStatement('tracks', { ...NAMES, schema: 'RAW; DROP' })).toThrow(/schema "RAW; DROP" is not a plain Snowflake identifier/);
  });

  test('a placeholder without a value is an error', () => {
    expect(() => renderTemplate('SELECT {{database}}.x', {}, 'q.sql')).toThrow('q.sql uses the placeholder {{database}} but no value was given for it');
  });

  test('roles.sql renders to single statements with a loader and a read-only analyst role', () => {
    const statements = renderRoleStatements({ ...NAMES, warehouse: 'SPOTIFY_WH', loaderRole: 'SPOTIFY_LOADER', analystRole: 'SPOTIFY_ANALYST' });
    expect(statements.length).toBeGreaterThan(10);
    const analyst = statements.filter((s) => s.endsWith('TO ROLE SPOTIFY_ANALYST'));
    for (const grant of analyst) expect(grant).not.toMatch(/INSERT|UPDATE|DELETE|OPERATE|OWNERSHIP|CREATE/);
    expect(statements).toContain('GRANT SELECT, INSERT ON FUTURE TABLES IN SCHEMA SPOTIFY.RAW TO ROLE SPOTIFY_LOADER');
  });

  test('views come in creation order: each after the views it reads', () => {
    const views = viewDefinitions();
    const seen = new Set<string>();
    for (const view of views) {
      for (const dep of view.dependsOn) expect(seen).toContain(dep);
      seen.add(view.name);
      expect(view.select).toMatch(/^(SELECT|WITH)\b/);
    }
    expect(views.map((v) => v.name)).toEqual(
      expect.arrayContaining(['committed_attempts', 'committed_tracks', 'current_tracks', 'current_albums', 'current_artists', 'playlist_chart', 'chart_movements']),
    );
    // The generated commit views come first: everything else reads through them.
    expect(views.slice(0, 2).map((v) => v.name)).toEqual(['attempt_loads', 'committed_attempts']);
  });

  test('one file per view and per analysis, which both warehouses read: no per-dialect twins', () => {
    for (const folder of ['views', 'analysis']) {
      expect(readdirSync(join(SQL_DIR, folder)).filter((f) => /\.(duckdb|snowflake)\.sql$/.test(f))).toEqual([]);
    }
    for (const view of viewDefinitions()) {
      expect(view.file).toMatch(new RegExp(`/views/(${view.name}|committed_attempts\\.template|committed_table\\.template|attempt_loads\\.template)\\.sql$`));
    }
    // The Snowflake spelling, which the local warehouse respells for DuckDB (local/warehouse/snowflake-on-duckdb.ts).
    const names = viewDefinitions().find((v) => v.name === 'track_artist_names')!.createStatement;
    expect(names).toContain('LISTAGG(COALESCE(a.artist_name, cta.artist_id), \', \') WITHIN GROUP (ORDER BY cta.artist_position)');
    expect(names).not.toContain('STRING_AGG');
  });

  test('analysisSql is the analysis file without its comments and semicolon', () => {
    const sql = analysisSql('explicit_share');
    expect(sql).not.toMatch(/^--/);
    expect(sql).not.toMatch(/;\s*$/);
    expect(sql).toMatch(/^(SELECT|WITH)\b/);
    expect(() => analysisSql('no_such_question')).toThrow(/No analysis "no_such_question". Available: .*explicit_share/);
  });
});
