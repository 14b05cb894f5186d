/**
 * Starts the Streamlit dashboard (dashboard/streamlit_app.py) on loopback with the project's .venv, pointed at a
 * local warehouse file, and resolves once the server answers its health check. Used by `pipeline dashboard`,
 * the browser check and the README screenshot script.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
export const DASHBOARD_APP = join(ROOT, 'dashboard', 'streamlit_app.py');
const HOST = '127.0.0.1';

export interface DashboardServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** Resolves with the exit code once the server has exited (after stop(), Ctrl-C or a crash). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface DashboardOptions {
  warehouseFile: string;
  /** 0 = any free port. */
  port?: number;
  python?: string;
  /** Listener name -> IANA time zone (config listeners[].timeZone): the page's clock and days per listener. */
  timeZones?: string;
  /** Extra environment (DASHBOARD_SQL_DIR in tests). */
  env?: NodeJS.ProcessEnv;
  /** Where Streamlit's own output goes; default: kept in memory for error messages. */
  stdio?: 'inherit' | 'pipe';
  readyTimeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const python = options.python ?? join(ROOT, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`No Python environment at ${python}: run \`make install\` (it creates .venv with Streamlit) and try again.`);
  }
  const port = options.port ? options.port : await freePort();
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be 1-65535 (got ${options.port})`);
  const url = `http://${HOST}:${port}`;
  const child = spawn(
    python,
    [
      '-m', 'streamlit', 'run', DASHBOARD_APP,
      '--server.address', HOST, // loopback only: the dashboard has no login
      '--server.port', String(port),
      '--server.headless', 'true',
      '--server.fileWatcherType', 'none',
      '--browser.gatherUsageStats', 'false',
      '--client.toolbarMode', 'minimal', // no "Deploy" button: this app is deployed by the warehouse stack
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...options.env,
        PIPELINE_WAREHOUSE_FILE: resolve(options.warehouseFile),
        ...(options.timeZones ? { DASHBOARD_TIME_ZONES: options.timeZones } : {}),
      },
      stdio: options.stdio === 'inherit' ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  child.stderr?.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const stop = async () => {
    if (!hasExited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (hasExited) {
      if (/Port \d+ is not available/.test(output)) {
        throw new Error(`Port ${port} is in use (Streamlit: "Port ${port} is not available"): stop what listens there, or pick another port with --port (make dashboard ARGS="--port 8600").`);
      }
      throw new Error(`The dashboard server exited before it was ready (port ${port}):\n${output.trim()}`);
    }
    try {
      // A bounded wait: something else listening on the port may accept and never answer.
      const response = await fetch(`${url}/_stcore/health`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return { url, port, process: child, exited, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`The dashboard server did not answer on ${url} within ${(options.readyTimeoutMs ?? 60_000) / 1000} s:\n${output.trim()}`);
}
