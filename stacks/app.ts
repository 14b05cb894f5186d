/**
 * Wires the three stacks of one environment into a cdktf App. Deploy order follows the references:
 * storage -> compute -> warehouse (cdktf deploy orders them itself).
 */
import { App } from 'cdktf';
import type { PipelineConfig } from '../config/pipeline-config';
import type { LambdaBundle } from '../handlers/build';
import { StorageStack } from './storage-stack';
import { ComputeStack } from './compute-stack';
import { WarehouseStack } from './warehouse-stack';

/** The app and its three stacks, for tests and tools that look inside them. */
export interface PipelineStacks {
  app: App;
  storage: StorageStack;
  compute: ComputeStack;
  warehouse: WarehouseStack;
}

export interface BuildPipelineAppOptions {
  /** The app to add the stacks to (tests pass Testing.app()). Default: a new App (outdir from CDKTF_OUTDIR or cdktf.out). */
  app?: App;
  /** Prebuilt Lambda bundles. Default: built with esbuild (handlers/build.ts). */
  bundles?: LambdaBundle[];
}

export function buildPipelineApp(config: PipelineConfig, options: BuildPipelineAppOptions = {}): PipelineStacks {
  const app = options.app ?? new App();
  const storage = new StorageStack(app, config);
  const compute = new ComputeStack(app, config, { storage, bundles: options.bundles });
  const warehouse = new WarehouseStack(app, config, { storage, compute });
  return { app, storage, compute, warehouse };
}
