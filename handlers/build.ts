/**
 * Bundles the Lambda handlers with esbuild for the Lambda runtime (Node.js 22), one folder per function:
 * build/lambdas/<name>/index.js (+ .map). The compute stack calls this before it constructs the
 * TerraformAsset for each folder (the asset reads the folder when it is constructed).
 */
import { buildSync } from 'esbuild';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LAMBDA_RUNTIME = 'nodejs22.x';
const ESBUILD_TARGET = 'node22';

export const LAMBDA_ENTRIES = {
  extract: 'handlers/extract/index.ts',
  'start-transform': 'handlers/start-transform/index.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

export interface LambdaBundle {
  name: LambdaName;
  dir: string;
  entry: string;
  bytes: number;
}

const ROOT = resolve(__dirname, '..');

export function buildLambdaBundlesSync(outDir = join(ROOT, 'build', 'lambdas')): LambdaBundle[] {
  return (Object.keys(LAMBDA_ENTRIES) as LambdaName[]).map((name) => {
    const dir = join(outDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.js');
    buildSync({
      entryPoints: [join(ROOT, LAMBDA_ENTRIES[name])],
      outfile,
      bundle: true,
      minify: true,
      treeShaking: true,
      sourcemap: true,
      platform: 'node',
      target: ESBUILD_TARGET,
      format: 'cjs',
      // The Lambda runtime ships AWS SDK v3, but bundling our pinned clients keeps behaviour identical to tests.
      legalComments: 'none',
      logLevel: 'warning',
    });
    return { name, dir, entry: outfile, bytes: statSync(outfile).size };
  });
}
