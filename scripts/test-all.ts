/**
 * `make test`: every suite in order, each one's own output streamed, then one summary line that counts the
 * tests of all suites. Exits non-zero when any suite fails, so CI does not land a red run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'build', 'test-results');

interface Suite {
  name: string;
  command: string[];
  env?: NodeJS.ProcessEnv;
  /** Counts read from the suite's machine-readable result file, when it has one. */
  counts?: () => { passed: number; failed: number; skipped: number };
}

// Instants are UTC in every layer and session: the suites run in a zone that is not UTC (and has summer time), so a
// conversion through the machine's zone shows as a wrong instant.
const TEST_TZ = process.env.TEST_TZ ?? 'America/Los_Angeles';

const SUITES: Suite[] = [
  { name: 'types (tsc --noEmit)', command: ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json'] },
  {
    name: 'jest (stacks, handlers, local run, CLI)',
    command: ['npx', 'jest', '--ci', '--json', `--outputFile=${join(RESULTS, 'jest.json')}`],
    env: { TZ: TEST_TZ },
    counts: () => {
      const r = JSON.parse(readFileSync(join(RESULTS, 'jest.json'), 'utf8'));
      return { passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites, skipped: r.numPendingTests + r.numTodoTests };
    },
  },
  {
    name: 'pytest (Glue job, Snowflake SQL)',
    command: [join(ROOT, '.venv', 'bin', 'pytest'), `--junitxml=${join(RESULTS, 'pytest.xml')}`],
    env: { TZ: TEST_TZ },
    counts: () => {
      const xml = readFileSync(join(RESULTS, 'pytest.xml'), 'utf8');
      const attr = (name: string) => [...xml.matchAll(new RegExp(`<testsuite [^>]*\\b${name}="(\\d+)"`, 'g'))].reduce((s, m) => s + Number(m[1]), 0);
      const failed = attr('failures') + attr('errors');
      const skipped = attr('skipped');
      return { passed: attr('tests') - failed - skipped, failed, skipped };
    },
  },
];

// Infrastructure checks that need no cloud: synth of every stack, checkov on the result, actionlint on CI.
// checkov scans what synth.sh just wrote to cdktf.out instead of synthesising a second time.
for (const [name, script, env] of [
  ['cdktf synth (all stacks, dev and prod)', 'scripts/synth.sh', {}],
  ['checkov (synthesised Terraform)', 'scripts/checkov.sh', { SKIP_SYNTH: '1' }],
  ['actionlint (GitHub workflows)', 'scripts/actionlint.sh', {}],
] as const) {
  if (existsSync(join(ROOT, script))) SUITES.push({ name, command: ['bash', script], env });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failedSuites: string[] = [];
const started = Date.now();

for (const suite of SUITES) {
  process.stdout.write(`\n=== ${suite.name} ===\n`);
  const t0 = Date.now();
  const result = spawnSync(suite.command[0], suite.command.slice(1), { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...suite.env } });
  const ok = result.status === 0;
  if (suite.counts) {
    try {
      const c = suite.counts();
      passed += c.passed;
      failed += c.failed;
      skipped += c.skipped;
    } catch {
      // No result file: the runner did not get as far as running tests; its exit code says it failed.
    }
  } else {
    ok ? (passed += 1) : (failed += 1);
  }
  if (!ok) failedSuites.push(suite.name);
  process.stdout.write(`=== ${suite.name}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s) ===\n`);
}

process.stdout.write(`\n${SUITES.length} suites in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.stdout.write(failedSuites.length ? `; failed: ${failedSuites.join(', ')}\n` : '; all green\n');
if (skipped > 0) process.stdout.write(`${skipped} tests skipped: a skipped test is a defect here\n`);
process.stdout.write(`total: ${passed} passed, ${failed + (failedSuites.length && failed === 0 ? failedSuites.length : 0)} failed\n`);
process.exit(failedSuites.length ? 1 : 0);
