/**
 * One Spark session for a local-run test file instead of one per transform (see server.py). The pipeline code
 * runs unchanged: run-transform.ts spawns "the project's Python" (PIPELINE_PYTHON, here the relay client next to
 * this file) with the command line it builds and reads its stdout and exit code as ever; only the Spark start-up
 * and JIT warm-up are paid once per file instead of once per transform. `make test` starts one for the whole
 * local-run suite (global-setup.ts, jest's --globalSetup): a test file then finds it in the environment and uses it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pythonPath, resolveJavaHome } from '../../../local/spark/run-transform';

export interface WarmSpark {
  stop(): Promise<void>;
}

export async function startWarmSpark(): Promise<WarmSpark> {
  // The suite's shared session (global-setup.ts) is there already: use it, and leave stopping it to the suite.
  if (process.env.WARM_SPARK_SOCKET) return { stop: async () => {} };
  // An abstract Unix socket (Linux): no file to clean up, and no 108-byte path limit to hit in a deep checkout.
  const socket = `@warm-spark-${process.pid}-${randomBytes(4).toString('hex')}`;
  const javaHome = resolveJavaHome();
  const server: ChildProcess = spawn(pythonPath(), [join(__dirname, 'server.py'), socket], {
    env: { ...process.env, ...(javaHome ? { JAVA_HOME: javaHome } : {}) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    server.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('WARM_SPARK_READY')) resolve();
    });
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`the warm Spark server exited (${code}) before it was ready:\n${stderr}`)));
  });

  const saved = { python: process.env.PIPELINE_PYTHON, socket: process.env.WARM_SPARK_SOCKET };
  process.env.PIPELINE_PYTHON = join(__dirname, 'python');
  process.env.WARM_SPARK_SOCKET = socket;
  return {
    async stop() {
      for (const [name, value] of [['PIPELINE_PYTHON', saved.python], ['WARM_SPARK_SOCKET', saved.socket]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.stdin!.end(); // server.py exits when its stdin closes
        await exited;
      }
    },
  };
}
