/**
 * A Snowflake table fed by its own auto-ingest pipe: the table's columns come from the one schema source
 * (schemas/tables.json via schemas/table-schemas.ts, plus the load metadata columns) and the pipe's COPY
 * statement from snowflake-sql/pipes/<table>.copy.sql.
 *
 * A changed copy_statement recreates the pipe, and a new pipe has no load history: files still in the
 * stage would load again. The views de-duplicate on source_file, so history stays correct (see
 * docs/architecture.md), but change COPY statements deliberately.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Table } from '@cdktf/provider-snowflake/lib/table';
import { Pipe } from '@cdktf/provider-snowflake/lib/pipe';
import { loadedColumns, snowflakeType, type TableSpec } from '../schemas/table-schemas';
import { renderCopyStatement } from '../warehouse/snowflake-sql';

export interface SnowpipeTableProps {
  /** The table's entry of schemas/tables.json (name and columns). Required. */
  spec: TableSpec;
  /** Database of the table and its pipe. Required. */
  database: string;
  /** Schema of the table and its pipe. Required. */
  schema: string;
  /** Name of the external stage on processed/ the pipe copies from. Required. */
  stage: string;
  /** Name of the Parquet file format. Required. */
  fileFormat: string;
  /** The notification integration the pipe reports load errors to. Default: none, errors stay in COPY_HISTORY. */
  errorIntegration?: string;
  /** Objects the pipe's COPY needs to exist first (stage, file format, the integration's role policy). Required. */
  dependsOn: ITerraformDependable[];
}

/** Unquoted Snowflake identifiers resolve upper-case; the provider quotes names, so create them upper-case. */
export function snowflakeName(name: string): string {
  return name.toUpperCase();
}

export class SnowpipeTable extends Construct {
  readonly spec: TableSpec;
  readonly table: Table;
  readonly pipe: Pipe;

  constructor(scope: Construct, id: string, props: SnowpipeTableProps) {
    super(scope, id);
    const { spec } = props;
    this.spec = spec;
    this.table = new Table(this, 'table', {
      database: props.database,
      schema: props.schema,
      name: snowflakeName(spec.name),
      comment: spec.description,
      column: loadedColumns(spec).map((column) => ({
        name: snowflakeName(column.name),
        type: snowflakeType(column.type),
        nullable: column.nullable,
        comment: column.description,
      })),
    });
    this.pipe = new Pipe(this, 'pipe', {
      database: props.database,
      schema: props.schema,
      name: snowflakeName(`${spec.name}_pipe`),
      comment: `Auto-ingest of processed/${spec.name}/ into ${snowflakeName(spec.name)}.`,
      autoIngest: true,
      errorIntegration: props.errorIntegration,
      copyStatement: renderCopyStatement(spec.name, {
        database: props.database,
        schema: props.schema,
        stage: props.stage,
        fileFormat: props.fileFormat,
      }),
      dependsOn: [this.table, ...props.dependsOn],
    });
  }
}
