import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  SQL_DIR,
  analysisSql,
  renderCopyStatement,
  renderRoleStatements,
  renderTemplate,
  viewDefinitions,
} from '../../warehouse/snowflake-sql';
import { TABLE_NAMES } from '../../schemas/table-schemas';

const NAMES = { database: 'SPOTIFY', schema: 'RAW', stage: 'PROCESSED_STAGE', fileFormat: 'PARQUET_FORMAT' };

describe('snowflake-sql/', () => {
  test('one pipe COPY per table of schemas/tables.json, and nothing else', () => {
    const files = readdirSync(join(SQL_DIR, 'pipes')).sort();
    expect(files).toEqual([...TABLE_NAMES].sort().map((t) => `${t}.copy.sql`));
  });

  test('renderCopyStatement fills the fully qualified names', () => {
    expect(renderCopyStatement('playlist_tracks', NAMES)).toBe(
      [
        'COPY INTO SPOTIFY.RAW.playlist_tracks',
        'FROM @SPOTIFY.RAW.PROCESSED_STAGE/playlist_tracks/',
        "FILE_FORMAT = (FORMAT_NAME = 'SPOTIFY.RAW.PARQUET_FORMAT')",
        'MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE',
        'INCLUDE_METADATA = (source_file = METADATA$FILENAME, loaded_at = METADATA$START_SCAN_TIME)',
        "PATTERN = '.*extract_date=[0-9-]+/run_id=[^/]+/[^/]+[.]parquet'",
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
    for (const dialect of ['snowflake', 'duckdb'] as const) {
      const views = viewDefinitions(dialect);
      const seen = new Set<string>();
      for (const view of views) {
        for (const dep of view.dependsOn) expect(seen).toContain(dep);
        seen.add(view.name);
        expect(view.select).toMatch(/^(SELECT|WITH)\b/);
      }
      expect(views.map((v) => v.name)).toEqual(expect.arrayContaining(['current_tracks', 'current_albums', 'current_artists', 'playlist_chart', 'chart_movements']));
    }
    const names = viewDefinitions('snowflake').find((v) => v.name === 'track_artist_names')!;
    expect(names.createStatement).toContain('LISTAGG');
    expect(viewDefinitions('duckdb').find((v) => v.name === 'track_artist_names')!.createStatement).toContain('STRING_AGG');
  });

  test('analysis SQL is the same for both dialects unless a .duckdb.sql sits beside it', () => {
    expect(analysisSql('explicit_share', 'duckdb')).toBe(analysisSql('explicit_share', 'snowflake'));
    expect(analysisSql('explicit_share')).not.toMatch(/^--/);
  });
});
