/**
 * Starts moto's server mode (PyPI `moto[server]`, installed in .venv) on a free loopback port, so tests drive
 * the real AWS SDK v3 clients over the real S3 / Glue / Secrets Manager protocols instead of mocked clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Region and dummy credentials every SDK client pointed at moto should use. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle: true;
  };
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Sets how moto advances a model's state, e.g. keep Glue job runs RUNNING: ('glue::job_run', {progression:'manual', times: 1e6}). */
  setTransition(modelName: string, transition: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

const ROOT = resolve(__dirname, '..', '..', '..');
export const MOTO_SERVER_BIN = process.env.MOTO_SERVER_BIN ?? resolve(ROOT, '.venv', 'bin', 'moto_server');

/**
 * moto_server with werkzeug's threaded=False: one request at a time. moto checks a conditional PUT's
 * If-None-Match / If-Match and then stores the object without a lock, so on the (default) threaded server two racing
 * conditional writes to one key can both succeed; S3 makes them atomic. Serialising requests gives that atomicity.
 */
const SINGLE_THREADED_MOTO = [
  'import sys, moto.server as s',
  'run = s.run_simple',
  's.run_simple = lambda *a, **k: run(*a, **{**k, "threaded": False})',
  's.main(sys.argv[1:])',
].join('\n');

export async function startMotoServer(options: { startTimeoutMs?: number; threaded?: boolean } = {}): Promise<MotoServer> {
  if (!existsSync(MOTO_SERVER_BIN)) {
    throw new Error(
      `moto_server not found at ${MOTO_SERVER_BIN}. Create the venv and install requirements.txt ` +
        '(python3 -m venv .venv && .venv/bin/pip install -r requirements.txt), or set MOTO_SERVER_BIN.',
    );
  }
  // -p0 lets the OS pick a free port; moto prints the address it bound to.
  const python = resolve(MOTO_SERVER_BIN, '..', 'python');
  const [command, args] =
    options.threaded === false ? [python, ['-c', SINGLE_THREADED_MOTO, '-H', '127.0.0.1', '-p0']] : [MOTO_SERVER_BIN, ['-H', '127.0.0.1', '-p0']];
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const endpoint = await waitForAddress(child, options.startTimeoutMs ?? 20_000);
  const post = async (path: string, body?: unknown) => {
    const response = await fetch(`${endpoint}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw new Error(`moto ${path} answered HTTP ${response.status}: ${await response.text()}`);
  };
  return {
    endpoint,
    clientConfig: {
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      forcePathStyle: true,
    },
    reset: () => post('/moto-api/reset'),
    setTransition: (modelName, transition) =>
      post('/moto-api/state-manager/set-transition', { model_name: modelName, transition }),
    close: () =>
      new Promise<void>((resolveClose) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveClose();
        child.once('exit', () => resolveClose());
        child.kill('SIGTERM');
      }),
  };
}

function waitForAddress(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolveAddress, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`moto_server did not report its address within ${timeoutMs} ms. Output:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolveAddress(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited (${signal ?? `code ${code}`}) before it started. Output:\n${output}`));
    });
  });
}
