/**
 * A Snowflake view from snowflake-sql/views/<name>.sql (via viewDefinitions()), with every table and
 * view it reads fully qualified the same way the pipes' COPY statements are (`<DATABASE>.<SCHEMA>.<name>`), and
 * Terraform dependencies on exactly those tables and views.
 *
 * The SQL files stay unqualified so the same files run on the local DuckDB warehouse; the qualification happens
 * here, at synth time, and refuses anything it cannot place: a FROM/JOIN target that is neither a loaded table,
 * a view nor a CTE of the statement, a CTE that shadows a table or view, or a table/view name left unqualified
 * elsewhere in the statement (a comma join, say).
 *
 * snowflakedb/snowflake 2.11 facts behind the settings:
 * - snowflake_view is a stable resource (not a preview feature), so it is not in preview_features_enabled.
 * - `statement` is the SELECT only (no CREATE header, no comments, no trailing semicolon): the provider reads the
 *   view's text back, cuts it after `AS` and compares it whitespace-normalised with `statement`.
 * - The provider parses the view's text to find that `AS`, so the comment avoids quotes, `(`, `,` and `)`.
 * - A changed statement recreates the view (CREATE OR REPLACE); copy_grants keeps the analyst's SELECT.
 * - Reading a view queries POLICY_REFERENCES, which needs a warehouse in the provider's session (see the stack).
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Table } from '@cdktf/provider-snowflake/lib/table';
import { View } from '@cdktf/provider-snowflake/lib/view';
import { assertIdentifier, type ViewDefinition } from '../warehouse/snowflake-sql';
import { snowflakeName } from './snowpipe-table';

const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_$]*';

export interface ViewStatementNames {
  /** The database the view's tables and views are qualified with. Required. */
  database: string;
  /** The schema the view's tables and views are qualified with. Required. */
  schema: string;
}

export interface QualifiedViewStatement {
  /** The view's SELECT with each table and view it reads written `<database>.<schema>.<name>`. */
  statement: string;
  /** Loaded tables the view reads (lower-case, as in schemas/tables.json), sorted. */
  tables: string[];
  /** Other views the view reads (file names), sorted. */
  views: string[];
}

/**
 * Fully qualifies the tables and views a view's SELECT reads. `known.tables` are the loaded tables, `known.views`
 * every view of snowflake-sql/views (names as written in the SQL, compared case-insensitively).
 */
export function qualifyViewStatement(
  view: Pick<ViewDefinition, 'name' | 'file' | 'select' | 'dependsOn'>,
  names: ViewStatementNames,
  known: { tables: readonly string[]; views: readonly string[] },
): QualifiedViewStatement {
  assertIdentifier('database', names.database);
  assertIdentifier('schema', names.schema);
  const tables = new Set(known.tables.map((t) => t.toLowerCase()));
  const views = new Set(known.views.map((v) => v.toLowerCase()));
  const source = `${view.file} (view ${view.name})`;

  const ctes = new Set<string>();
  for (const match of view.select.matchAll(new RegExp(`(?:\\bWITH\\s+|,\\s*)(${IDENTIFIER})\\s+AS\\s*\\(`, 'gi'))) {
    const cte = match[1].toLowerCase();
    if (tables.has(cte) || views.has(cte)) {
      throw new Error(`${source} defines a CTE "${match[1]}" that shadows the ${tables.has(cte) ? 'table' : 'view'} of that name; rename the CTE.`);
    }
    ctes.add(cte);
  }

  const readTables = new Set<string>();
  const readViews = new Set<string>();
  const statement = view.select.replace(
    new RegExp(`\\b(FROM|JOIN)(\\s+)(${IDENTIFIER})(?![A-Za-z0-9_$])(\\s*)([.(]?)`, 'gi'),
    (whole, keyword: string, space: string, name: string, gap: string, next: string, offset: number) => {
      if (next === '(') return whole; // a table function: TABLE(...), FLATTEN(...)
      // EXTRACT(part FROM col), TRIM(x FROM col), SUBSTRING(s FROM n), POSITION(a IN b): not a table reference.
      if (/\b(?:EXTRACT|TRIM|SUBSTRING|POSITION)\s*\([^()]*$/i.test(view.select.slice(0, offset))) return whole;
      if (next === '.') {
        throw new Error(
          `${source} reads "${name}.…" already qualified; the SQL files stay unqualified (they also run on DuckDB) and the stack qualifies them.`,
        );
      }
      const lower = name.toLowerCase();
      if (ctes.has(lower)) return whole;
      if (tables.has(lower)) readTables.add(lower);
      else if (views.has(lower)) readViews.add(lower);
      else {
        throw new Error(
          `${source} reads "${name}", which is neither a loaded table (${[...tables].join(', ')}), a view nor a CTE of the statement.`,
        );
      }
      return `${keyword}${space}${names.database}.${names.schema}.${name}${gap}${next}`;
    },
  );

  // Anything still unqualified (a comma join, a reference the FROM/JOIN rule did not see) would resolve against
  // the session's schema in Snowflake, not the view's: refuse it rather than deploy a view that breaks.
  // String literals are values, not references (committed_attempts labels its counts with table names).
  const withoutLiterals = statement.replace(/'(?:[^']|'')*'/g, "''");
  for (const object of [...tables, ...views]) {
    const loose = new RegExp(`(?<![A-Za-z0-9_$.])${object}(?![A-Za-z0-9_$])`, 'i').exec(withoutLiterals);
    if (loose) {
      throw new Error(`${source} names "${object}" outside a FROM/JOIN clause the stack can qualify; write it as FROM/JOIN ${object}.`);
    }
  }

  const expectedViews = [...new Set(view.dependsOn.map((v) => v.toLowerCase()))].sort();
  const foundViews = [...readViews].sort();
  if (expectedViews.join() !== foundViews.join()) {
    throw new Error(
      `${source}: viewDefinitions() says it reads the views [${expectedViews.join(', ')}] but its FROM/JOIN clauses read [${foundViews.join(', ')}].`,
    );
  }
  return { statement, tables: [...readTables].sort(), views: foundViews };
}

export interface SnowflakeViewProps {
  /** The view's name and SELECT, from its file in snowflake-sql/views. Required. */
  definition: ViewDefinition;
  /** Database the view is created in. Required. */
  database: string;
  /** Schema the view is created in. Required. */
  schema: string;
  /** The loaded tables by their lower-case name (schemas/tables.json). Required. */
  tables: ReadonlyMap<string, Table>;
  /** The views created so far, by file name: viewDefinitions() yields each view after the views it reads. Required. */
  views: ReadonlyMap<string, View>;
  /** Every view of snowflake-sql/views, so a reference to one not yet created is told apart from a typo. Required. */
  allViewNames: readonly string[];
  /** Objects every view needs first (the schema, the warehouse the provider reads views with). Required. */
  dependsOn: ITerraformDependable[];
}

export class SnowflakeView extends Construct {
  readonly definition: ViewDefinition;
  readonly qualified: QualifiedViewStatement;
  readonly view: View;

  constructor(scope: Construct, id: string, props: SnowflakeViewProps) {
    super(scope, id);
    const { definition } = props;
    this.definition = definition;
    this.qualified = qualifyViewStatement(definition, props, { tables: [...props.tables.keys()], views: props.allViewNames });
    const tableDeps = this.qualified.tables.map((name) => props.tables.get(name)!);
    const viewDeps = this.qualified.views.map((name) => {
      const view = props.views.get(name);
      if (!view) throw new Error(`View ${definition.name} reads ${name}, which has not been created before it; create views in viewDefinitions() order.`);
      return view;
    });
    this.view = new View(this, 'view', {
      database: props.database,
      schema: props.schema,
      name: snowflakeName(definition.name),
      comment: `Defined in snowflake-sql/views/${definition.file.split(/[\\/]/).pop()}`,
      statement: this.qualified.statement,
      // A changed statement recreates the view with CREATE OR REPLACE: keep the grants on it.
      copyGrants: true,
      dependsOn: [...tableDeps, ...viewDeps, ...props.dependsOn],
    });
  }
}
