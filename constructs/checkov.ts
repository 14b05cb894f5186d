/**
 * Per-resource checkov skips, written next to the resource they concern. checkov 3's terraform_json runner reads
 * no inline suppressions, so the skip is stored in the resource's `//` comment property (which Terraform
 * ignores) and scripts/checkov-report.ts applies it: a finding is accepted only for the resource that carries a
 * skip of that check, and every accepted finding is printed with its reason. A future resource failing the same
 * check fails the scan.
 */
import type { TerraformResource } from 'cdktf';

export interface CheckovSkip {
  /** e.g. CKV_AWS_18 */
  id: string;
  reason: string;
}

const skipsByResource = new WeakMap<TerraformResource, CheckovSkip[]>();

/** Skips one checkov check for one resource, saying why. */
export function skipCheck(resource: TerraformResource, id: string, reason: string): void {
  if (!/^CKV2?_AWS_\d+$/.test(id)) throw new Error(`"${id}" is not a checkov AWS check id (CKV_AWS_<n> or CKV2_AWS_<n>)`);
  if (reason.trim().length < 30) throw new Error(`the skip of ${id} needs a reason a reviewer can judge (a sentence, not "${reason}")`);
  const skips = skipsByResource.get(resource) ?? [];
  skips.push({ id, reason: reason.trim() });
  skipsByResource.set(resource, skips);
  resource.addOverride('//.checkov_skip', skips.map((s) => `${s.id}: ${s.reason}`));
}

/** The skips in a synthesised stack (cdk.tf.json), with the address of the resource that carries each. */
export function checkovSkips(tf: { resource?: Record<string, Record<string, Record<string, any>>> }): (CheckovSkip & { address: string })[] {
  const found: (CheckovSkip & { address: string })[] = [];
  for (const [type, byId] of Object.entries(tf.resource ?? {})) {
    for (const [id, body] of Object.entries(byId)) {
      for (const entry of (body['//']?.checkov_skip ?? []) as string[]) {
        const match = /^(CKV2?_AWS_\d+): (.+)$/s.exec(entry);
        if (match) found.push({ address: `${type}.${id}`, id: match[1], reason: match[2] });
      }
    }
  }
  return found;
}
