/**
 * The stacks of an environment and their names: one definition for the cdktf app (stacks/common.ts) and for
 * `pipeline deploy`, which finds each stack's synthesised folder by its name. No cdktf import, so the CLI loads it
 * cheaply.
 */
import { resourceNames, type PipelineConfig } from '../config/pipeline-config';

/** The stacks in deploy order: each reads outputs of the ones before it. */
export const STACK_ORDER = ['storage', 'compute', 'warehouse'] as const;
export type StackKind = (typeof STACK_ORDER)[number];

/** `<project>-<environment>-<kind>`, e.g. spotify-pipeline-dev-compute: the stack's id and its cdktf.out folder. */
export function stackName(config: PipelineConfig, kind: StackKind): string {
  return `${resourceNames(config).prefix}-${kind}`;
}
