/**
 * The real `cdktf synth` (the CLI, main.ts through tsx, esbuild bundles, assets), as a user or CI runs it from
 * a clean clone: all three stacks come out, with their assets.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

describe('npx cdktf synth', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'cdktf-synth-'));
    execFileSync('npx', ['cdktf', 'synth', '--output', out], {
      cwd: ROOT,
      env: { ...process.env, PIPELINE_ENV: 'dev', CHECKPOINT_DISABLE: '1', CI: '1' },
      stdio: 'pipe',
      timeout: 120_000,
    });
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the three stacks of dev', () => {
    expect(readdirSync(join(out, 'stacks')).sort()).toEqual([
      'spotify-pipeline-dev-compute',
      'spotify-pipeline-dev-storage',
      'spotify-pipeline-dev-warehouse',
    ]);
    for (const stack of readdirSync(join(out, 'stacks'))) {
      const tf = JSON.parse(readFileSync(join(out, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
      expect(Object.keys(tf.resource).length).toBeGreaterThan(0);
    }
  });

  it('packs the Lambda bundles and the Glue files as assets of the compute stack', () => {
    const compute = JSON.parse(readFileSync(join(out, 'stacks', 'spotify-pipeline-dev-compute', 'cdk.tf.json'), 'utf8'));
    const files = [
      ...Object.values<any>(compute.resource.aws_lambda_function).map((f) => f.filename),
      ...Object.values<any>(compute.resource.aws_s3_object).map((o) => o.source),
    ];
    // Two Lambda bundles; the Glue script, package, tables.json and raw-documents.json.
    expect(files).toHaveLength(6);
    for (const file of files) expect(existsSync(join(out, 'stacks', 'spotify-pipeline-dev-compute', file))).toBe(true);
  });

  it('fails with the problem named when the environment does not exist', () => {
    let message = '';
    try {
      execFileSync('npx', ['tsx', 'main.ts'], {
        cwd: ROOT,
        env: { ...process.env, PIPELINE_ENV: 'staging', CDKTF_OUTDIR: out },
        stdio: 'pipe',
      });
    } catch (error) {
      message = String((error as { stderr: Buffer }).stderr);
    }
    expect(message).toMatch(/No configuration at .*staging\.json/);
  });
});
