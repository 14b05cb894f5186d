/**
 * Bundles the Lambda handlers with esbuild for the Lambda runtime (Node.js 22), one folder per function and
 * content: build/lambdas/<name>-<hash>/index.js (+ .map). The compute stack calls this before it constructs the
 * TerraformAsset for each folder (the asset reads the folder when it is constructed, and zips it at synth).
 *
 * Why content-addressed folders: `cdktf synth`, the test suite and a developer's shell may bundle at the same
 * time. A fixed folder that each of them empties and refills lets one process zip a folder another has just
 * deleted; a folder named by its content is written once (atomically, by rename) and never changes.
 */
import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

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
/** Older bundles of a function are removed once they are this old (nobody can still be zipping them). */
const STALE_AFTER_MS = 60 * 60 * 1000;

export function buildLambdaBundlesSync(outDir = join(ROOT, 'build', 'lambdas')): LambdaBundle[] {
  mkdirSync(outDir, { recursive: true });
  return (Object.keys(LAMBDA_ENTRIES) as LambdaName[]).map((name) => {
    const result = buildSync({
      entryPoints: [join(ROOT, LAMBDA_ENTRIES[name])],
      outfile: 'index.js',
      write: false,
      bundle: true,
      minify: true,
      treeShaking: true,
      sourcemap: true,
      platform: 'node',
      target: ESBUILD_TARGET,
      format: 'cjs',
      // The Lambda runtime ships an AWS SDK v3 of its own choosing; bundling our pinned clients keeps the
      // deployed behaviour identical to what the tests ran.
      legalComments: 'none',
      logLevel: 'warning',
    });
    const hash = createHash('sha256');
    for (const file of result.outputFiles) hash.update(basename(file.path)).update(file.contents);
    const dir = join(outDir, `${name}-${hash.digest('hex').slice(0, 12)}`);
    if (!existsSync(join(dir, 'index.js'))) {
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp);
      for (const file of result.outputFiles) writeFileSync(join(tmp, basename(file.path)), file.contents);
      try {
        renameSync(tmp, dir);
      } catch (error) {
        // Another process published the same content first: theirs is identical, keep it.
        rmSync(tmp, { recursive: true, force: true });
        if (!existsSync(join(dir, 'index.js'))) throw error;
      }
    }
    pruneStaleBundles(outDir, name, dir);
    const entry = join(dir, 'index.js');
    return { name, dir, entry, bytes: statSync(entry).size };
  });
}

function pruneStaleBundles(outDir: string, name: string, keep: string): void {
  const now = Date.now();
  for (const entry of readdirSync(outDir)) {
    const path = join(outDir, entry);
    if (path === keep || !entry.startsWith(`${name}-`) || !/^[0-9a-f]{12}$/.test(entry.slice(name.length + 1))) continue;
    if (now - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { recursive: true, force: true });
  }
}
