/**
 * `pipeline dashboard`: the listening dashboard (Streamlit) on the local warehouse, on 127.0.0.1, until Ctrl-C.
 * The same app runs in Snowflake, deployed by the warehouse stack (docs/dashboard.md).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { dashboardTimeZones } from '../../config/listeners';
import { loadConfig } from '../../config/pipeline-config';
import { startDashboard } from '../dashboard-server';

export function register(program: Command): void {
  program
    .command('dashboard')
    .description('Start the listening dashboard on the local warehouse (Streamlit on 127.0.0.1) until Ctrl-C')
    .option('--port <n>', 'port to listen on (0 = any free port)', '8501')
    .action(async (options: { port: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535 (got ${options.port})`);
      const config = loadConfig(program.opts().env);
      const warehouseFile = resolve(config.local.warehouseFile);
      process.stdout.write(`Starting the dashboard on ${warehouseFile} ...\n`);
      const server = await startDashboard({ warehouseFile, port, stdio: 'pipe', timeZones: dashboardTimeZones(config.spotify.listeners) });
      process.stdout.write(
        [
          `Dashboard: ${server.url}`,
          `  data       ${warehouseFile}${existsSync(warehouseFile) ? '' : '  (not there yet: run `make run`; the page says so too)'}`,
          '  Ctrl-C stops it. After another `make run`, press Refresh on the page.',
          '',
        ].join('\n'),
      );
      // From here on Streamlit's own log (an app error, say) belongs in this terminal.
      server.process.stdout?.pipe(process.stdout);
      server.process.stderr?.pipe(process.stderr);
      const stop = () => void server.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const code = await server.exited;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (code !== 0 && code !== null) throw new Error(`the dashboard server exited with code ${code}`);
    });
}
