/** The text of `pipeline status`: the health view first (what to act on), then the warehouse's tables and loading. */
import { formatTable } from '../format';
import type { HealthReport } from './health-report';
import type { PipeStatus, CopyError } from '../../warehouse/snowflake-warehouse';
import type { TableStatus } from '../../warehouse/results';

/** "3 h ago", "2 d ago": how old a success is, at the report's instant. */
function age(at: string | null, now: string): string {
  if (at === null) return 'never';
  const hours = (Date.parse(now) - Date.parse(at)) / 3_600_000;
  return hours < 48 ? `${Math.max(0, Math.round(hours))} h ago` : `${Math.round(hours / 24)} d ago`;
}

export function formatHealth(health: HealthReport): string[] {
  const out = [`Health (${health.target}) at ${health.at}: ${health.where}`, ''];
  out.push(
    formatTable(
      ['listener', 'stage', 'last success', 'age', 'run'],
      health.listeners.flatMap((l) => l.stages.map((s) => [l.listener, s.stage, s.lastSuccess, age(s.lastSuccess, health.at), s.runId])),
    ),
  );
  if (health.tokens) {
    out.push('', 'Refresh tokens (six months from authorising; refreshing does not extend them)');
    out.push(formatTable(['listener', 'authorised', 'expires', 'days left'], health.tokens.map((t) => [t.listener, t.authorizedAt, t.expiresAt, t.daysLeft])));
  }
  if (health.checks) {
    const failing = health.checks.filter((c) => !c.passed);
    out.push('', `Checks: ${health.checks.length - failing.length} passed, ${failing.length} failing`);
    if (failing.length > 0) out.push(formatTable(['table', 'check', 'detail'], failing.map((c) => [c.table, c.check, c.detail]), '  ', 100));
  }
  if (health.alarms) {
    out.push('', 'Alarms in ALARM');
    out.push(health.alarms.length === 0 ? '  none' : formatTable(['alarm', 'since', 'reason'], health.alarms.map((a) => [a.name, a.since, a.reason]), '  ', 80));
  }
  out.push('', health.problems.length === 0 ? 'No problems.' : `Problems (${health.problems.length}):`);
  for (const problem of health.problems) out.push(`  - ${problem.message}`);
  return out;
}

interface SnowflakeParts {
  pipes: PipeStatus[];
  errorRouting: Array<{ pipe: string; errorIntegration: string | null }>;
  copyErrors: CopyError[];
}

function formatPipes(report: SnowflakeParts, sinceHours: number): string[] {
  const out = ['', 'Pipes'];
  const routing = new Map(report.errorRouting.map((r) => [r.pipe, r]));
  out.push(
    formatTable(
      ['pipe', 'state', 'pending', 'last ingested', 'error', 'load errors to'],
      report.pipes.map((p) => [p.pipe, p.executionState, p.pendingFileCount, p.lastIngestedAt, p.error, routing.get(p.pipe)?.errorIntegration ?? 'nowhere']),
    ),
  );
  const silent = report.errorRouting.filter((r) => !r.errorIntegration);
  if (silent.length > 0) {
    out.push(
      '',
      `warning: ${silent.length} pipe(s) report load errors nowhere (no ERROR_INTEGRATION): ${silent.map((r) => r.pipe).join(', ')}. ` +
        'A file that fails to load only shows below. Deploy the warehouse stack again (`pipeline deploy --stacks warehouse`).',
    );
  }
  out.push('', `COPY errors in the last ${sinceHours} h`);
  out.push(
    report.copyErrors.length === 0
      ? '  none'
      : formatTable(['table', 'file', 'status', 'at', 'first error'], report.copyErrors.map((e) => [e.table, e.file, e.status, e.lastLoadTime, e.firstError])),
  );
  return out;
}

export function formatStatus(report: Record<string, unknown> & { health: HealthReport; target: string; where: string }, sinceHours: number): string {
  const out = formatHealth(report.health);
  if (report.target === 'aws') return out.join('\n');
  const tables = report.tables as TableStatus[];
  out.push('', `Warehouse (${report.target}): ${report.where}`, '');
  out.push(formatTable(['table', 'rows', 'files', 'last loaded'], tables.map((t) => [t.table, t.rows, t.files, t.lastLoadedAt])));
  if (report.target === 'snowflake') {
    out.push(...formatPipes(report as unknown as SnowflakeParts, sinceHours));
  } else {
    const failed = report.failedFiles as Array<{ table: string; file: string; failedAt: string; error: string }>;
    out.push('', 'Files that failed to load (not retried until they change)');
    out.push(failed.length === 0 ? '  none' : formatTable(['table', 'file', 'at', 'error'], failed.map((f) => [f.table, f.file, f.failedAt, f.error])));
  }
  return out.join('\n');
}
