/**
 * Runs the Glue job's script (glue/transform_job.py) on local Spark for one raw run: the same script AWS Glue
 * runs, with local folder paths in place of s3:// prefixes, started by run_glue_job.py next to this file (which
 * hands it a session tuned to start fast). The script prints one `TRANSFORM_RESULT {json}` line on success;
 * anything else on stderr is Spark's or the job's diagnostics.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface TransformResult {
  run_id: string;
  /** The transform attempt (its files sit under attempt_id=<this>/; its commit record makes it visible). */
  attempt_id: string;
  tables: Record<string, { rows: number; files: number }>;
  rejects: number;
  input_objects: number;
  /** playlist_id -> comma-separated codes, for the playlists whose item pages disagreed with each other. */
  paging_issues: Record<string, string>;
  /** Other attempts of the run this one superseded (on S3 tagged for the lifecycle rule; locally only reported). */
  superseded_attempts: { superseded: string[]; newer: string[]; tagged_objects: number; error: string | null };
  seconds: number;
  [extra: string]: unknown;
}

export interface RunTransformOptions {
  bucketDir: string;
  /** Bucket-relative prefix of the raw run, e.g. raw/extract_date=2026-11-25/run_id=.../ */
  rawRunPrefix: string;
  runId: string;
  sparkMaster?: string;
  python?: string;
  /** Called with each stderr line the job prints (Spark start-up, stages), for progress displays. */
  onLog?: (line: string) => void;
  /** Aborting kills the job's process at once (SIGKILL), as a crash would: the soak's transform killed mid-write. */
  signal?: AbortSignal;
}

export class TransformError extends Error {
  constructor(
    message: string,
    readonly stderrTail: string,
    /** In a batch: the runs that were transformed and committed before or after the one that failed. */
    readonly completed: TransformResult[] = [],
  ) {
    super(message);
    this.name = 'TransformError';
  }
}

/** The interpreter of the project's virtual environment (made by `make install`), unless overridden. */
export function pythonPath(): string {
  return process.env.PIPELINE_PYTHON ?? join(REPO_ROOT, '.venv', 'bin', 'python');
}

/** Spark 3.5 needs Java 17; prefer an explicit JAVA_HOME, then a Java 17 under /usr/lib/jvm. */
export function resolveJavaHome(): string | undefined {
  const fromEnv = process.env.JAVA_HOME;
  if (fromEnv && existsSync(join(fromEnv, 'bin', 'java'))) return fromEnv;
  const jvmRoot = '/usr/lib/jvm';
  if (!existsSync(jvmRoot)) return undefined;
  const candidate = readdirSync(jvmRoot)
    .filter((name) => /(^|-)17(-|\.|$)/.test(name))
    .map((name) => join(jvmRoot, name))
    .find((dir) => existsSync(join(dir, 'bin', 'java')));
  return candidate;
}

const RESULT_PREFIX = 'TRANSFORM_RESULT ';

export function runTransform(options: RunTransformOptions): Promise<TransformResult> {
  return runJob(options, [{ runId: options.runId, rawRunPrefix: options.rawRunPrefix }]).then((results) => results[0]);
}

/**
 * Several raw runs in ONE job run (one Spark start-up instead of one each), as the daily plays batch runs on Glue:
 * each run is its own attempt with its own commit record. Results in the order given; if any run fails, the
 * TransformError carries the results of the runs that were committed (`completed`).
 */
export function runTransformBatch(
  options: Omit<RunTransformOptions, 'rawRunPrefix' | 'runId'> & { runs: Array<{ runId: string; rawRunPrefix: string }> },
): Promise<TransformResult[]> {
  if (options.runs.length === 0) return Promise.resolve([]);
  return runJob(options, options.runs);
}

function runJob(options: Omit<RunTransformOptions, 'rawRunPrefix' | 'runId'>, runs: Array<{ runId: string; rawRunPrefix: string }>): Promise<TransformResult[]> {
  const python = options.python ?? pythonPath();
  if (!existsSync(python)) {
    return Promise.reject(
      new TransformError(
        `the Python environment is missing (${python}). Run \`make install\` (or \`make run\`, which installs it).`,
        '',
      ),
    );
  }
  const bucketDir = resolve(options.bucketDir);
  const args = [
    join(__dirname, 'run_glue_job.py'),
    '--JOB_NAME',
    'local-transform',
    '--RAW_RUN_PREFIX',
    runs.map((r) => join(bucketDir, r.rawRunPrefix) + '/').join(','),
    '--PROCESSED_PREFIX',
    join(bucketDir, 'processed') + '/',
    '--REJECTS_PREFIX',
    join(bucketDir, 'rejects') + '/',
    '--RUN_ID',
    runs.map((r) => r.runId).join(','),
    '--SPARK_MASTER',
    options.sparkMaster ?? 'local[2]',
  ];
  const javaHome = resolveJavaHome();
  const env = { ...process.env, PYSPARK_PYTHON: python, ...(javaHome ? { JAVA_HOME: javaHome } : {}) };

  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, killSignal: 'SIGKILL' });
    let stdout = '';
    const stderrLines: string[] = [];
    let stderrBuffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderrBuffer += chunk;
      const lines = stderrBuffer.split('\n');
      stderrBuffer = lines.pop() ?? '';
      for (const line of lines) {
        stderrLines.push(line);
        if (stderrLines.length > 200) stderrLines.shift();
        if (line.trim()) options.onLog?.(line);
      }
    });
    child.on('error', (error) => {
      // Aborted on purpose: 'close' follows and says the process was killed.
      if (error.name !== 'AbortError') reject(new TransformError(`could not start ${python}: ${error.message}`, ''));
    });
    child.on('close', (code, signal) => {
      const tail = [...stderrLines, stderrBuffer].filter((l) => l.trim()).slice(-15).join('\n');
      let results: TransformResult[];
      try {
        results = stdout
          .split('\n')
          .filter((line) => line.startsWith(RESULT_PREFIX))
          .map((line) => JSON.parse(line.slice(RESULT_PREFIX.length)) as TransformResult);
      } catch (error) {
        reject(new TransformError(`the job's TRANSFORM_RESULT line is not JSON: ${(error as Error).message}`, tail));
        return;
      }
      if (code === 0 && results.length === runs.length) {
        resolvePromise(results);
        return;
      }
      const why = signal
        ? `was killed by ${signal}`
        : code === 0
          ? `printed ${results.length} TRANSFORM_RESULT line(s) for ${runs.length} run(s)`
          : `exited with code ${code}`;
      const lastError = [...stderrLines].reverse().find((l) => /error|exception|failed/i.test(l));
      reject(new TransformError(`glue/transform_job.py ${why}${lastError ? `: ${lastError.trim()}` : ''}`, tail, results));
    });
  });
}
