/**
 * `pipeline deploy`: the one documented path for a first deploy (and every later one from a laptop), and the plan
 * and apply steps of CI.
 *
 * - `pipeline deploy [--yes]`: synthesises, then applies storage, compute and warehouse in that order with
 *   Terraform. The warehouse goes in two steps: first the query warehouse, the two integrations and the IAM roles
 *   Snowflake assumes; then, once Snowflake can actually use its role (SYSTEM$VALIDATE_STORAGE_INTEGRATION lists
 *   processed/; IAM changes take a while to reach Snowflake), everything else. That removes both first-deploy
 *   failures: a stage created before its role is assumable, and a view read before the warehouse exists. Every
 *   step is idempotent, so running it again finishes or confirms a deploy.
 * - `pipeline deploy --plan-only --out DIR`: plans each stack into DIR/<stack>.tfplan (+ .txt, summary.json), and
 *   skips, saying why, a stack whose inputs (the outputs of the stacks before it) do not exist yet. This is main's
 *   plan, made by the planner identities (snowflake.planUser, <PREFIX>_PLANNER: sees every object it refreshes).
 * - `pipeline deploy --plan-only --pull-request`: a pull request's plan. It compares the change with the recorded
 *   state and reads nothing else (`-refresh=false`, `-lock=false`), so its identities need the state and nothing
 *   more: no object of the stacks, no data, no lock (docs/deploying.md, "Pull requests see plans, not data").
 * - `pipeline destroy --confirm ENV`: tears the environment down on purpose, stacks in reverse order; it synthesises
 *   with PIPELINE_ALLOW_DESTROY=1, which lifts prod's prevent_destroy (constructs/data-protection.ts).
 * - `pipeline deploy --apply-plans DIR`: applies exactly those plan files, in order (the reviewed plan, nothing
 *   re-planned), and refuses one whose inputs changed since it was made.
 *
 * Everything that touches the outside goes through DeployDeps (the command runner, the Snowflake probe, the
 * clock), so the orchestration is tested without AWS, Snowflake or Terraform (__tests__/cli/deploy.test.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, resourceNames, type PipelineConfig } from '../../config/pipeline-config';
import { ALLOW_DESTROY_ENV } from '../../constructs/data-protection';
import { STACK_ORDER, stackName, type StackKind } from '../../stacks/stack-names';

export { STACK_ORDER, stackName, type StackKind };

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Show the output as it comes (and let Terraform ask for confirmation); it is still returned. */
  stream?: boolean;
}

export type CommandRunner = (command: string, args: string[], options?: RunOptions) => Promise<CommandResult>;

/** Whether Snowflake can use the storage integration on the location; `detail` says why not. */
export type IntegrationProbe = (integration: string, location: string) => Promise<{ ok: boolean; detail: string }>;

export interface DeployDeps {
  run: CommandRunner;
  probe: IntegrationProbe;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  log: (line: string) => void;
}

export interface DeployOptions {
  /** Repository root (where cdktf.json is). */
  root: string;
  /** cdktf output folder, relative to root. */
  outdir: string;
  stacks: StackKind[];
  autoApprove: boolean;
  skipSynth: boolean;
  waitMinutes: number;
  /** Seconds between probes of the storage integration. */
  probeIntervalSeconds: number;
  /** A pull request's plan: no refresh, no lock, the pull-request identities (see the module comment). Default: false. */
  pullRequest?: boolean;
}

/** Who Terraform runs as: the deploy identity, main's planner, or the pull-request planner. */
export type TerraformIdentity = 'deploy' | 'plan' | 'pr-plan';

/** The Snowflake role of each identity; the pull-request planner's user holds no role of the stack at all. */
function snowflakeRole(config: PipelineConfig, identity: TerraformIdentity): string | undefined {
  if (identity === 'deploy') return config.snowflake.role;
  if (identity === 'pr-plan') return 'PUBLIC';
  return config.snowflake.planUser ? `${resourceNames(config).snowflakePrefix}_PLANNER` : undefined;
}

export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployError';
  }
}

/** The environment Terraform runs with: the Snowflake identity from the configuration unless already set. */
export function terraformEnv(config: PipelineConfig, base: NodeJS.ProcessEnv, identity: TerraformIdentity = 'deploy'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
  const user = { deploy: config.snowflake.user, plan: config.snowflake.planUser, 'pr-plan': config.snowflake.prPlanUser }[identity];
  const role = snowflakeRole(config, identity);
  if (!env.SNOWFLAKE_USER && user) env.SNOWFLAKE_USER = user;
  if (!env.SNOWFLAKE_ROLE && role) env.SNOWFLAKE_ROLE = role;
  // The provider reads the key's text; the CLI's own convention is a file path. Accept either.
  if (!env.SNOWFLAKE_PRIVATE_KEY && env.SNOWFLAKE_PRIVATE_KEY_PATH && existsSync(env.SNOWFLAKE_PRIVATE_KEY_PATH)) {
    env.SNOWFLAKE_PRIVATE_KEY = readFileSync(env.SNOWFLAKE_PRIVATE_KEY_PATH, 'utf8');
  }
  return env;
}

function checkPrerequisites(config: PipelineConfig, env: NodeJS.ProcessEnv, stacks: StackKind[]): void {
  if (config.environment === 'local') {
    throw new DeployError('The "local" environment has no AWS stacks; deploy dev or prod: `pipeline --env dev deploy`.');
  }
  if (stacks.includes('warehouse')) {
    if (!env.SNOWFLAKE_USER) {
      throw new DeployError('No Snowflake user: set snowflake.user in the configuration (or SNOWFLAKE_USER); see docs/deploying.md, step 3.');
    }
    if (!env.SNOWFLAKE_PRIVATE_KEY) {
      throw new DeployError(
        `No Snowflake private key for ${env.SNOWFLAKE_USER}: set SNOWFLAKE_PRIVATE_KEY_PATH to its PEM file (or SNOWFLAKE_PRIVATE_KEY ` +
          'to its text), and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE if it is encrypted.',
      );
    }
  }
}

/** What the synthesised stack reads from the stacks before it: `stack -> output names`. */
export function requiredInputs(tf: { data?: Record<string, Record<string, unknown>> }, text: string): Map<string, Set<string>> {
  const needed = new Map<string, Set<string>>();
  const remote = Object.keys(tf.data?.terraform_remote_state ?? {});
  for (const id of remote) {
    const stack = id.replace(/^cross-stack-reference-input-/, '');
    const outputs = new Set<string>();
    const pattern = new RegExp(`data\\.terraform_remote_state\\.${id.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\.outputs\\.([\\w-]+)`, 'g');
    for (const match of text.matchAll(pattern)) outputs.add(match[1]);
    needed.set(stack, outputs);
  }
  return needed;
}

class Deployer {
  private readonly env: NodeJS.ProcessEnv;
  private readonly initialised = new Set<StackKind>();

  constructor(
    private readonly config: PipelineConfig,
    private readonly options: DeployOptions,
    private readonly deps: DeployDeps,
    baseEnv: NodeJS.ProcessEnv,
    identity: TerraformIdentity,
  ) {
    this.env = terraformEnv(config, baseEnv, identity);
  }

  dir(kind: StackKind): string {
    return join(this.options.root, this.options.outdir, 'stacks', stackName(this.config, kind));
  }

  stackJson(kind: StackKind): { tf: any; text: string } {
    const file = join(this.dir(kind), 'cdk.tf.json');
    if (!existsSync(file)) throw new DeployError(`${file} is missing: synthesise first (drop --skip-synth).`);
    const text = readFileSync(file, 'utf8');
    return { tf: JSON.parse(text), text };
  }

  async terraform(kind: StackKind, args: string[], stream = false): Promise<CommandResult> {
    return this.deps.run('terraform', [`-chdir=${this.dir(kind)}`, ...args], { cwd: this.options.root, env: this.env, stream });
  }

  async must(kind: StackKind, what: string, args: string[], stream = false): Promise<CommandResult> {
    const result = await this.terraform(kind, args, stream);
    if (result.code !== 0) throw new DeployError(`${what} of ${stackName(this.config, kind)} failed (terraform exit ${result.code}).\n${explainFailure(result)}`);
    return result;
  }

  async prepare(synthEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    checkPrerequisites(this.config, this.env, this.options.stacks);
    const version = await this.deps.run('terraform', ['version', '-json'], { env: this.env });
    if (version.code !== 0) throw new DeployError('terraform is not on PATH: install Terraform 1.10 or later (S3 native state locking needs it).');
    if (!this.options.skipSynth) {
      this.deps.log(`Synthesising the ${this.config.environment} stacks into ${this.options.outdir}/ ...`);
      const synth = await this.deps.run('npx', ['cdktf', 'synth', '--output', this.options.outdir], {
        cwd: this.options.root,
        env: { ...this.env, PIPELINE_ENV: this.config.environment, ...synthEnv },
      });
      if (synth.code !== 0) throw new DeployError(`cdktf synth failed:\n${synth.stderr || synth.stdout}`);
    }
  }

  /** The outputs a stack's state holds now ({} before its first apply). */
  async outputs(kind: StackKind): Promise<Record<string, unknown>> {
    await this.init(kind);
    const result = await this.must(kind, 'reading the outputs', ['output', '-json']);
    const parsed = JSON.parse(result.stdout || '{}') as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
  }

  /** Why a stack cannot be planned yet (an input missing from the state of a stack before it), or null. */
  async missingInputs(kind: StackKind): Promise<{ reason: string | null; inputs: Record<string, Record<string, unknown>> }> {
    const { tf, text } = this.stackJson(kind);
    const inputs: Record<string, Record<string, unknown>> = {};
    for (const [upstream, names] of requiredInputs(tf, text)) {
      const upstreamKind = STACK_ORDER.find((k) => stackName(this.config, k) === upstream);
      if (!upstreamKind) continue;
      const outputs = await this.outputs(upstreamKind);
      const missing = [...names].filter((n) => !(n in outputs));
      if (missing.length > 0) {
        return {
          reason:
            Object.keys(outputs).length === 0
              ? `${upstream} has not been applied yet (its state has no outputs). The first deploy is \`pipeline deploy\` (docs/deploying.md).`
              : `${upstream} has not been applied with this change yet (its state lacks ${missing.join(', ')}); apply it first, then plan ${stackName(this.config, kind)}.`,
          inputs,
        };
      }
      inputs[upstream] = Object.fromEntries([...names].sort().map((n) => [n, outputs[n]]));
    }
    return { reason: null, inputs };
  }

  async init(kind: StackKind): Promise<void> {
    if (this.initialised.has(kind)) return;
    await this.must(kind, 'terraform init', ['init', '-input=false', '-no-color']);
    this.initialised.add(kind);
  }

  applyArgs(extra: string[] = []): string[] {
    return ['apply', '-input=false', '-no-color', '-lock-timeout=120s', ...(this.options.autoApprove ? ['-auto-approve'] : []), ...extra];
  }

  /** The warehouse's first step: what the rest needs to exist before it (see the module comment). */
  async applyWarehouseFoundation(): Promise<void> {
    const { tf } = this.stackJson('warehouse');
    const types = ['snowflake_warehouse', 'snowflake_storage_integration', 'snowflake_notification_integration', 'aws_iam_role', 'aws_iam_role_policy'];
    const targets = types.flatMap((type) => Object.keys(tf.resource?.[type] ?? {}).map((id) => `-target=${type}.${id}`));
    this.deps.log('Warehouse, step 1: the query warehouse, the integrations and the IAM roles Snowflake assumes');
    await this.must('warehouse', 'step 1 (integrations and roles)', this.applyArgs(targets), true);
  }

  async waitForIntegration(): Promise<void> {
    const names = resourceNames(this.config);
    const integration = `${names.snowflakePrefix}_PROCESSED`;
    const location = `s3://${names.bucket}/processed/`;
    const deadline = this.deps.now() + this.options.waitMinutes * 60_000;
    this.deps.log(`Waiting until Snowflake can use ${integration} on ${location} (IAM changes take a while to reach it) ...`);
    let last = '';
    for (let attempt = 1; ; attempt += 1) {
      const { ok, detail } = await this.deps.probe(integration, location);
      if (ok) {
        this.deps.log(`  Snowflake can list ${location} (check ${attempt}).`);
        return;
      }
      last = detail;
      if (this.deps.now() + this.options.probeIntervalSeconds * 1000 > deadline) break;
      this.deps.log(`  not yet (check ${attempt}): ${detail}`);
      await this.deps.sleep(this.options.probeIntervalSeconds * 1000);
    }
    throw new DeployError(
      `Snowflake still cannot use ${integration} after ${this.options.waitMinutes} min: ${last}\n` +
        `Check that the role ${names.snowflakeIntegrationRole} trusts the integration's STORAGE_AWS_IAM_USER_ARN with external id ` +
        `snowflake.storageExternalId (DESC INTEGRATION ${integration}), then run \`pipeline deploy\` again.`,
    );
  }

  async deploy(): Promise<void> {
    for (const kind of this.options.stacks) {
      const name = stackName(this.config, kind);
      this.deps.log(`\n== ${name}`);
      await this.init(kind);
      if (kind === 'warehouse') {
        await this.applyWarehouseFoundation();
        await this.waitForIntegration();
        this.deps.log('Warehouse, step 2: everything else');
      }
      await this.must(kind, 'terraform apply', this.applyArgs(), true);
    }
    this.deps.log(`\nDeployed: ${this.options.stacks.map((k) => stackName(this.config, k)).join(', ')}. Running \`pipeline deploy\` again changes nothing.`);
  }

  async plan(outDir: string): Promise<Record<string, PlanSummary>> {
    mkdirSync(outDir, { recursive: true });
    const summary: Record<string, PlanSummary> = {};
    for (const kind of this.options.stacks) {
      const name = stackName(this.config, kind);
      await this.init(kind);
      const { reason, inputs } = await this.missingInputs(kind);
      if (reason) {
        this.deps.log(`skipped ${name}: ${reason}`);
        summary[kind] = { stack: name, status: 'skipped', reason, inputs };
        continue;
      }
      const planFile = resolve(outDir, `${kind}.tfplan`);
      // A pull request's plan reads the state only: what its change does to the recorded objects (main's plan,
      // which is the one applied, refreshes them). Without a lock it can neither wait for nor block an apply.
      const reads = this.options.pullRequest ? ['-refresh=false', '-lock=false'] : ['-lock-timeout=120s'];
      const planned = await this.terraform(kind, ['plan', '-input=false', '-no-color', ...reads, '-detailed-exitcode', `-out=${planFile}`]);
      if (planned.code === 1) throw new DeployError(`terraform plan of ${name} failed.\n${explainFailure(planned)}`);
      const shown = await this.must(kind, 'terraform show', ['show', '-no-color', planFile]);
      writeFileSync(join(outDir, `${kind}.txt`), shown.stdout);
      const status = planned.code === 2 ? 'changes' : 'no-changes';
      this.deps.log(`planned ${name}: ${status === 'changes' ? 'changes' : 'no changes'}`);
      summary[kind] = { stack: name, status, reason: null, inputs };
    }
    writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  }

  async applyPlans(planDir: string): Promise<void> {
    const file = join(planDir, 'summary.json');
    if (!existsSync(file)) throw new DeployError(`${file} is missing: run \`pipeline deploy --plan-only --out ${planDir}\` first.`);
    const summary = JSON.parse(readFileSync(file, 'utf8')) as Record<string, PlanSummary>;
    for (const kind of this.options.stacks) {
      const entry = summary[kind];
      const name = stackName(this.config, kind);
      if (!entry || entry.status !== 'changes') {
        this.deps.log(`${name}: ${entry?.status === 'skipped' ? `not planned (${entry.reason})` : 'no changes'}`);
        continue;
      }
      await this.init(kind);
      // A plan reads the outputs of the stacks before it when it is made; if applying those changed them, the
      // plan is out of date (Terraform only notices changes of this stack's own state).
      const { inputs } = await this.missingInputs(kind);
      if (JSON.stringify(inputs) !== JSON.stringify(entry.inputs)) {
        throw new DeployError(`The inputs of ${name} changed after its plan was made (a stack before it changed its outputs). Plan again, then apply.`);
      }
      this.deps.log(`\n== ${name}: applying the reviewed plan`);
      await this.must(kind, 'terraform apply of the saved plan', ['apply', '-input=false', '-no-color', '-lock-timeout=120s', resolve(planDir, `${kind}.tfplan`)], true);
    }
  }

  /** Destroys the stacks in reverse deploy order (the data protection was lifted at synth, see prepare). */
  async destroy(): Promise<void> {
    for (const kind of [...this.options.stacks].reverse()) {
      this.deps.log(`\n== ${stackName(this.config, kind)}: destroy`);
      await this.init(kind);
      await this.must(kind, 'terraform destroy', ['destroy', '-input=false', '-no-color', '-lock-timeout=120s', ...(this.options.autoApprove ? ['-auto-approve'] : [])], true);
    }
    this.deps.log(`\nDestroyed: ${[...this.options.stacks].reverse().map((k) => stackName(this.config, k)).join(', ')}.`);
  }
}

export interface PlanSummary {
  stack: string;
  status: 'changes' | 'no-changes' | 'skipped';
  reason: string | null;
  /** The outputs of the stacks before it that the plan was made with. */
  inputs: Record<string, Record<string, unknown>>;
}

/** Known first-deploy failures, with what to do; otherwise Terraform's own error text. */
export function explainFailure(result: CommandResult): string {
  const text = `${result.stderr}\n${result.stdout}`;
  const hints: string[] = [];
  if (/ResourceAlreadyExistsException[^]*\/aws-glue\/crawlers|\/aws-glue\/crawlers[^]*already exists/.test(text)) {
    hints.push(
      'The /aws-glue/crawlers log group already exists in this account and region (another crawler created it). Adopt it once:\n' +
        '  terraform -chdir=cdktf.out/stacks/<prefix>-compute import <address of the crawler log group> /aws-glue/crawlers\n' +
        '(the address is in `terraform -chdir=... plan`), then run `pipeline deploy` again.',
    );
  }
  if (/No active warehouse selected/i.test(text)) hints.push('The stack warehouse did not exist in this session yet: run `pipeline deploy` again.');
  if (/Instance cannot be destroyed/i.test(text)) {
    hints.push(
      "The change would drop or replace one of prod's Snowflake objects that hold data (database, schema, a loaded table, the processed " +
        'stage), which carry prevent_destroy. Change it without replacing it, or migrate it on purpose; `pipeline destroy --confirm prod` ' +
        'tears everything down (docs/deploying.md, section 10).',
    );
  }
  if (/Error acquiring the state lock|PreconditionFailed[^]*tflock/i.test(text)) {
    hints.push('Another plan or apply holds the state lock; wait for it, or remove a stale lock with `terraform force-unlock`.');
  }
  if (/ExpiredToken|InvalidClientTokenId|no valid credential sources/i.test(text)) hints.push('AWS credentials are missing or expired: log in again (aws sso login / AWS_PROFILE).');
  if (/JWT token is invalid|390144/.test(text)) hints.push("Snowflake refused the key pair: check the user's RSA_PUBLIC_KEY and SNOWFLAKE_PRIVATE_KEY(_PASSPHRASE).");
  const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-30).join('\n');
  return [...hints, tail].filter(Boolean).join('\n\n');
}

/** Runs a command; with `stream` its output is shown as it comes (and stdin is Terraform's, for its prompt). */
export const spawnRunner: CommandRunner = (command, args, options = {}) =>
  new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: [options.stream ? 'inherit' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (options.stream) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      if (options.stream) process.stderr.write(chunk);
    });
    child.on('error', (error) => resolvePromise({ code: 127, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });

/** The production probe: SYSTEM$VALIDATE_STORAGE_INTEGRATION(..., 'list') as the deploy user, over snowflake-sdk. */
export function snowflakeProbe(config: PipelineConfig, env: NodeJS.ProcessEnv): IntegrationProbe {
  return async (integration, location) => {
    const { SnowflakeWarehouse, snowflakeSettingsFromConfig } = await import('../../warehouse/snowflake-warehouse');
    const settings = { ...snowflakeSettingsFromConfig(config, env), username: env.SNOWFLAKE_USER ?? config.snowflake.user!, role: env.SNOWFLAKE_ROLE ?? config.snowflake.role };
    const warehouse = await SnowflakeWarehouse.connect(settings);
    try {
      return await validateIntegration((sql) => warehouse.query(sql), integration, location);
    } finally {
      await warehouse.close();
    }
  };
}

/** Asks Snowflake to list the location through the integration; a refused AssumeRole is a "not yet". */
export async function validateIntegration(
  query: (sql: string) => Promise<{ rows: unknown[][] }>,
  integration: string,
  location: string,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const { rows } = await query(`SELECT SYSTEM$VALIDATE_STORAGE_INTEGRATION('${integration}', '${location}', 'pipeline-deploy-check', 'list')`);
    const result = JSON.parse(String(rows[0]?.[0] ?? '{}')) as { status?: string; actions?: Record<string, { status?: string; message?: string }> };
    if (result.status === 'success') return { ok: true, detail: 'success' };
    const messages = Object.values(result.actions ?? {}).map((a) => a.message).filter(Boolean);
    return { ok: false, detail: messages.join('; ') || JSON.stringify(result) };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/** The identity of each mode: plans by the planners, everything that changes something by the deploy identity. */
export function identityOf(mode: 'apply' | 'plan' | 'apply-plans' | 'destroy', pullRequest = false): TerraformIdentity {
  if (mode !== 'plan') return 'deploy';
  return pullRequest ? 'pr-plan' : 'plan';
}

export async function runDeploy(
  config: PipelineConfig,
  options: DeployOptions & { mode: 'apply' | 'plan' | 'apply-plans' | 'destroy'; dir?: string; confirm?: string },
  deps: DeployDeps,
  baseEnv: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, PlanSummary> | void> {
  if (options.mode === 'destroy' && options.confirm !== config.environment) {
    throw new DeployError(
      `pipeline destroy deletes the ${config.environment} stacks, and in prod the Snowflake database, tables and stage with their loaded ` +
        `history: pass --confirm ${config.environment} to say you mean it (docs/deploying.md, "Tear down").`,
    );
  }
  const deployer = new Deployer(config, options, deps, baseEnv, identityOf(options.mode, options.pullRequest));
  await deployer.prepare(options.mode === 'destroy' ? { [ALLOW_DESTROY_ENV]: '1' } : {});
  if (options.mode === 'destroy') return deployer.destroy();
  if (options.mode === 'plan') return deployer.plan(options.dir!);
  if (options.mode === 'apply-plans') return deployer.applyPlans(options.dir!);
  return deployer.deploy();
}

export function parseStacks(value: string | undefined): StackKind[] {
  if (!value) return [...STACK_ORDER];
  const wanted = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of wanted) if (!(STACK_ORDER as readonly string[]).includes(s)) throw new Error(`--stacks takes ${STACK_ORDER.join(', ')} (got "${s}")`);
  // Always in deploy order, whatever order they were named in.
  return STACK_ORDER.filter((s) => wanted.includes(s));
}

/** What the real commands run with: the terraform CLI, Snowflake over snowflake-sdk, the wall clock. */
function realDeps(config: PipelineConfig, env: NodeJS.ProcessEnv): DeployDeps {
  return {
    run: spawnRunner,
    probe: snowflakeProbe(config, env),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    log: (line) => process.stdout.write(`${line}\n`),
  };
}

type DeployFlags = { yes?: boolean; stacks?: string; planOnly?: boolean; pullRequest?: boolean; out: string; applyPlans?: string; skipSynth?: boolean; waitMinutes: string };

export function register(program: Command): void {
  const root = resolve(__dirname, '..', '..');
  program
    .command('deploy')
    .description('Deploy the stacks to AWS and Snowflake in order (storage, compute, warehouse); safe to run again')
    .option('--yes', 'apply without asking for confirmation (terraform -auto-approve)')
    .option('--stacks <list>', 'only these stacks, e.g. warehouse (comma-separated; always applied in deploy order)')
    .option('--plan-only', "plan each stack into --out (CI, main's plan); skip a stack whose inputs do not exist yet")
    .option('--pull-request', "with --plan-only: a pull request's plan, against the state only (no refresh, no lock)")
    .option('--out <dir>', 'where --plan-only writes <stack>.tfplan, <stack>.txt and summary.json', 'plans')
    .option('--apply-plans <dir>', 'apply the saved plans of this folder, in order (CI, after review)')
    .option('--skip-synth', 'use the stacks already in cdktf.out (the plan artifact)')
    .option('--wait-minutes <n>', 'how long to wait for Snowflake to be able to use its IAM role', '5')
    .action(async (opts: DeployFlags) => {
      const config = loadConfig(program.opts().env);
      const waitMinutes = Number(opts.waitMinutes);
      if (!(waitMinutes > 0 && waitMinutes <= 60)) throw new Error(`--wait-minutes must be between 1 and 60 (got "${opts.waitMinutes}")`);
      if (opts.planOnly && opts.applyPlans) throw new Error('--plan-only and --apply-plans are two steps: run them separately.');
      if (opts.pullRequest && !opts.planOnly) throw new Error('--pull-request goes with --plan-only: a pull request plans, it never applies.');
      const absolute = (dir: string) => (isAbsolute(dir) ? dir : resolve(process.cwd(), dir));
      const mode = opts.planOnly ? 'plan' : opts.applyPlans ? 'apply-plans' : 'apply';
      const env = terraformEnv(config, process.env, identityOf(mode, opts.pullRequest));
      await runDeploy(
        config,
        {
          root,
          outdir: 'cdktf.out',
          stacks: parseStacks(opts.stacks),
          autoApprove: Boolean(opts.yes) || Boolean(opts.applyPlans),
          skipSynth: Boolean(opts.skipSynth),
          waitMinutes,
          probeIntervalSeconds: 15,
          pullRequest: Boolean(opts.pullRequest),
          mode,
          dir: opts.planOnly ? absolute(opts.out) : opts.applyPlans ? absolute(opts.applyPlans) : undefined,
        },
        realDeps(config, env),
      );
    });
  program
    .command('destroy')
    .description("Tear the environment's stacks down on purpose, in reverse order (lifts prod's protection of Snowflake data)")
    .requiredOption('--confirm <env>', 'the environment name again, e.g. --confirm prod')
    .option('--yes', 'destroy without asking for confirmation (terraform -auto-approve)')
    .option('--stacks <list>', 'only these stacks (comma-separated; always destroyed in reverse deploy order)')
    .action(async (opts: { confirm: string; yes?: boolean; stacks?: string }) => {
      const config = loadConfig(program.opts().env);
      const env = terraformEnv(config, process.env, 'deploy');
      await runDeploy(
        config,
        { root, outdir: 'cdktf.out', stacks: parseStacks(opts.stacks), autoApprove: Boolean(opts.yes), skipSynth: false, waitMinutes: 5, probeIntervalSeconds: 15, mode: 'destroy', confirm: opts.confirm },
        realDeps(config, env),
      );
    });
}
