/**
 * Snowpipe loading: one table per entry of schemas/tables.json, each fed by its own auto-ingest pipe whose COPY
 * comes from snowflake-sql/pipes/<table>.copy.sql (SnowpipeTable). The S3 event entries that feed the pipes'
 * queue are part of the bucket's one notification configuration (see the warehouse stack).
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Table } from '@cdktf/provider-snowflake/lib/table';
import type { TableSpec } from '../schemas/table-schemas';
import { SnowpipeTable } from './snowpipe-table';

export interface SnowpipeLoadingProps {
  /** The tables to load, one pipe each (schemas/tables.json). Required. */
  tables: readonly TableSpec[];
  /** Database of the tables and pipes. Required. */
  database: string;
  /** Schema of the tables and pipes. Required. */
  schema: string;
  /** Name of the external stage on processed/ the pipes copy from. Required. */
  stage: string;
  /** Name of the Parquet file format. Required. */
  fileFormat: string;
  /** The notification integration every pipe reports load errors to. Default: none, errors stay in COPY_HISTORY. */
  errorIntegration?: string;
  /** The S3 prefix the pipes load from (processed/); each table's queue entry filters on <prefix><table>/. Required. */
  processedPrefix: string;
  /** Objects every pipe's COPY needs first (schema, stage, file format). Required. */
  dependsOn: ITerraformDependable[];
}

/** One entry of the bucket notification's `queue` list. */
export interface PipeQueueEntry {
  /** The entry's id in the notification configuration. */
  id: string;
  /** The pipes' SQS queue (every pipe of an account shares Snowflake's one notification channel). */
  queueArn: string;
  /** The S3 events that notify the queue. */
  events: string[];
  /** Key prefix of the objects that notify it (processed/<table>/). */
  filterPrefix: string;
  /** Key suffix of the objects that notify it (.parquet). */
  filterSuffix: string;
}

export class SnowpipeLoading extends Construct {
  readonly tables: SnowpipeTable[];

  constructor(scope: Construct, id: string, private readonly props: SnowpipeLoadingProps) {
    super(scope, id);
    this.tables = props.tables.map(
      (spec) =>
        new SnowpipeTable(this, `table-${spec.name}`, {
          spec,
          database: props.database,
          schema: props.schema,
          stage: props.stage,
          fileFormat: props.fileFormat,
          errorIntegration: props.errorIntegration,
          dependsOn: props.dependsOn,
        }),
    );
  }

  /** The loaded tables by their lower-case name (schemas/tables.json). */
  tablesByName(): Map<string, Table> {
    return new Map(this.tables.map((t) => [t.spec.name, t.table]));
  }

  /**
   * The notification entries that send processed/<table>/*.parquet to the pipes' queue: one per table prefix
   * (S3 refuses overlapping filters); every auto-ingest pipe of an account and region shares one queue, and each
   * pipe loads only what its COPY path matches. Spark's _SUCCESS markers do not match the suffix.
   */
  queueEntries(): PipeQueueEntry[] {
    return this.tables.map((t) => ({
      id: `processed-${t.spec.name}-to-snowpipe`,
      queueArn: t.pipe.notificationChannel,
      events: ['s3:ObjectCreated:*'],
      filterPrefix: `${this.props.processedPrefix}${t.spec.name}/`,
      filterSuffix: '.parquet',
    }));
  }
}
