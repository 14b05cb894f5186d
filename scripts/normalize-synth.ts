/**
 * Normalises synthesised stacks so two synths can be compared for what Terraform would do, not for where the
 * constructs sit: construct metadata ("//".metadata) is dropped (checkov skips, also under "//", are kept), every resource address (type.logicalId, which follows
 * the construct path) becomes type[identity] where identity is what the resource is called in AWS/Snowflake
 * (its name, function name, key...), cross-stack output names follow, and keys are sorted. Asset hashes are
 * replaced by <HASH> unless --keep-hashes is given (a Lambda bundle's hash changes with any handler edit).
 *
 *   npx tsx scripts/normalize-synth.ts [--keep-hashes] SYNTH_OUTDIR > normalized.json
 *   diff <(npx tsx scripts/normalize-synth.ts before) <(npx tsx scripts/normalize-synth.ts after)
 *
 * SYNTH_OUTDIR is what `cdktf synth --output` (or CDKTF_OUTDIR) wrote: it holds stacks/<stack>/cdk.tf.json.
 *
 * Where the checkout is needs no normalising: nothing synthesised names a path of the machine (local state and
 * remote-state reads are relative to the stack folder, the dashboard's PUTs read a fixed folder), so two synths of
 * the same code from different checkouts are byte-identical (__tests__/stacks/cdktf-synth.test.ts). Compare them
 * with plain `diff -r`; this script is for refactors that move constructs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Blocks = Record<string, Record<string, Record<string, Json>>>;

/** Attributes that name a resource where it lives, most telling first. */
const IDENTITY_FIELDS = ['name', 'function_name', 'alarm_name', 'alias', 'key', 'statement_id', 'bucket', 'arn', 'rule', 'queue_url', 'role'];

/** Drops cdktf's construct metadata ("//".metadata: path, unique id); keeps what else "//" carries (checkov skips). */
function stripMetadata(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripMetadata);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).flatMap(([k, v]): [string, Json][] => {
      if (k !== '//' || !v || typeof v !== 'object' || Array.isArray(v)) return [[k, stripMetadata(v)]];
      const { metadata: _metadata, ...rest } = v as Record<string, Json>;
      return Object.keys(rest).length > 0 ? [[k, stripMetadata(rest)]] : [];
    });
    return Object.fromEntries(entries);
  }
  return value;
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, Json>)[k])]));
  }
  return value;
}

const maskHashes = (text: string) => text.replace(/assets\/[^/"]+\/[0-9A-F]{32}\//g, 'assets/<ASSET>/<HASH>/').replace(/\b[0-9A-F]{32}\b/g, '<HASH>');
const maskAssetFolders = (text: string) => text.replace(/assets\/[^/"]+\/([0-9A-F]{32})\//g, 'assets/<ASSET>/$1/');

/** Every address (type.logicalId) of every stack in the folder, with the identity it is renamed to. */
function labels(stacks: Record<string, { resource?: Blocks; data?: Blocks }>): Map<string, string> {
  const entries: { type: string; id: string; body: Record<string, Json> }[] = [];
  for (const tf of Object.values(stacks)) {
    for (const block of [tf.resource ?? {}, tf.data ?? {}]) {
      for (const [type, byId] of Object.entries(block)) {
        for (const [id, body] of Object.entries(byId)) entries.push({ type, id, body: stripMetadata(body) as Record<string, Json> });
      }
    }
  }
  const result = new Map<string, string>();
  const rename = (text: string) => {
    let out = text;
    for (const [address, label] of result) out = out.split(address).join(label);
    return maskHashes(out);
  };
  // Identities that reference other resources (a policy's role) resolve once those have theirs: a few rounds.
  for (let round = 0; round < 4; round += 1) {
    const used = new Map<string, number>();
    const proposed = entries.map(({ type, id, body }) => {
      const field = IDENTITY_FIELDS.find((f) => typeof body[f] === 'string');
      const identity = field ? `${field}=${rename(body[field] as string)}` : `#${createHash('sha1').update(rename(JSON.stringify(sortKeys(body)))).digest('hex').slice(0, 10)}`;
      const key = `${type}[${identity}]`;
      used.set(key, (used.get(key) ?? 0) + 1);
      return { type, id, key, body };
    });
    result.clear();
    for (const { type, id, key, body } of proposed) {
      // Two resources with the same name (e.g. two aws_lambda_permission of one function): tell them apart by content.
      const label = used.get(key)! > 1 ? `${key.slice(0, -1)}#${createHash('sha1').update(maskHashes(JSON.stringify(sortKeys(body)))).digest('hex').slice(0, 6)}]` : key;
      result.set(`${type}.${id}`, label);
      result.set(`${type}${id}`, label); // cross-stack output names concatenate type and id
    }
  }
  // Longest first, so no address is replaced inside a longer one.
  return new Map([...result].sort((a, b) => b[0].length - a[0].length));
}

export function normalizeSynth(outdir: string, options: { keepHashes?: boolean } = {}): Json {
  const stacksDir = join(outdir, 'stacks');
  if (!existsSync(stacksDir)) throw new Error(`${stacksDir} does not exist: pass the folder cdktf synth wrote`);
  const stacks: Record<string, any> = {};
  for (const name of readdirSync(stacksDir).sort()) stacks[name] = JSON.parse(readFileSync(join(stacksDir, name, 'cdk.tf.json'), 'utf8'));
  const renames = labels(stacks);
  const rename = (text: string) => {
    let out = text;
    for (const [address, label] of renames) out = out.split(address).join(label);
    return options.keepHashes ? maskAssetFolders(out) : maskHashes(out);
  };
  const walk = (value: Json): Json => {
    if (typeof value === 'string') return rename(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), walk(v)]));
    return value;
  };
  // Resources and data sources are keyed by their identity instead of their logical id.
  for (const tf of Object.values(stacks)) {
    for (const blockName of ['resource', 'data']) {
      for (const [type, byId] of Object.entries((tf[blockName] ?? {}) as Blocks)) {
        tf[blockName][type] = Object.fromEntries(Object.entries(byId).map(([id, body]) => [renames.get(`${type}.${id}`) ?? id, body]));
      }
    }
  }
  return sortKeys(walk(stripMetadata(stacks)));
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const keepHashes = args.includes('--keep-hashes');
  const outdir = args.find((a) => !a.startsWith('--'));
  if (!outdir) {
    process.stderr.write('usage: npx tsx scripts/normalize-synth.ts [--keep-hashes] SYNTH_OUTDIR\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(normalizeSynth(outdir, { keepHashes }), null, 2)}\n`);
}
