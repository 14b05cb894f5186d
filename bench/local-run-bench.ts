/**
 * `make bench` (first part): wall time and peak memory of one whole local run (`pipeline run --spotify fake`),
 * into a throw-away bucket folder and warehouse. Peak memory is the peak of the SUM of resident memory over the
 * whole process tree (Node, Python, the Spark JVM), sampled every 50 ms from /proc, because the JVM child is
 * the largest part and a single-process max-RSS figure would hide it.
 *
 *   npx tsx bench/local-run-bench.ts [--runs 2]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

function processTreeRssBytes(rootPid: number): number {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4096);
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    for (const [child, parent] of parents) if (parent === pid) stack.push(child);
  }
  return total;
}

async function measureRun(label: string, configFile: string, dir: string): Promise<{ seconds: number; peakMb: number; report: any }> {
  const reportFile = join(dir, `report-${label}.json`);
  const started = performance.now();
  const child = spawn('npx', ['tsx', 'cli/index.ts', '--env', configFile, 'run', '--spotify', 'fake', '--report-json', reportFile], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CI: 'true' },
  });
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, processTreeRssBytes(child.pid!))), 50);
  const code: number = await new Promise((res) => child.on('close', (c) => res(c ?? 1)));
  clearInterval(timer);
  if (code !== 0) throw new Error(`local run ${label} exited with ${code}`);
  return { seconds: (performance.now() - started) / 1000, peakMb: peak / 2 ** 20, report: JSON.parse(readFileSync(reportFile, 'utf8')) };
}

async function main() {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 2;
  const dir = mkdtempSync(join(tmpdir(), 'bench-local-run-'));
  const base = JSON.parse(readFileSync(join(ROOT, 'config', 'environments', 'local.json'), 'utf8'));
  const configFile = join(dir, 'bench.json');
  writeFileSync(configFile, JSON.stringify({ ...base, local: { bucketDir: join(dir, 'bucket'), warehouseFile: join(dir, 'warehouse.duckdb'), secretsFile: join(dir, 'none.json') } }));
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}`);
  console.log('command: npx tsx bench/local-run-bench.ts  (pipeline run --spotify fake; run 1 into an empty bucket folder and warehouse, later runs on top of it: their files load, earlier ones are skipped)');
  for (let i = 1; i <= runs; i++) {
    const { seconds, peakMb, report } = await measureRun(String(i), configFile, dir);
    if (i === 1) {
      // What the run worked on: the sample catalog's counts as the extract's manifest states them, and the rows the
      // transform wrote (docs/benchmarks.md quotes these next to the times).
      const tables = Object.values((report.transform?.tables ?? {}) as Record<string, { rows: number }>);
      const rows = tables.reduce((sum, t) => sum + t.rows, 0);
      console.log(`sample: ${JSON.stringify(report.manifest?.counts ?? {})}; ${rows} processed rows in ${tables.filter((t) => t.rows > 0).length} of ${tables.length} tables`);
    }
    const stages = Object.entries(report.seconds as Record<string, number>).map(([s, t]) => `${s} ${t.toFixed(1)}s`).join(', ');
    console.log(`run ${i}: wall ${seconds.toFixed(1)} s, peak RSS of the process tree ${peakMb.toFixed(0)} MiB  [${stages}]`);
  }
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
