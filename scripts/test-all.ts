/**
 * `make test`: every suite, then one summary line that counts the tests of all suites. Exits non-zero when any
 * suite fails, so CI does not land a red run.
 *
 * The suites run in two lanes at the same time (the suites of a lane one after the other), balanced by wall time on
 * two cores (docs/benchmarks.md):
 *   node:   jest on two workers (everything but the local run), jest's end-to-end local run (Spark), synth,
 *           checkov, actionlint, types
 *   python: pytest (Spark), the longest suite
 * No test depends on wall-clock timing or machine load (fake clocks and event order: docs/benchmarks.md, "Tests
 * independent of load"), so the Spark-heavy suites run beside the rest instead of in a phase of their own.
 * Each suite's output is printed whole when it ends, so the log reads suite by suite.
 * TEST_SERIAL=1 runs the suites one after another with their output streamed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'build', 'test-results');

// Every suite's temporary files (os.tmpdir(), Python's tempfile and pytest's tmp_path, Spark's local dirs) go to
// a folder of this run under build/tmp, removed when the run ends: tests that leave their temporary folders behind
// do not fill /tmp. Folders of earlier runs that were killed are removed at the start of the next.
const TMP_ROOT = join(ROOT, 'build', 'tmp');
const RUN_TMP = join(TMP_ROOT, `test-run-${process.pid}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function prepareTmp(): void {
  if (existsSync(TMP_ROOT)) {
    for (const name of readdirSync(TMP_ROOT)) {
      const pid = /^test-run-(\d+)$/.exec(name)?.[1];
      if (pid && !alive(Number(pid))) rmSync(join(TMP_ROOT, name), { recursive: true, force: true });
    }
  }
  mkdirSync(RUN_TMP, { recursive: true });
}
const TMP_ENV = { TMPDIR: RUN_TMP, SPARK_LOCAL_DIRS: RUN_TMP };
// jest's transform cache stays where jest keeps it by default (the machine's temporary folder, shared by the
// checkouts on the machine), not in this run's folder: a cold cache costs every test file its compile again.
const JEST_CACHE = join(tmpdir(), `jest_${process.getuid?.().toString(36) ?? 'default'}`);

interface Suite {
  name: string;
  /** Lanes run at the same time, the suites of a lane in order. */
  lane: string;
  command: string[];
  env?: NodeJS.ProcessEnv;
  /** Counts read from the suite's machine-readable result file, when it has one. */
  counts?: () => { passed: number; failed: number; skipped: number };
}

// Instants are UTC in every layer and session: the test suites run in a zone that is not UTC (and has summer
// time), so a conversion through the machine's zone shows as a wrong instant.
const TEST_TZ = process.env.TEST_TZ ?? 'America/Los_Angeles';

function jestSuite(name: string, lane: string, resultFile: string, args: string[]): Suite {
  return {
    name,
    lane,
    command: ['npx', 'jest', '--ci', `--cacheDirectory=${JEST_CACHE}`, ...args, '--json', `--outputFile=${join(RESULTS, resultFile)}`],
    env: { TZ: TEST_TZ },
    counts: () => {
      const r = JSON.parse(readFileSync(join(RESULTS, resultFile), 'utf8'));
      return { passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites, skipped: r.numPendingTests + r.numTodoTests };
    },
  };
}

const SUITES: Suite[] = [
  // jest in two runs: the files that wait on servers and child processes rather than the CPU on two workers
  // (jest's default on 2 cores is one worker: 174 s for all files one by one; docs/benchmarks.md), then the
  // end-to-end local run in band (its files share one warm Spark each).
  jestSuite('jest (stacks, handlers, dashboard, CLI)', 'node', 'jest-parallel.json', ['--maxWorkers=2', '--testPathIgnorePatterns=/__tests__/local-run/']),
  jestSuite('jest (local run end to end)', 'node', 'jest-local-run.json', [
    '--runInBand',
    // One warm Spark session for the suite's files (they run in band, one after the other), not one per file.
    '--globalSetup=<rootDir>/__tests__/local-run/warm-spark/global-setup.ts',
    '--globalTeardown=<rootDir>/__tests__/local-run/warm-spark/global-teardown.ts',
    '__tests__/local-run',
  ]),
  {
    name: 'pytest (Glue job, Snowflake SQL, dashboard)',
    lane: 'python',
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
  if (existsSync(join(ROOT, script))) SUITES.push({ name, lane: 'node', command: ['bash', script], env });
}
SUITES.push({ name: 'types (tsc --noEmit)', lane: 'node', command: ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json'] });

let passed = 0;
let failed = 0;
let skipped = 0;
const failedSuites: string[] = [];
const started = Date.now();
const serial = process.env.TEST_SERIAL === '1';

function record(suite: Suite, ok: boolean, seconds: number): void {
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
  process.stdout.write(`=== ${suite.name}: ${ok ? 'ok' : 'FAILED'} (${seconds.toFixed(1)} s) ===\n`);
}

function runStreamed(suite: Suite): void {
  process.stdout.write(`\n=== ${suite.name} ===\n`);
  const t0 = Date.now();
  const result = spawnSync(suite.command[0], suite.command.slice(1), { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...TMP_ENV, ...suite.env } });
  record(suite, result.status === 0, (Date.now() - t0) / 1000);
}

/** Runs a suite with its output collected, and prints it whole when the suite ends. */
function runBuffered(suite: Suite): Promise<void> {
  const t0 = Date.now();
  process.stdout.write(`--- started: ${suite.name}\n`);
  return new Promise((resolvePromise) => {
    const chunks: Buffer[] = [];
    const child = spawn(suite.command[0], suite.command.slice(1), { cwd: ROOT, env: { ...process.env, ...TMP_ENV, ...suite.env } });
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    let done = false;
    const finish = (ok: boolean, note = '') => {
      if (done) return;
      done = true;
      process.stdout.write(`\n=== ${suite.name} ===\n${Buffer.concat(chunks).toString('utf8')}${note}`);
      record(suite, ok, (Date.now() - t0) / 1000);
      resolvePromise();
    };
    child.on('error', (error) => finish(false, `could not start ${suite.command[0]}: ${error.message}\n`));
    child.on('close', (code) => finish(code === 0));
  });
}

/**
 * checkov's install, when it is missing (a fresh machine: ~100 packages, over a minute of downloads), starts at
 * once beside the other suites instead of after synth; the checkov suite waits for it (the script's lock) and
 * reports any install error itself, so this step's own outcome is not a result.
 */
function prepareCheckov(): Promise<void> {
  if (!SUITES.some((s) => s.command.includes('scripts/checkov.sh'))) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const child = spawn('bash', ['scripts/checkov.sh', '--install'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, ...TMP_ENV } });
    child.on('error', () => resolvePromise());
    child.on('close', () => resolvePromise());
  });
}

async function main(): Promise<void> {
  prepareTmp();
  process.on('exit', () => rmSync(RUN_TMP, { recursive: true, force: true }));
  const checkovInstalled = prepareCheckov();
  if (serial) {
    for (const suite of SUITES) runStreamed(suite);
  } else {
    const lanes = [...new Set(SUITES.map((s) => s.lane))];
    await Promise.all(
      lanes.map(async (lane) => {
        for (const suite of SUITES.filter((s) => s.lane === lane)) await runBuffered(suite);
      }),
    );
  }
  await checkovInstalled;
  process.stdout.write(`\n${SUITES.length} suites in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(failedSuites.length ? `; failed: ${failedSuites.join(', ')}\n` : '; all green\n');
  if (skipped > 0) process.stdout.write(`${skipped} tests skipped: a skipped test is a defect here\n`);
  process.stdout.write(`total: ${passed} passed, ${failed + (failedSuites.length && failed === 0 ? failedSuites.length : 0)} failed\n`);
  process.exit(failedSuites.length ? 1 : 0);
}

void main();
