/**
 * The Snowflake objects everything else lives in: the database, its schema, the XSMALL auto-suspending query
 * warehouse, and the Parquet file format the stage and the pipes read processed/ with.
 */
import { Construct } from 'constructs';
import { Database } from '@cdktf/provider-snowflake/lib/database';
import { FileFormat } from '@cdktf/provider-snowflake/lib/file-format';
import { Schema } from '@cdktf/provider-snowflake/lib/schema';
import { Warehouse } from '@cdktf/provider-snowflake/lib/warehouse';

export const FILE_FORMAT_NAME = 'PARQUET_FORMAT';

export interface AnalyticsDatabaseProps {
  /** The environment's name (dev, prod), shown in the database's comment. Required. */
  environmentName: string;
  /** Name of the database (snowflake.database). Required. */
  database: string;
  /** Name of the schema the tables, pipes and views live in (snowflake.schema). Required. */
  schema: string;
  /** Name of the query warehouse (snowflake.warehouse). Required. */
  warehouse: string;
}

export class AnalyticsDatabase extends Construct {
  readonly database: Database;
  readonly schema: Schema;
  readonly warehouse: Warehouse;
  readonly fileFormat: FileFormat;
  /** `<DATABASE>.<SCHEMA>`, as grants name the schema. */
  readonly schemaFqn: string;

  constructor(scope: Construct, id: string, props: AnalyticsDatabaseProps) {
    super(scope, id);
    this.schemaFqn = `${props.database}.${props.schema}`;
    this.database = new Database(this, 'database', {
      name: props.database,
      comment: `Spotify pipeline (${props.environmentName}): loaded tables, views and analysis.`,
    });
    this.schema = new Schema(this, 'schema', {
      database: this.database.name,
      name: props.schema,
      // Managed access: only the schema owner (the deploy role) grants privileges on its objects, future grants
      // included, which it may then do without the account-wide MANAGE GRANTS privilege.
      withManagedAccess: 'true',
      comment: 'Tables loaded by Snowpipe from processed/, and the views over them.',
    });
    this.warehouse = new Warehouse(this, 'warehouse', {
      name: props.warehouse,
      warehouseSize: 'XSMALL',
      autoSuspend: 60,
      autoResume: 'true',
      initiallySuspended: true,
      comment: 'Queries of the Spotify pipeline; Snowpipe loads use serverless compute, not this warehouse.',
    });
    this.fileFormat = new FileFormat(this, 'parquet', {
      database: this.database.name,
      schema: this.schema.name,
      name: FILE_FORMAT_NAME,
      formatType: 'PARQUET',
      compression: 'AUTO',
      comment: 'The Parquet files the Glue job writes to processed/.',
    });
  }
}
