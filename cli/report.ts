/** The short report printed at the end of a local run: what each stage did, the analyses, where things are. */
import { join, relative } from 'node:path';
import type { LocalRunContext } from '../local/run-pipeline';
import { STAGES } from '../local/run-pipeline';
import { catalogueSummary, listeningSummary, plural } from '../handlers/shared/run-summary';
import { isListeningKind, type ListeningKind } from '../schemas/raw-documents';
import { formatTable, oneLine } from './format';

export function formatRunReport(ctx: LocalRunContext, summaries: Record<string, string>, failedStage?: string): string {
  const total = Object.values(ctx.seconds).reduce((a, b) => a + b, 0);
  const here = process.cwd();
  const show = (path: string) => (relative(here, path).startsWith('..') ? path : relative(here, path) || '.');
  const out: string[] = [];
  out.push('', failedStage ? `Local run ${ctx.runId} FAILED at ${failedStage} after ${total.toFixed(1)} s` : `Local run ${ctx.runId} finished in ${total.toFixed(1)} s`, '');
  out.push(
    formatTable(
      ['stage', 'result', 'time'],
      STAGES.filter((s) => summaries[s.id] !== undefined || s.id === failedStage).map((s) => [
        s.id,
        summaries[s.id] ?? 'FAILED (see below)',
        `${(ctx.seconds[s.id] ?? 0).toFixed(1)} s`,
      ]),
      '  ',
      // Wide enough for the extract's summary with reused playlists and listeners (about 160 characters).
      170,
    ),
  );

  if (ctx.manifest) {
    const m = ctx.manifest;
    out.push('', `Extracted  ${catalogueSummary(m.counts)} in ${plural(m.counts.api_calls ?? 0, 'API call')} (status ${m.status})`);
    out.push(...listeningLines(m));
    for (const error of m.errors) out.push(`  ! ${error.kind} ${error.entity_id}: HTTP ${error.http_status ?? '-'} ${oneLine(error.message)}`);
    for (const gap of m.plays_gaps ?? []) out.push(`  ! ${oneLine(gap.message)}`);
    for (const o of m.objects ?? []) {
      if (o.kind === 'saved_tracks' && o.changed_during_fetch) {
        out.push(`  ! saved tracks of ${o.entity_id}: the library changed while it was read (a track may be missing or twice); the next run reads it again`);
      }
    }
    if (m.stopped_early) out.push(`  ! stopped early: ${JSON.stringify(m.stopped_early)}`);
  }
  if (ctx.transform) {
    const t = ctx.transform;
    const rows = Object.entries(t.tables).map(([name, v]) => `${name} ${v.rows}`);
    out.push(`Processed  ${rows.join(', ')}${t.rejects ? `; ${t.rejects} rejects` : ''} (attempt ${t.attempt_id})`);
    for (const [playlist, issues] of Object.entries(t.paging_issues ?? {})) {
      out.push(`  ! playlist ${playlist}: its item pages disagree (${issues}); rows kept and flagged in playlist_snapshots.paging_issues`);
    }
    const superseded = t.superseded_attempts?.superseded ?? [];
    if (superseded.length > 0) out.push(`  replaces attempt(s) ${superseded.join(', ')} of this run in every view`);
  }
  if (ctx.load) {
    const already = ctx.load.skipped.filter((f) => f.reason.startsWith('already loaded')).length;
    out.push(`Loaded     ${ctx.load.loaded.length} new files, ${already} skipped as already loaded`);
    for (const f of ctx.load.skipped.filter((x) => !x.reason.startsWith('already loaded'))) out.push(`  ! ${f.file}: ${f.reason}`);
  }
  if (ctx.checks) {
    const failed = ctx.checks.filter((c) => !c.passed);
    out.push(`Checks     ${ctx.checks.length - failed.length} passed, ${failed.length} failed`);
    for (const c of failed) out.push(`  ! ${c.table}: ${c.check}: ${c.detail}`);
  }

  for (const analysis of ctx.analyses ?? []) {
    out.push('', `${oneLine(analysis.question)}  [${analysis.name}]`, formatTable(analysis.columns, analysis.rows));
  }

  out.push('', 'Where things are');
  if (ctx.source?.kind === 'fake') {
    out.push('  spotify        the embedded fake (sample catalog); `npm run pipeline -- authorize` once to extract your own account');
  }
  out.push(`  bucket folder  ${show(ctx.bucketDir)}  (raw/, processed/, rejects/ as in S3)`);
  if (ctx.manifestKey) out.push(`  manifest       ${show(join(ctx.bucketDir, ctx.manifestKey))}`);
  out.push(`  warehouse      ${show(ctx.warehouseFile)}  (DuckDB; try \`make query NAME=<analysis>\` or \`npm run pipeline -- query <analysis>\`)`);
  out.push('');
  return out.join('\n');
}

/** Per listener: their new plays (since their cursor), saved tracks and followed artists in this run. */
function listeningLines(m: NonNullable<LocalRunContext['manifest']>): string[] {
  const byListener = new Map<string, Partial<Record<ListeningKind, number>>>();
  for (const o of m.objects ?? []) {
    if (!isListeningKind(o.kind)) continue;
    byListener.set(o.entity_id, { ...byListener.get(o.entity_id), [o.kind]: o.items });
  }
  return [...byListener].map(([listener, items]) => `Listening  ${listener}: ${listeningSummary(items)}`);
}
