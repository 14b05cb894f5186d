/**
 * jest's TypeScript transform: esbuild, file by file, as tsx runs the CLI and the local run (the same emit the
 * code meets outside the tests). Type checking is `tsc --noEmit`, a suite of its own in `make test`.
 *
 * Why not ts-jest: on a fresh clone jest's transform cache is cold (its folder is keyed by the checkout's path),
 * and ts-jest then spends ~150 ms of CPU per module loading and running the TypeScript compiler in every worker;
 * esbuild transpiles the same module in about a millisecond (two test files cold: 21.2 s -> 12.2 s CPU).
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

// The options that change the emit, from the project's tsconfig (useDefineForClassFields follows its target).
const { compilerOptions } = JSON.parse(readFileSync(join(__dirname, '..', 'tsconfig.json'), 'utf8'));
const TSCONFIG_RAW = { compilerOptions: { target: compilerOptions.target, esModuleInterop: compilerOptions.esModuleInterop } };
const OPTIONS_KEY = JSON.stringify([esbuild.version, TSCONFIG_RAW, readFileSync(__filename, 'utf8')]);

module.exports = {
  process(source, filename) {
    const { code } = esbuild.transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      platform: 'node',
      sourcemap: 'inline',
      sourcefile: filename,
      tsconfigRaw: TSCONFIG_RAW,
      // import() becomes require(), as tsc's CommonJS emit does: jest's module registry serves require only
      // (a native import() in a test needs --experimental-vm-modules).
      supported: { 'dynamic-import': false },
    });
    return { code };
  },
  getCacheKey(source, filename) {
    return createHash('sha1').update(OPTIONS_KEY).update('\0').update(filename).update('\0').update(source).digest('hex');
  },
};
