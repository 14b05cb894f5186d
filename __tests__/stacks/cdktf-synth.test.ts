/**
 * The real `cdktf synth` (the CLI, main.ts through tsx, esbuild bundles, assets), as a user or CI runs it from
 * a clean clone: all three stacks come out, with their assets. And the plan does not depend on where the checkout
 * is: two copies of the checkout at different paths synthesise byte-identical stacks (state paths, uploads,
 * assets), so a plan made in CI after a laptop's deploy, or from a re-clone elsewhere, plans no change.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/**
 * A copy of the checkout's files (tracked and new, without what git ignores) at `dir`. node_modules is linked, not
 * copied; both copies sit side by side so the link resolves to the same relative place (esbuild's source maps name
 * the modules relative to the working directory, as a clone with its own node_modules would).
 */
function copyCheckout(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && f !== 'node_modules' && f !== '.venv' && existsSync(join(ROOT, f)));
  execFileSync('tar', ['-cf', join(dir, '..', `${files.length}.tar`), '--null', '-T', '-'], { cwd: ROOT, input: files.join('\0') });
  execFileSync('tar', ['-xf', join(dir, '..', `${files.length}.tar`)], { cwd: dir });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
}

const stacksOf = (out: string) => readdirSync(join(out, 'stacks')).sort();
const tfText = (out: string, stack: string) => readFileSync(join(out, 'stacks', stack, 'cdk.tf.json'), 'utf8');

describe('npx cdktf synth', () => {
  let base: string;
  let first: string;
  let second: string;
  let out: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'cdktf-synth-'));
    first = join(base, 'checkout');
    second = join(base, 'another-checkout-with-a-longer-name');
    copyCheckout(first);
    copyCheckout(second);
    out = join(first, 'cdktf.out');
    const env = { ...process.env, PIPELINE_ENV: 'dev', CHECKPOINT_DISABLE: '1', CI: '1' };
    execFileSync('npx', ['cdktf', 'synth', '--output', 'cdktf.out'], { cwd: first, env, stdio: 'pipe', timeout: 120_000 });
    // What `cdktf synth` runs (cdktf.json's "app"), without the CLI around it: the same output, and ~5 s of CPU less.
    execFileSync('npx', ['tsx', 'main.ts'], { cwd: second, env: { ...env, CDKTF_OUTDIR: 'cdktf.out' }, stdio: 'pipe', timeout: 120_000 });
  }, 180_000);
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('writes the three stacks of dev', () => {
    expect(stacksOf(out)).toEqual(['spotify-pipeline-dev-compute', 'spotify-pipeline-dev-storage', 'spotify-pipeline-dev-warehouse']);
    for (const stack of stacksOf(out)) {
      const tf = JSON.parse(tfText(out, stack));
      expect(Object.keys(tf.resource).length).toBeGreaterThan(0);
    }
  });

  it('packs the Lambda bundles and the Glue files as assets of the compute stack', () => {
    const compute = JSON.parse(tfText(out, 'spotify-pipeline-dev-compute'));
    const files = [
      ...Object.values<any>(compute.resource.aws_lambda_function).map((f) => f.filename),
      ...Object.values<any>(compute.resource.aws_s3_object).map((o) => o.source),
    ];
    // Two Lambda bundles; the Glue script, package, tables.json and raw-documents.json.
    expect(files).toHaveLength(6);
    for (const file of files) expect(existsSync(join(out, 'stacks', 'spotify-pipeline-dev-compute', file))).toBe(true);
  });

  it('synthesises byte-identical stacks from two checkouts at different paths', () => {
    const other = join(second, 'cdktf.out');
    expect(stacksOf(other)).toEqual(stacksOf(out));
    for (const stack of stacksOf(out)) {
      const text = tfText(out, stack);
      expect(tfText(other, stack)).toBe(text);
      // Nothing that Terraform would evaluate to a path of the machine that plans, either.
      expect(text).not.toContain(base);
      expect(text).not.toMatch(/abspath\(|path\.(cwd|module|root)/);
      // The same assets, under the same content hashes (cdktf 0.21's zips carry timestamps; their folders do not).
      const assets = (dir: string) => (existsSync(join(dir, 'stacks', stack, 'assets')) ? readdirSync(join(dir, 'stacks', stack, 'assets'), { recursive: true }).map(String).sort() : []);
      expect(assets(other)).toEqual(assets(out));
    }
  });

  it('fails with the problem named when the environment does not exist', () => {
    let message = '';
    try {
      execFileSync('npx', ['tsx', 'main.ts'], {
        cwd: ROOT,
        env: { ...process.env, PIPELINE_ENV: 'staging', CDKTF_OUTDIR: join(base, 'staging.out') },
        stdio: 'pipe',
      });
    } catch (error) {
      message = String((error as { stderr: Buffer }).stderr);
    }
    expect(message).toMatch(/No configuration at .*staging\.json/);
  });
});
