/**
 * `pipeline deploy` without AWS, Snowflake or a Terraform registry: the real synthesised stacks of dev, and a
 * stand-in for the `terraform` command line that keeps per-stack state (applied or not, its outputs) the way
 * Terraform would, so the order, the two-step warehouse, the wait for Snowflake's role, re-runs, CI's plan
 * (skipping stacks whose inputs do not exist) and applying exactly the saved plans are all exercised.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { App } from 'cdktf';
import { loadConfig, type PipelineConfig } from '../../config/pipeline-config';
import { buildPipelineApp } from '../../stacks/app';
import { testBundles } from '../stacks/synth-helper';
import {
  DeployError,
  explainFailure,
  parseStacks,
  runDeploy,
  validateIntegration,
  type CommandResult,
  type DeployDeps,
  type DeployOptions,
  type RunOptions,
} from '../../cli/commands/deploy';

const ENV = { SNOWFLAKE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----', PATH: process.env.PATH } as NodeJS.ProcessEnv;

let root: string;
let config: PipelineConfig;

beforeAll(() => {
  config = loadConfig('dev');
  root = mkdtempSync(join(tmpdir(), 'deploy-test-'));
  const app = new App({ outdir: join(root, 'cdktf.out') });
  buildPipelineApp(config, { app, bundles: testBundles() });
  app.synth();
});

interface Call {
  command: string;
  args: string[];
  stack?: string;
  env: NodeJS.ProcessEnv;
}

/** A stand-in for the terraform CLI: per-stack applied outputs, plan files, and the commands it was given. */
class FakeTerraform {
  readonly calls: Call[] = [];
  readonly applied = new Map<string, Record<string, unknown>>();
  failNext: { match: RegExp; result: CommandResult } | null = null;

  outputsOf(stack: string): Record<string, unknown> {
    const tf = JSON.parse(readFileSync(join(root, 'cdktf.out', 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    return Object.fromEntries(Object.keys(tf.output ?? {}).map((name) => [name, `${stack}:${name}`]));
  }

  run = async (command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> => {
    const chdir = args.find((a) => a.startsWith('-chdir='));
    const stack = chdir ? basename(chdir.slice('-chdir='.length)) : undefined;
    this.calls.push({ command, args, stack, env: options.env ?? {} });
    const rest = args.filter((a) => !a.startsWith('-chdir='));
    const line = `${command} ${rest.join(' ')}`;
    if (this.failNext && this.failNext.match.test(`${stack ?? ''} ${line}`)) {
      const { result } = this.failNext;
      this.failNext = null;
      return result;
    }
    const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
    if (command === 'npx') return ok(); // cdktf synth: the stacks were synthesised in beforeAll
    if (rest[0] === 'version') return ok('{"terraform_version":"1.11.4"}');
    if (rest[0] === 'init') return ok('Terraform has been successfully initialized!');
    if (rest[0] === 'output') {
      const outputs = this.applied.get(stack!) ?? {};
      return ok(JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { value: v }]))));
    }
    if (rest[0] === 'plan') {
      const out = rest.find((a) => a.startsWith('-out='))!.slice('-out='.length);
      writeFileSync(out, `plan of ${stack}`);
      return { code: this.applied.has(stack!) ? 0 : 2, stdout: '', stderr: '' };
    }
    if (rest[0] === 'show') return ok(`Terraform will perform the following actions (${stack})`);
    if (rest[0] === 'destroy') {
      this.applied.delete(stack!);
      return ok('Destroy complete!');
    }
    if (rest[0] === 'apply') {
      const targeted = rest.some((a) => a.startsWith('-target='));
      if (!targeted) this.applied.set(stack!, this.outputsOf(stack!));
      return ok(targeted ? 'Apply complete! (targeted)' : 'Apply complete!');
    }
    return { code: 1, stdout: '', stderr: `unexpected: ${line}` };
  };

  terraformCalls(): string[] {
    return this.calls
      .filter((c) => c.command === 'terraform' && c.args[0] !== 'version')
      .map((c) => `${c.stack?.replace('spotify-pipeline-dev-', '')} ${c.args.filter((a) => !a.startsWith('-chdir=')).filter((a) => !a.startsWith('-target=')).map((a) => a.replace(/^-out=.*/, '-out=…').replace(/^\/.*\.tfplan$/, '<plan>')).join(' ')}`);
  }
}

function setup(probeAnswers: boolean[] = [true]) {
  const terraform = new FakeTerraform();
  const log: string[] = [];
  let clock = 0;
  const probes: string[] = [];
  const deps: DeployDeps = {
    run: terraform.run,
    probe: async (integration, location) => {
      probes.push(`${integration} ${location}`);
      const ok = probeAnswers.length > 1 ? probeAnswers.shift()! : probeAnswers[0];
      return ok ? { ok: true, detail: 'success' } : { ok: false, detail: 'Error assuming AWS_ROLE: User is not authorized to perform: sts:AssumeRole' };
    },
    sleep: async (ms) => void (clock += ms),
    now: () => clock,
    log: (line) => log.push(line),
  };
  return { terraform, log, deps, probes, elapsed: () => clock };
}

const options = (extra: Partial<DeployOptions> = {}): DeployOptions & { mode: 'apply' } => ({
  root,
  outdir: 'cdktf.out',
  stacks: ['storage', 'compute', 'warehouse'],
  autoApprove: true,
  skipSynth: false,
  waitMinutes: 5,
  probeIntervalSeconds: 15,
  mode: 'apply',
  ...extra,
});

describe('pipeline deploy (a first deploy, then again)', () => {
  it('applies storage, compute, then the warehouse in two steps around the wait for Snowflake to use its role', async () => {
    const { terraform, deps, probes, elapsed, log } = setup([false, false, true]);
    await runDeploy(config, options(), deps, ENV);
    expect(terraform.calls[0]).toMatchObject({ command: 'terraform', args: ['version', '-json'] });
    expect(terraform.calls[1]).toMatchObject({ command: 'npx', args: ['cdktf', 'synth', '--output', 'cdktf.out'] });
    expect(terraform.terraformCalls()).toEqual([
      'storage init -input=false -no-color',
      'storage apply -input=false -no-color -lock-timeout=120s -auto-approve',
      'compute init -input=false -no-color',
      'compute apply -input=false -no-color -lock-timeout=120s -auto-approve',
      'warehouse init -input=false -no-color',
      'warehouse apply -input=false -no-color -lock-timeout=120s -auto-approve',
      'warehouse apply -input=false -no-color -lock-timeout=120s -auto-approve',
    ]);
    // Step 1 names the query warehouse, both integrations and Snowflake's IAM roles and policies, and nothing else.
    const targeted = terraform.calls.find((c) => c.args.some((a) => a.startsWith('-target=')))!;
    const types = new Set(targeted.args.filter((a) => a.startsWith('-target=')).map((a) => a.slice('-target='.length).split('.')[0]));
    expect(types).toEqual(new Set(['snowflake_warehouse', 'snowflake_storage_integration', 'snowflake_notification_integration', 'aws_iam_role', 'aws_iam_role_policy']));
    expect(targeted.args.filter((a) => a.startsWith('-target=aws_iam_role.'))).toHaveLength(2);
    // Three checks, 15 s apart, through the real integration name and location.
    expect(probes).toEqual(Array(3).fill('SPOTIFY_PIPELINE_DEV_PROCESSED s3://spotify-pipeline-dev-123456789012/processed/'));
    expect(elapsed()).toBe(30_000);
    // Terraform runs as the configured deploy user and role.
    for (const call of terraform.calls.filter((c) => c.command === 'terraform')) {
      expect(call.env).toMatchObject({ SNOWFLAKE_USER: 'SPOTIFY_PIPELINE_DEPLOYER', SNOWFLAKE_ROLE: 'SYSADMIN', SNOWFLAKE_PRIVATE_KEY: ENV.SNOWFLAKE_PRIVATE_KEY });
    }
    expect(log.join('\n')).toMatch(/Running `pipeline deploy` again changes nothing/);
  });

  it('is safe to run again: the same steps, nothing waits', async () => {
    const { terraform, deps, elapsed } = setup([true]);
    await runDeploy(config, options(), deps, ENV);
    await runDeploy(config, options({ skipSynth: true }), deps, ENV);
    expect(terraform.calls.filter((c) => c.command === 'npx')).toHaveLength(1);
    expect(elapsed()).toBe(0);
  });

  it('asks Terraform for confirmation unless --yes', async () => {
    const { terraform, deps } = setup();
    await runDeploy(config, options({ autoApprove: false, stacks: ['storage'] }), deps, ENV);
    const apply = terraform.calls.find((c) => c.args.includes('apply'))!;
    expect(apply.args).not.toContain('-auto-approve');
  });

  it('gives up waiting with what to check, and applies nothing further', async () => {
    const { terraform, deps, elapsed } = setup([false]);
    const deploy = runDeploy(config, options({ waitMinutes: 2 }), deps, ENV);
    await expect(deploy).rejects.toThrow(/cannot use SPOTIFY_PIPELINE_DEV_PROCESSED after 2 min: .*sts:AssumeRole.*spotify-pipeline-dev-snowflake-s3-read.*DESC INTEGRATION/s);
    expect(elapsed()).toBeLessThanOrEqual(120_000);
    expect(terraform.terraformCalls().filter((c) => c.startsWith('warehouse apply'))).toHaveLength(1);
  });

  it('refuses to start without a Snowflake key, before touching anything', async () => {
    const { terraform, deps } = setup();
    await expect(runDeploy(config, options(), deps, { PATH: process.env.PATH })).rejects.toThrow(/No Snowflake private key for SPOTIFY_PIPELINE_DEPLOYER: set SNOWFLAKE_PRIVATE_KEY_PATH/);
    expect(terraform.calls).toEqual([]);
    // Storage and compute alone need no Snowflake key.
    await runDeploy(config, options({ stacks: ['storage', 'compute'] }), deps, { PATH: process.env.PATH });
  });

  it('reads the key from SNOWFLAKE_PRIVATE_KEY_PATH for the provider', async () => {
    const { terraform, deps } = setup();
    const keyFile = join(root, 'deployer.p8');
    writeFileSync(keyFile, 'PEM TEXT');
    await runDeploy(config, options({ stacks: ['warehouse'] }), deps, { SNOWFLAKE_PRIVATE_KEY_PATH: keyFile });
    expect(terraform.calls.find((c) => c.command === 'terraform')!.env.SNOWFLAKE_PRIVATE_KEY).toBe('PEM TEXT');
  });

  it('says so when Terraform is missing, and explains a known failure', async () => {
    const { terraform, deps } = setup();
    terraform.failNext = { match: /terraform version/, result: { code: 127, stdout: '', stderr: 'spawn terraform ENOENT' } };
    await expect(runDeploy(config, options(), deps, ENV)).rejects.toThrow(/terraform is not on PATH: install Terraform 1\.10/);

    terraform.failNext = {
      match: /compute terraform apply/,
      result: { code: 1, stdout: '', stderr: 'Error: creating CloudWatch Logs Log Group (/aws-glue/crawlers): ResourceAlreadyExistsException: The specified log group already exists' },
    };
    await expect(runDeploy(config, options({ skipSynth: true }), deps, ENV)).rejects.toThrow(
      /terraform apply of spotify-pipeline-dev-compute failed.*already exists in this account.*import <address of the crawler log group> \/aws-glue\/crawlers/s,
    );
  });
});

describe('pipeline deploy --plan-only / --apply-plans (CI)', () => {
  it('on an empty account plans storage and skips the stacks whose inputs do not exist yet, as the read-only planner', async () => {
    const { terraform, deps, log } = setup();
    const out = mkdtempSync(join(tmpdir(), 'plans-'));
    const summary = await runDeploy(config, { ...options(), mode: 'plan', dir: out }, deps, ENV);
    expect(summary).toMatchObject({
      storage: { status: 'changes' },
      compute: { status: 'skipped', reason: expect.stringMatching(/spotify-pipeline-dev-storage has not been applied yet.*pipeline deploy/) },
      warehouse: { status: 'skipped' },
    });
    expect(existsSync(join(out, 'storage.tfplan'))).toBe(true);
    expect(readFileSync(join(out, 'storage.txt'), 'utf8')).toMatch(/following actions/);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).compute.status).toBe('skipped');
    expect(log.join('\n')).toMatch(/skipped spotify-pipeline-dev-compute: .*not been applied yet/);
    for (const call of terraform.calls.filter((c) => c.command === 'terraform')) {
      expect(call.env).toMatchObject({ SNOWFLAKE_USER: 'SPOTIFY_PIPELINE_PLANNER', SNOWFLAKE_ROLE: 'SPOTIFY_PIPELINE_DEV_PLANNER' });
    }
    // Planning applies nothing.
    expect(terraform.terraformCalls().some((c) => / apply/.test(c))).toBe(false);
  });

  it('skips a stack whose upstream has not been applied with a new output yet', async () => {
    const { terraform, deps } = setup();
    await runDeploy(config, options(), deps, ENV);
    const compute = terraform.applied.get('spotify-pipeline-dev-compute')!;
    const [someOutput] = Object.keys(compute).filter((k) => k.startsWith('cross-stack-output-'));
    delete compute[someOutput];
    const summary = (await runDeploy(config, { ...options({ skipSynth: true }), mode: 'plan', dir: mkdtempSync(join(tmpdir(), 'plans-')) }, deps, ENV)) as any;
    expect(summary.storage.status).toBe('no-changes');
    expect(summary.warehouse).toMatchObject({ status: 'skipped', reason: expect.stringContaining(`lacks ${someOutput}`) });
  });

  it('applies exactly the saved plans with changes, in order, and refuses one whose inputs changed since', async () => {
    const { terraform, deps } = setup();
    const dir = mkdtempSync(join(tmpdir(), 'plans-'));
    await runDeploy(config, { ...options(), mode: 'plan', dir }, deps, ENV);
    await runDeploy(config, { ...options({ skipSynth: true }), mode: 'apply-plans', dir }, deps, ENV);
    expect(terraform.terraformCalls().filter((c) => c.includes(' apply'))).toEqual(['storage apply -input=false -no-color -lock-timeout=120s <plan>']);
    expect(terraform.calls.find((c) => c.args.includes('apply'))!.args.at(-1)).toBe(join(dir, 'storage.tfplan'));

    // Next run: compute is planned against storage's outputs; storage's outputs then change before the apply.
    const next = mkdtempSync(join(tmpdir(), 'plans-'));
    await runDeploy(config, { ...options({ skipSynth: true }), mode: 'plan', dir: next }, deps, ENV);
    const storage = terraform.applied.get('spotify-pipeline-dev-storage')!;
    for (const k of Object.keys(storage)) storage[k] = `${storage[k]}-changed`;
    await expect(runDeploy(config, { ...options({ skipSynth: true }), mode: 'apply-plans', dir: next }, deps, ENV)).rejects.toThrow(
      /inputs of spotify-pipeline-dev-compute changed after its plan was made.*Plan again/,
    );
  });

  it("a pull request's plan reads the state only (no refresh, no lock), as the pull-request planner that holds no role of the stack", async () => {
    const { terraform, deps } = setup();
    await runDeploy(config, options(), deps, ENV);
    const withPrUser = { ...config, snowflake: { ...config.snowflake, prPlanUser: 'SPOTIFY_PIPELINE_PR_PLANNER' } };
    await runDeploy(withPrUser, { ...options({ skipSynth: true, pullRequest: true }), mode: 'plan', dir: mkdtempSync(join(tmpdir(), 'plans-')) }, deps, ENV);
    const plans = terraform.calls.filter((c) => c.args.includes('plan'));
    expect(plans.map((c) => c.stack)).toEqual(['spotify-pipeline-dev-storage', 'spotify-pipeline-dev-compute', 'spotify-pipeline-dev-warehouse']);
    for (const call of plans) {
      expect(call.args).toEqual(expect.arrayContaining(['-refresh=false', '-lock=false']));
      expect(call.args.some((a) => a.startsWith('-lock-timeout'))).toBe(false);
      expect(call.env).toMatchObject({ SNOWFLAKE_USER: 'SPOTIFY_PIPELINE_PR_PLANNER', SNOWFLAKE_ROLE: 'PUBLIC' });
    }
  });

  it("main's plan refreshes, under the lock, as the planner that sees every object", async () => {
    const { terraform, deps } = setup();
    await runDeploy(config, { ...options(), mode: 'plan', dir: mkdtempSync(join(tmpdir(), 'plans-')) }, deps, ENV);
    const [plan] = terraform.calls.filter((c) => c.args.includes('plan'));
    expect(plan.args).toContain('-lock-timeout=120s');
    expect(plan.args.some((a) => a.startsWith('-refresh') || a.startsWith('-lock='))).toBe(false);
  });

  it('needs a plan folder to apply', async () => {
    const { deps } = setup();
    await expect(runDeploy(config, { ...options({ skipSynth: true }), mode: 'apply-plans', dir: join(root, 'nope') }, deps, ENV)).rejects.toBeInstanceOf(DeployError);
  });
});

describe('pipeline destroy (tear down on purpose)', () => {
  it('refuses without --confirm naming the environment', async () => {
    const { terraform, deps } = setup();
    await expect(runDeploy(config, { ...options(), mode: 'destroy' }, deps, ENV)).rejects.toThrow(/pass --confirm dev/);
    await expect(runDeploy(config, { ...options(), mode: 'destroy', confirm: 'prod' }, deps, ENV)).rejects.toThrow(/pass --confirm dev/);
    expect(terraform.calls).toEqual([]);
  });

  it("synthesises with the data protection lifted, then destroys warehouse, compute and storage in that order", async () => {
    const { terraform, deps } = setup();
    await runDeploy(config, options(), deps, ENV);
    await runDeploy(config, { ...options(), mode: 'destroy', confirm: 'dev' }, deps, ENV);
    const synths = terraform.calls.filter((c) => c.command === 'npx');
    expect(synths.at(-1)!.env).toMatchObject({ PIPELINE_ALLOW_DESTROY: '1', PIPELINE_ENV: 'dev' });
    expect(synths[0].env.PIPELINE_ALLOW_DESTROY).toBeUndefined();
    expect(terraform.terraformCalls().filter((c) => c.includes(' destroy'))).toEqual(
      ['warehouse', 'compute', 'storage'].map((k) => `${k} destroy -input=false -no-color -lock-timeout=120s -auto-approve`),
    );
    expect(terraform.applied.size).toBe(0);
  });
});

describe('helpers', () => {
  it('orders --stacks in deploy order and refuses unknown ones', () => {
    expect(parseStacks('warehouse,storage')).toEqual(['storage', 'warehouse']);
    expect(() => parseStacks('network')).toThrow(/--stacks takes storage, compute, warehouse/);
  });

  it("reads SYSTEM$VALIDATE_STORAGE_INTEGRATION's answer", async () => {
    const answer = (json: object) => async () => ({ rows: [[JSON.stringify(json)]] });
    expect(await validateIntegration(answer({ status: 'success', actions: { LIST: { status: 'success' } } }), 'I', 's3://b/processed/')).toEqual({ ok: true, detail: 'success' });
    expect(
      await validateIntegration(answer({ status: 'failure', actions: { LIST: { status: 'failure', message: 'Access Denied (Status Code: 403)' } } }), 'I', 's3://b/p/'),
    ).toEqual({ ok: false, detail: 'Access Denied (Status Code: 403)' });
    expect(await validateIntegration(async () => Promise.reject(new Error('Integration I does not exist')), 'I', 's3://b/p/')).toEqual({ ok: false, detail: 'Integration I does not exist' });
  });

  it("explains a plan stopped by prod's protection of Snowflake data", () => {
    const stderr = 'Error: Instance cannot be destroyed\n  on cdk.tf.json line 812: resource "snowflake_table" "snowpipe_tracks_table"';
    expect(explainFailure({ code: 1, stdout: '', stderr })).toMatch(/prevent_destroy[\s\S]*pipeline destroy --confirm prod/);
  });

  it('explains a stale state lock and expired AWS credentials', () => {
    expect(explainFailure({ code: 1, stdout: '', stderr: 'Error: Error acquiring the state lock' })).toMatch(/force-unlock/);
    expect(explainFailure({ code: 1, stdout: '', stderr: 'ExpiredToken: the security token included in the request is expired' })).toMatch(/log in again/);
  });
});
