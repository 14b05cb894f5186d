/**
 * Opens the warehouse a CLI command works on: the embedded DuckDB file (local) or the deployed Snowflake account.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PipelineConfig } from '../config/pipeline-config';
import { LocalWarehouse } from '../local/warehouse/local-warehouse';
import type { SnowflakeWarehouse } from '../warehouse/snowflake-warehouse';

export type WarehouseTarget = 'local' | 'snowflake';

export function parseTarget(value: string): WarehouseTarget {
  if (value !== 'local' && value !== 'snowflake') throw new Error(`--target must be local or snowflake (got "${value}")`);
  return value;
}

export type OpenedWarehouse = { target: 'local'; warehouse: LocalWarehouse } | { target: 'snowflake'; warehouse: SnowflakeWarehouse };

export async function openWarehouse(
  config: PipelineConfig,
  target: WarehouseTarget,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenedWarehouse> {
  if (target === 'snowflake') {
    // Loaded on demand: snowflake-sdk pulls in the AWS SDK, which the local target never needs.
    const { SnowflakeWarehouse, snowflakeSettingsFromConfig } = await import('../warehouse/snowflake-warehouse');
    return { target, warehouse: await SnowflakeWarehouse.connect(snowflakeSettingsFromConfig(config, env)) };
  }
  const file = resolve(config.local.warehouseFile);
  if (!existsSync(file)) {
    throw new Error(`No local warehouse at ${file}. Run \`pipeline run\` first: it loads the processed files into it.`);
  }
  return { target, warehouse: await LocalWarehouse.open(file) };
}
