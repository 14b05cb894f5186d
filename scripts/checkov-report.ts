/**
 * Applies the per-resource checkov skips (constructs/checkov.ts) to checkov's JSON report of one synthesised stack.
 * A failed check passes only if the resource it failed on carries a skip of that check id; every accepted finding
 * is printed with its reason; a skip whose check no longer fails is stale and fails the scan too, so skips cannot
 * outlive their reason. Exit code 1 when anything is left.
 *
 *   npx tsx scripts/checkov-report.ts <synth output dir> <checkov json>     (scripts/checkov.sh runs it)
 * The report is one checkov run over the whole output folder; findings are grouped by the stack file they are in.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { checkovSkips } from '../constructs/checkov';

interface CheckovFinding {
  check_id: string;
  /** The scanned file, relative to the scanned folder with a leading slash, e.g. /stacks/<stack>/cdk.tf.json. */
  file_path?: string;
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

/** Every synthesised stack file under a cdktf output folder (stacks/<name>/, and prod/stacks/<name>/ and the like). */
export function stackFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === '.terraform' || entry.name === 'assets') continue;
      const path = join(dir, entry.name);
      if (existsSync(join(path, 'cdk.tf.json')) && basename(dir) === 'stacks') found.push(join(path, 'cdk.tf.json'));
      else walk(path);
    }
  };
  walk(root);
  return found.sort();
}

function main(args: string[]): number {
  if (args.length !== 2) {
    process.stderr.write('usage: checkov-report.ts <synth output dir> <checkov json>\n');
    return 2;
  }
  const [root, jsonFile] = args;
  const parsed = JSON.parse(readFileSync(jsonFile, 'utf8')) as CheckovReport | CheckovReport[];
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const findings = reports.flatMap((r) => r.results?.failed_checks ?? []);
  const passed = reports.reduce((n, r) => n + (r.summary?.passed ?? 0), 0);
  const files = stackFiles(root);
  if (files.length === 0) {
    process.stderr.write(`no synthesised stacks under ${root}\n`);
    return 2;
  }
  let bad = 0;
  const out = [`== checkov: ${files.length} stacks, ${passed} checks passed`];
  for (const file of files) {
    const rel = `/${relative(root, file).split(sep).join('/')}`;
    const tf = JSON.parse(readFileSync(file, 'utf8')) as TfJson;
    const verdict = evaluate(tf, { results: { failed_checks: findings.filter((f) => f.file_path === rel) } });
    const stack = basename(dirname(file));
    out.push(`${stack}: ${verdict.failures.length} failed, ${verdict.accepted.length} skipped per resource, ${verdict.stale.length} stale skips`);
    for (const f of verdict.failures) out.push(`  FAILED  ${f.id} ${f.name} -- ${f.address} (no skip on this resource; fix it, or skipCheck() it with the reason)`);
    for (const k of verdict.stale) out.push(`  STALE   ${k.id} on ${k.address}: the check passes now; remove the skipCheck()`);
    for (const a of verdict.accepted) out.push(`  skipped ${a.id} on ${a.address}: ${a.reason}`);
    bad += verdict.failures.length + verdict.stale.length;
  }
  const unplaced = findings.filter((f) => !files.some((file) => f.file_path === `/${relative(root, file).split(sep).join('/')}`));
  for (const f of unplaced) out.push(`  FAILED  ${f.check_id} in ${f.file_path}: not a synthesised stack this report knows`);
  process.stdout.write(`${out.join('\n')}\n`);
  return bad + unplaced.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
