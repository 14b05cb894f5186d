/**
 * Production Snowflake objects that hold data (the database, its schema, the loaded tables, the stage on processed/)
 * carry Terraform's `prevent_destroy`: a plan that would drop or replace one fails instead of running, whoever
 * applies it. Loaded history cannot be rebuilt from a replaced table without reloading every file, and a dropped
 * database takes the views and the dashboard with it.
 *
 * Tearing down on purpose is `pipeline destroy --env prod --confirm prod` (cli/commands/deploy.ts): it synthesises with
 * PIPELINE_ALLOW_DESTROY=1, which leaves the flag out, then destroys the stacks in reverse order (docs/deploying.md).
 */
import type { TerraformResource } from 'cdktf';
import type { PipelineConfig } from '../config/pipeline-config';

/** The environment variable that lifts the protection for one synth (what `pipeline destroy` sets). */
export const ALLOW_DESTROY_ENV = 'PIPELINE_ALLOW_DESTROY';

/** Whether this synth protects the data-holding objects: in prod, unless PIPELINE_ALLOW_DESTROY is set. */
export function protectsData(config: PipelineConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.environment === 'prod' && !['1', 'true'].includes(env[ALLOW_DESTROY_ENV] ?? '');
}

/** Sets prevent_destroy on each resource when the environment protects its data (keeps any other lifecycle settings). */
export function protectFromDestroy(config: PipelineConfig, resources: TerraformResource[], env: NodeJS.ProcessEnv = process.env): void {
  if (!protectsData(config, env)) return;
  for (const resource of resources) resource.lifecycle = { ...resource.lifecycle, preventDestroy: true };
}
