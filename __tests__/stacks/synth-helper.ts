/**
 * Synthesises the three stacks of an environment once, into a temporary folder, and gives the tests the
 * parsed cdk.tf.json of each stack plus small lookups. Lambda bundles are built into their own temporary
 * folder so parallel test files never share build output.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Testing } from 'cdktf';
import { loadConfig, type PipelineConfig } from '../../config/pipeline-config';
import { buildLambdaBundlesSync, type LambdaBundle } from '../../handlers/build';
import { buildPipelineApp, type PipelineStacks } from '../../stacks/app';

export type TfJson = {
  resource: Record<string, Record<string, Record<string, any>>>;
  data?: Record<string, Record<string, Record<string, any>>>;
  output?: Record<string, { value: unknown }>;
  provider?: Record<string, any[]>;
  terraform?: Record<string, any>;
};

export interface Synthesised {
  config: PipelineConfig;
  stacks: PipelineStacks;
  storage: TfJson;
  compute: TfJson;
  warehouse: TfJson;
  /** The raw JSON text per stack, for cdktf's matchers. */
  text: { storage: string; compute: string; warehouse: string };
}

const ROOT = resolve(__dirname, '..', '..');

/** Everything the Lambda bundles are built from: the handlers, what they import from the repo, the lock file. */
function bundleInputsHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json)$/.test(entry.name)) hash.update(relative(ROOT, path)).update(readFileSync(path));
    }
  };
  for (const dir of ['handlers', 'config', 'schemas']) walk(join(ROOT, dir));
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

let bundles: LambdaBundle[] | undefined;
/**
 * The Lambda bundles, built once per change of their inputs and shared by every test file and jest worker (each
 * file would otherwise run esbuild again: about 1.2 s each). Bundle folders are content-addressed and written
 * atomically by buildLambdaBundlesSync, so parallel workers never see half a bundle.
 */
export function testBundles(): LambdaBundle[] {
  if (bundles) return bundles;
  const cache = join(tmpdir(), 'spotify-pipeline-test-bundles');
  const index = join(cache, `${bundleInputsHash()}.json`);
  if (existsSync(index)) {
    const cached = JSON.parse(readFileSync(index, 'utf8')) as LambdaBundle[];
    if (cached.every((b) => existsSync(join(b.dir, 'index.js')))) return (bundles = cached);
  }
  mkdirSync(cache, { recursive: true });
  bundles = buildLambdaBundlesSync(mkdtempSync(join(cache, 'build-')));
  const tmp = `${index}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(bundles));
  renameSync(tmp, index);
  return bundles;
}

/** Folders whose files cannot change a synthesised stack. */
const NOT_SYNTH_INPUTS = new Set(['node_modules', '__tests__', 'bench', 'docs', 'cdktf.out', 'build', 'coverage', '__pycache__']);

/** A hash of every file the stacks could be synthesised from (all sources outside tests, docs and outputs). */
function sourceFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || NOT_SYNTH_INPUTS.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !entry.name.endsWith('.pyc')) hash.update(relative(ROOT, path)).update(readFileSync(path));
    }
  };
  walk(ROOT);
  return hash.digest('hex');
}

/**
 * Builds the three stacks of an environment and gives their synthesised cdk.tf.json. The synthesised text is
 * cached on disk by configuration, environment switches and a fingerprint of every source file, so the test files
 * that synthesise the same environment share one synth (about 1.5 s each). On a cache hit the constructs are built
 * only when a test asks for `stacks` (about 1 s each otherwise).
 */
export function synthPipeline(config: PipelineConfig = loadConfig('dev')): Synthesised {
  let built: { app: ReturnType<typeof Testing.app>; stacks: PipelineStacks } | undefined;
  const build = () => {
    if (!built) {
      const app = Testing.app();
      built = { app, stacks: buildPipelineApp(config, { app, bundles: testBundles() }) };
    }
    return built;
  };
  const key = createHash('sha256')
    .update(JSON.stringify(config))
    .update(String(process.env.PIPELINE_LOCAL_STATE ?? ''))
    .update(sourceFingerprint())
    .digest('hex')
    .slice(0, 24);
  const cache = join(tmpdir(), 'spotify-pipeline-test-synth', key);
  const kinds = ['storage', 'compute', 'warehouse'] as const;
  if (!existsSync(join(cache, 'warehouse.json'))) {
    const { app, stacks } = build();
    // A full app synth prepares every stack, so cross-stack references resolve to remote-state outputs.
    app.synth();
    const tmp = `${cache}.tmp-${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    for (const kind of kinds) writeFileSync(join(tmp, `${kind}.json`), readFileSync(join(app.outdir, 'stacks', stacks[kind].node.id, 'cdk.tf.json')));
    try {
      renameSync(tmp, cache);
    } catch {
      // Another worker cached the same synth first; its copy is identical.
    }
  }
  const read = (kind: (typeof kinds)[number]) => readFileSync(join(cache, `${kind}.json`), 'utf8');
  const text = { storage: read('storage'), compute: read('compute'), warehouse: read('warehouse') };
  return {
    config,
    get stacks() {
      return build().stacks;
    },
    text,
    storage: JSON.parse(text.storage),
    compute: JSON.parse(text.compute),
    warehouse: JSON.parse(text.warehouse),
  };
}

/** All resources of one type in a stack. */
export function resources(tf: TfJson, type: string): Record<string, any>[] {
  return Object.values(tf.resource[type] ?? {});
}

/** The single resource of a type matching a predicate; fails with the candidates listed. */
export function findResource(tf: TfJson, type: string, where: (r: Record<string, any>) => boolean = () => true): Record<string, any> {
  const matches = resources(tf, type).filter(where);
  if (matches.length !== 1) {
    throw new Error(`expected exactly one ${type} matching, found ${matches.length} (of ${resources(tf, type).length})`);
  }
  return matches[0];
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export function statements(policyJson: string): Statement[] {
  return JSON.parse(policyJson).Statement;
}

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM's wildcard matching ("*" any run of characters, "?" one character). */
function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(value);
}

/**
 * Whether a set of Allow statements grants `action` on `resource` (conditions are not evaluated: a
 * conditional grant counts as a grant, which is the cautious reading for "must not be able to").
 */
export function allows(policy: Statement[], action: string, resource: string): boolean {
  return policy.some(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).some((a) => wildcardMatch(a, action)) &&
      list(s.Resource).some((r) => wildcardMatch(r, resource)),
  );
}

/** The inline policy attached to the role named `roleName` in a stack. */
export function rolePolicy(tf: TfJson, roleName: string): Statement[] {
  const roleEntry = Object.entries(tf.resource.aws_iam_role ?? {}).find(([, r]) => r.name === roleName);
  if (!roleEntry) throw new Error(`no IAM role named ${roleName}`);
  const [roleId] = roleEntry;
  const policy = resources(tf, 'aws_iam_role_policy').find((p) => p.role === `\${aws_iam_role.${roleId}.id}`);
  if (!policy) throw new Error(`no inline policy for ${roleName}`);
  return statements(policy.policy);
}

/**
 * The Terraform address (`type.logicalId`) of the single resource of a type matching a predicate. Logical ids
 * follow the construct path, so tests name resources by what they are rather than by their id.
 */
export function addressOf(tf: TfJson, type: string, where: (r: Record<string, any>) => boolean = () => true): string {
  const matches = Object.entries(tf.resource[type] ?? {}).filter(([, r]) => where(r));
  if (matches.length !== 1) throw new Error(`expected exactly one ${type} matching, found ${matches.length}`);
  return `${type}.${matches[0][0]}`;
}

/** A reference expression to an attribute of the single matching resource: `${type.id.attr}`. */
export function refTo(tf: TfJson, type: string, attribute: string, where?: (r: Record<string, any>) => boolean): string {
  return `\${${addressOf(tf, type, where)}.${attribute}}`;
}

/** Matches a resource by its `name` attribute. */
export const named = (name: string) => (r: Record<string, any>) => r.name === name;
