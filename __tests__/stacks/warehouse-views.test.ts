/**
 * The views of snowflake-sql/views in the warehouse stack: one snowflake_view per Snowflake-dialect file and per
 * generated commit view (attempt_loads, committed_attempts, committed_<table> for every data table of tables.json), its statement
 * the file's SELECT with tables and views fully qualified, ordered after what it reads, and readable by the analyst
 * role. The expectations are read from the SQL files and tables.json themselves, not from the stack's helpers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { View } from '@cdktf/provider-snowflake/lib/view';
import { SQL_DIR, viewDefinitions } from '../../warehouse/snowflake-sql';
import { DATA_TABLES, TABLE_NAMES } from '../../schemas/table-schemas';
import { qualifyViewStatement } from '../../constructs/snowflake-view';
import { SNOWFLAKE_PREVIEW_FEATURES } from '../../stacks/warehouse-stack';
import { named, refTo, resources, synthPipeline, type Synthesised, type TfJson } from './synth-helper';

const VIEWS_DIR = join(SQL_DIR, 'views');
const QUALIFIER = 'SPOTIFY_DEV.RAW.';

/** The view files (both warehouses read them; the templates render the generated views). */
const snowflakeViewFiles = readdirSync(VIEWS_DIR)
  .filter((file) => file.endsWith('.sql') && !file.endsWith('.template.sql'))
  .sort();
/** Views rendered from the templates for schemas/tables.json: the visible attempts, and each data table's rows of them. */
const generatedViews = ['attempt_loads', 'committed_attempts', ...DATA_TABLES.map((t) => `committed_${t.name}`)].sort();
const allViewNames = [...snowflakeViewFiles.map((f) => f.slice(0, -'.sql'.length)), ...generatedViews].sort();

/** A file's SELECT as written: without comment lines, the CREATE header and the semicolon. */
function selectOfFile(file: string): string {
  const name = file.slice(0, -'.sql'.length);
  const body = readFileSync(join(VIEWS_DIR, file), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .trim()
    .replace(/;\s*$/, '');
  const header = new RegExp(`^CREATE OR REPLACE VIEW ${name} AS\\s+`, 'i');
  expect(body).toMatch(header);
  return body.replace(header, '');
}

/** Names after FROM/JOIN that are not CTEs of the statement (and not subqueries). */
function objectsRead(statement: string): string[] {
  const ctes = new Set([...statement.matchAll(/(?:\bWITH\s+|,\s*)(\w+)\s+AS\s*\(/gi)].map((m) => m[1].toLowerCase()));
  return [...statement.matchAll(/\b(?:FROM|JOIN)\s+([\w.$]+)/gi)].map((m) => m[1]).filter((name) => !ctes.has(name.toLowerCase()));
}

/** `<type>.<logical id>` of the one resource of a type with a given Snowflake name: what depends_on lists. */
function address(tf: TfJson, type: string, name: string): string {
  const entries = Object.entries(tf.resource[type] ?? {}).filter(([, r]) => r.name === name);
  expect(entries).toHaveLength(1);
  return `${type}.${entries[0][0]}`;
}

describe('warehouse stack views (dev)', () => {
  let s: Synthesised;
  let views: Record<string, any>[];
  const viewNamed = (name: string) => views.find((v) => v.name === name.toUpperCase())!;
  beforeAll(() => {
    s = synthPipeline();
    views = resources(s.warehouse, 'snowflake_view');
  });

  it('creates one view per Snowflake view file and per generated commit view, in the database and schema of the tables', () => {
    expect(snowflakeViewFiles.length).toBeGreaterThanOrEqual(10);
    expect(views.map((v) => v.name).sort()).toEqual(allViewNames.map((n) => n.toUpperCase()).sort());
    for (const view of views) {
      expect(view).toMatchObject({ database: 'SPOTIFY_DEV', schema: 'RAW', copy_grants: true });
      // The provider parses the view's text back to find its SELECT: the comment keeps clear of ( , ) and quotes.
      expect(view.comment).toMatch(/^Defined in snowflake-sql\/views\/[a-z_]+(\.template)?\.sql$/);
    }
    expect(s.text.warehouse).toHaveResourceWithProperties(View, { name: 'CURRENT_TRACKS', database: 'SPOTIFY_DEV', schema: 'RAW' });
  });

  it.each(snowflakeViewFiles)('%s: the statement is the file’s SELECT with every table and view fully qualified', (file) => {
    const statement: string = viewNamed(file.slice(0, -'.sql'.length)).statement;
    // Nothing but the qualification differs from the file (the Snowflake spelling, not the DuckDB twin).
    expect(statement.split(QUALIFIER).join('')).toBe(selectOfFile(file));
    expect(statement).toMatch(/^(SELECT|WITH)\b/);
    expect(statement).not.toMatch(/--|;\s*$|\{\{|CREATE /);
    const read = objectsRead(statement);
    expect(read.length).toBeGreaterThan(0);
    for (const name of read) {
      expect(name.startsWith(QUALIFIER)).toBe(true);
      expect([...TABLE_NAMES, ...allViewNames]).toContain(name.slice(QUALIFIER.length));
      // Loaded tables hold every attempt: the hand-written views read them through committed_<table> only.
      expect(TABLE_NAMES).not.toContain(name.slice(QUALIFIER.length));
    }
  });

  it('every data table of tables.json has its committed view: its rows of the visible attempts, each key once', () => {
    for (const spec of DATA_TABLES) {
      const statement: string = viewNamed(`committed_${spec.name}`).statement;
      expect(statement).toContain(`FROM ${QUALIFIER}committed_attempts AS a\n    JOIN ${QUALIFIER}attempt_loads AS l`);
      expect(statement).toContain(`WHERE l.table_name = '${spec.name}'`);
      expect(statement).toContain(`FROM ${QUALIFIER}${spec.name} AS t\n    JOIN visible AS v`);
      expect(statement).toContain(`PARTITION BY ${spec.key.map((k) => `t.${k}`).join(', ')}`);
    }
    const loads: string = viewNamed('attempt_loads').statement;
    expect(loads).toContain(`FROM ${QUALIFIER}transform_commits\n`);
    for (const spec of DATA_TABLES) expect(loads).toContain(`'${spec.name}' AS table_name, COUNT(*) AS row_count FROM ${QUALIFIER}${spec.name} GROUP BY`);
    expect(viewNamed('committed_attempts').statement).toContain(`FROM ${QUALIFIER}attempt_loads\n`);
  });

  it('qualifies the way the pipes do: <DATABASE>.<SCHEMA>.<table as in tables.json>', () => {
    const copy: string = resources(s.warehouse, 'snowflake_pipe').find((p) => p.name === 'TRACKS_PIPE')!.copy_statement;
    expect(copy).toMatch(/^COPY INTO SPOTIFY_DEV\.RAW\.tracks\b/);
    expect(viewNamed('committed_tracks').statement).toMatch(/\bFROM SPOTIFY_DEV\.RAW\.tracks AS t\n/);
    expect(viewNamed('current_tracks').statement).toMatch(/\bFROM SPOTIFY_DEV\.RAW\.committed_tracks\n/);
    expect(viewNamed('playlist_chart').statement).toContain('FROM SPOTIFY_DEV.RAW.committed_playlist_tracks AS p\n');
    expect(viewNamed('current_track_artists').statement).toContain(
      'FROM SPOTIFY_DEV.RAW.committed_track_artists AS ta\nJOIN SPOTIFY_DEV.RAW.current_tracks AS t',
    );
    // LISTAGG is Snowflake's spelling, deployed as written (the local warehouse rewrites it for DuckDB).
    expect(viewNamed('track_artist_names').statement).toContain('LISTAGG(');
    expect(viewNamed('track_artist_names').statement).not.toContain('STRING_AGG');
    // CTEs stay as they are.
    expect(viewNamed('chart_movements').statement).toContain('FROM week_pairs AS wp');
  });

  it.each(allViewNames)('%s: depends on the tables and views it reads, the schema and the warehouse', (name) => {
    const view = viewNamed(name);
    const expected = objectsRead(view.statement).map((qualified) => {
      const name = qualified.slice(QUALIFIER.length).toUpperCase();
      return TABLE_NAMES.includes(name.toLowerCase()) ? address(s.warehouse, 'snowflake_table', name) : address(s.warehouse, 'snowflake_view', name);
    });
    expect(view.depends_on).toEqual(expect.arrayContaining(expected));
    expect(view.depends_on).toEqual(
      expect.arrayContaining([address(s.warehouse, 'snowflake_schema', 'RAW'), address(s.warehouse, 'snowflake_warehouse', s.config.snowflake.warehouse)]),
    );
    // Nothing else: a view does not wait for tables or views it does not read.
    const others = (view.depends_on as string[]).filter((d) => /^snowflake_(table|view)\./.test(d));
    expect(others.sort()).toEqual([...new Set(expected)].sort());
  });

  it('orders the views by what they read (the chart before its movements, tracks before their credits)', () => {
    const dependsOn = (name: string) => viewNamed(name).depends_on as string[];
    expect(dependsOn('chart_movements')).toContain(address(s.warehouse, 'snowflake_view', 'PLAYLIST_CHART'));
    expect(dependsOn('current_playlist_items')).toContain(address(s.warehouse, 'snowflake_view', 'PLAYLIST_CHART'));
    expect(dependsOn('playlist_chart')).toContain(address(s.warehouse, 'snowflake_view', 'COMMITTED_PLAYLIST_TRACKS'));
    expect(dependsOn('committed_playlist_tracks')).toEqual(
      expect.arrayContaining([address(s.warehouse, 'snowflake_table', 'PLAYLIST_TRACKS'), address(s.warehouse, 'snowflake_view', 'COMMITTED_ATTEMPTS')]),
    );
    expect(dependsOn('attempt_loads')).toContain(address(s.warehouse, 'snowflake_table', 'TRANSFORM_COMMITS'));
    expect(dependsOn('committed_attempts')).toContain(address(s.warehouse, 'snowflake_view', 'ATTEMPT_LOADS'));
    expect(dependsOn('current_track_artists')).toEqual(
      expect.arrayContaining([address(s.warehouse, 'snowflake_view', 'COMMITTED_TRACK_ARTISTS'), address(s.warehouse, 'snowflake_view', 'CURRENT_TRACKS')]),
    );
    expect(dependsOn('track_artist_names')).toEqual(
      expect.arrayContaining([address(s.warehouse, 'snowflake_view', 'CURRENT_TRACK_ARTISTS'), address(s.warehouse, 'snowflake_view', 'CURRENT_ARTISTS')]),
    );
    // The view graph has no cycle, so Terraform can order it.
    const edges = new Map(views.map((v) => [address(s.warehouse, 'snowflake_view', v.name), (v.depends_on as string[]).filter((d) => d.startsWith('snowflake_view.'))]));
    const done = new Set<string>();
    const visit = (node: string, path: string[]) => {
      expect(path).not.toContain(node);
      if (done.has(node)) return;
      for (const next of edges.get(node)!) visit(next, [...path, node]);
      done.add(node);
    };
    for (const node of edges.keys()) visit(node, []);
  });

  it.each(allViewNames)('%s: the analyst role can select from it, once it exists', (view) => {
    const name = view.toUpperCase();
    const grants = resources(s.warehouse, 'snowflake_grant_privileges_to_account_role').filter(
      (g) => g.on_schema_object?.object_type === 'VIEW' && g.on_schema_object?.object_name === `${QUALIFIER}${name}`,
    );
    expect(grants).toHaveLength(1);
    const [grant] = grants;
    expect(grant.account_role_name).toBe(refTo(s.warehouse, 'snowflake_account_role', 'name', named('SPOTIFY_PIPELINE_DEV_ANALYST')));
    expect(grant.privileges).toEqual(['SELECT']);
    expect(grant.depends_on).toContain(address(s.warehouse, 'snowflake_view', name));
  });

  it('grants SELECT on all views only after they exist, and nothing on views to the loader', () => {
    const grants = resources(s.warehouse, 'snowflake_grant_privileges_to_account_role');
    const allViews = grants.find((g) => g.on_schema_object?.all?.object_type_plural === 'VIEWS')!;
    expect(allViews).toMatchObject({ account_role_name: refTo(s.warehouse, 'snowflake_account_role', 'name', named('SPOTIFY_PIPELINE_DEV_ANALYST')), privileges: ['SELECT'] });
    expect(allViews.depends_on).toEqual(expect.arrayContaining(views.map((v) => address(s.warehouse, 'snowflake_view', v.name))));
    const loaderOnViews = grants.filter(
      (g) =>
        g.account_role_name === refTo(s.warehouse, 'snowflake_account_role', 'name', named('SPOTIFY_PIPELINE_DEV_LOADER')) &&
        (g.on_schema_object?.object_type === 'VIEW' || g.on_schema_object?.all?.object_type_plural === 'VIEWS' || g.on_schema_object?.future?.object_type_plural === 'VIEWS'),
    );
    expect(loaderOnViews).toEqual([]);
  });

  it('gives the provider a warehouse to read views with, without requiring it at login', () => {
    const [provider] = s.warehouse.provider!.snowflake;
    expect(provider.warehouse).toBe(s.config.snowflake.warehouse);
    expect(provider.validate_default_parameters).toBe('false');
    // snowflake_view is a stable resource in 2.11: it has no preview feature to enable.
    expect(SNOWFLAKE_PREVIEW_FEATURES).not.toContain('snowflake_view_resource');
    expect(provider.preview_features_enabled).not.toContain('snowflake_view_resource');
  });
});

describe('qualifyViewStatement', () => {
  const names = { database: 'DB', schema: 'SCH' };
  const known = { tables: ['tracks', 'albums'], views: ['current_tracks', 'current_albums'] };
  const view = (select: string, dependsOn: string[] = []) => ({ name: 'v', file: 'v.sql', select, dependsOn });

  it('qualifies tables and views after FROM and JOIN, and reports what the view reads', () => {
    const result = qualifyViewStatement(
      view('SELECT t.x FROM tracks AS t\nLEFT JOIN current_albums a ON a.id = t.album_id\nJOIN albums\nON 1 = 1', ['current_albums']),
      names,
      known,
    );
    expect(result.statement).toBe('SELECT t.x FROM DB.SCH.tracks AS t\nLEFT JOIN DB.SCH.current_albums a ON a.id = t.album_id\nJOIN DB.SCH.albums\nON 1 = 1');
    expect(result).toMatchObject({ tables: ['albums', 'tracks'], views: ['current_albums'] });
  });

  it('leaves CTEs, subqueries, table functions and EXTRACT(... FROM ...) alone', () => {
    const select =
      'WITH latest AS (SELECT * FROM tracks), x AS (SELECT EXTRACT(year FROM release_date) AS y FROM albums)\n' +
      'SELECT * FROM latest JOIN (SELECT 1 AS one FROM x) AS s ON TRUE, TABLE(FLATTEN(input => latest.genres))';
    const result = qualifyViewStatement(view(select), names, known);
    expect(result.statement).toBe(select.replace('FROM tracks', 'FROM DB.SCH.tracks').replace('FROM albums', 'FROM DB.SCH.albums'));
    expect(result.tables).toEqual(['albums', 'tracks']);
  });

  it('refuses what it cannot qualify safely', () => {
    expect(() => qualifyViewStatement(view('SELECT * FROM songs'), names, known)).toThrow(/reads "songs", which is neither a loaded table/);
    expect(() => qualifyViewStatement(view('SELECT * FROM tracks, albums'), names, known)).toThrow(/names "albums" outside a FROM\/JOIN clause/);
    expect(() => qualifyViewStatement(view('WITH tracks AS (SELECT 1) SELECT * FROM tracks'), names, known)).toThrow(/CTE "tracks" that shadows the table/);
    expect(() => qualifyViewStatement(view('SELECT * FROM OTHER.tracks'), names, known)).toThrow(/already qualified/);
    expect(() => qualifyViewStatement(view('SELECT * FROM current_tracks'), names, known)).toThrow(/says it reads the views \[\] but its FROM\/JOIN clauses read \[current_tracks\]/);
    expect(() => qualifyViewStatement(view('SELECT 1 FROM tracks'), { database: 'DB; DROP', schema: 'SCH' }, known)).toThrow(/not a plain Snowflake identifier/);
  });

  it('accepts every Snowflake view file of the repository', () => {
    const definitions = viewDefinitions();
    for (const definition of definitions) {
      expect(() => qualifyViewStatement(definition, names, { tables: TABLE_NAMES, views: definitions.map((d) => d.name) })).not.toThrow();
    }
  });
});
