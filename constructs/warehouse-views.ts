/**
 * The views of snowflake-sql/views (via viewDefinitions(); the same files the local warehouse reads), each a SnowflakeView
 * created after the tables and the views it reads.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Table } from '@cdktf/provider-snowflake/lib/table';
import type { View } from '@cdktf/provider-snowflake/lib/view';
import type { ViewDefinition } from '../warehouse/snowflake-sql';
import { SnowflakeView } from './snowflake-view';

export interface WarehouseViewsProps {
  /** The views of snowflake-sql/views in dependency order: each view after the views it reads. Required. */
  definitions: readonly ViewDefinition[];
  /** Database the views are created in. Required. */
  database: string;
  /** Schema the views are created in. Required. */
  schema: string;
  /** The loaded tables by their lower-case name, which the views read. Required. */
  tables: ReadonlyMap<string, Table>;
  /** What every view needs first (the schema, the warehouse the provider reads views with). Required. */
  dependsOn: ITerraformDependable[];
}

export class WarehouseViews extends Construct {
  /** In creation order. */
  readonly views: SnowflakeView[];

  constructor(scope: Construct, id: string, props: WarehouseViewsProps) {
    super(scope, id);
    const created = new Map<string, View>();
    const allViewNames = props.definitions.map((d) => d.name);
    this.views = props.definitions.map((definition) => {
      const view = new SnowflakeView(this, `view-${definition.name}`, {
        definition,
        database: props.database,
        schema: props.schema,
        tables: props.tables,
        views: created,
        allViewNames,
        dependsOn: props.dependsOn,
      });
      created.set(definition.name, view.view);
      return view;
    });
  }
}
