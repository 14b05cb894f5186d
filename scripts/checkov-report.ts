/**
 * Applies the per-resource checkov skips (constructs/checkov.ts) to checkov's JSON report of one synthesised stack.
 * A failed check passes only if the resource it failed on carries a skip of that check id; every accepted finding
 * is printed with its reason; a skip whose check no longer fails is stale and fails the scan too, so skips cannot
 * outlive their reason. Exit code 1 when anything is left.
 *
 *   npx tsx scripts/checkov-report.ts <stack dir>=<checkov json> [...]     (scripts/checkov.sh runs it)
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkovSkips } from '../constructs/checkov';

interface CheckovFinding {
  check_id: string;
  check_name?: string;
  /** `type.logicalId` for graph checks; `resource.logicalId` for python checks of terraform_json (checkov 3.3). */
  resource: string;
  file_line_range?: [number, number];
}

interface CheckovReport {
  summary?: { passed: number; failed: number };
  results?: { failed_checks?: CheckovFinding[]; passed_checks?: CheckovFinding[] };
}

type TfJson = { resource?: Record<string, Record<string, Record<string, any>>> };

export interface StackVerdict {
  passed: number;
  accepted: { id: string; address: string; reason: string }[];
  failures: { id: string; name: string; address: string }[];
  /** Skips declared on a resource for a check that did not fail there. */
  stale: { id: string; address: string }[];
}

/** The `type.logicalId` address a finding refers to (cdktf logical ids are unique within a stack). */
export function findingAddress(tf: TfJson, resource: string): string {
  const [first, ...rest] = resource.split('.');
  const id = rest.join('.');
  if (tf.resource?.[first]?.[id]) return resource;
  for (const [type, byId] of Object.entries(tf.resource ?? {})) if (byId[id]) return `${type}.${id}`;
  return resource;
}

export function evaluate(tf: TfJson, reports: CheckovReport | CheckovReport[]): StackVerdict {
  const list = Array.isArray(reports) ? reports : [reports];
  const failed = list.flatMap((r) => r.results?.failed_checks ?? []);
  const passed = list.reduce((n, r) => n + (r.summary?.passed ?? r.results?.passed_checks?.length ?? 0), 0);
  const skips = checkovSkips(tf);
  const verdict: StackVerdict = { passed, accepted: [], failures: [], stale: [] };
  const used = new Set<string>();
  for (const finding of failed) {
    const address = findingAddress(tf, finding.resource);
    const skip = skips.find((k) => k.address === address && k.id === finding.check_id);
    if (skip) {
      used.add(`${address} ${skip.id}`);
      if (!verdict.accepted.some((a) => a.address === address && a.id === skip.id)) verdict.accepted.push({ id: skip.id, address, reason: skip.reason });
    } else {
      verdict.failures.push({ id: finding.check_id, name: finding.check_name ?? '', address });
    }
  }
  for (const k of skips) if (!used.has(`${k.address} ${k.id}`)) verdict.stale.push({ id: k.id, address: k.address });
  return verdict;
}

function main(args: string[]): number {
  if (args.length === 0) {
    process.stderr.write('usage: checkov-report.ts <stack dir>=<checkov json> [...]\n');
    return 2;
  }
  let bad = 0;
  for (const arg of args) {
    const [dir, jsonFile] = arg.split('=');
    const tf = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as TfJson;
    const verdict = evaluate(tf, JSON.parse(readFileSync(jsonFile, 'utf8')));
    const stack = basename(dir.replace(/\/$/, ''));
    const out = [
      `== checkov: ${stack}: ${verdict.passed} passed, ${verdict.failures.length} failed, ${verdict.accepted.length} skipped per resource, ${verdict.stale.length} stale skips`,
    ];
    for (const f of verdict.failures) out.push(`  FAILED  ${f.id} ${f.name} -- ${f.address} (no skip on this resource; fix it, or skipCheck() it with the reason)`);
    for (const k of verdict.stale) out.push(`  STALE   ${k.id} on ${k.address}: the check passes now; remove the skipCheck()`);
    for (const a of verdict.accepted) out.push(`  skipped ${a.id} on ${a.address}: ${a.reason}`);
    process.stdout.write(`${out.join('\n')}\n`);
    bad += verdict.failures.length + verdict.stale.length;
  }
  return bad === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
