/**
 * A run's counts in words, the one summary line that `pipeline extract`, the local run's stage line and its report
 * all print: `8 playlists, 549 items, 509 top items, 0 errors (complete); 2 listeners: 100 new plays, 201 saved
 * tracks, 80 followed artists`. The counts it names and their nouns come from schemas/raw-documents.json, so a new
 * document kind shows here without a change.
 */
import { COUNTS, LISTENING_DOCUMENTS, type ListeningKind, type Noun } from '../../schemas/raw-documents';
import type { ManifestCounts, RunManifest, StoppedEarly } from './manifest';

/** `1 saved track`, `2 saved tracks`. */
export function amount(n: number, noun: Noun): string {
  return `${n} ${n === 1 ? noun.one : noun.many}`;
}

/** `1 listener`, `0 errors`: English plurals of nouns that take an s. */
export const plural = (n: number, word: string): string => amount(n, { one: word, many: `${word}s` });

/** What the summary needs of a run (a manifest, or what the extract handler returns of one). */
export interface RunTally {
  /** A manifest written before a count existed lacks it: read as 0. */
  counts: Partial<ManifestCounts>;
  errors: number;
  status: string;
  mode?: RunManifest['mode'];
  /** Why the run stopped before it was done (the manifest's stopped_early), if it did. */
  stoppedEarly?: Pick<StoppedEarly, 'reason'> | null;
}

/** Why a run stopped early, in words: a quota stop names Spotify's reason, which is what to look up. */
const STOPPED_EARLY: Record<StoppedEarly['reason'], string> = {
  quota_exceeded: "Spotify's quota for the app is used up (429 QUOTA_EXCEEDED)",
  retry_after_beyond_budget: "Spotify asked to wait past the run's time budget (429 Retry-After)",
  time_budget_exhausted: "the run's time budget ran out",
  app_owner_premium_required: "the app owner's Spotify Premium is not active (403 on every call)",
};

/** A listener's (or all listeners') documents in words: `50 new plays, 137 saved tracks, 57 followed artists`. */
export function listeningSummary(items: Partial<Record<ListeningKind, number>>, kinds?: readonly ListeningKind[]): string {
  return LISTENING_DOCUMENTS.filter((d) => !kinds || kinds.includes(d.kind))
    .map((d) => amount(items[d.kind] ?? 0, d.noun))
    .join(', ');
}

/** The run-wide documents in words: `8 playlists (2 unchanged, read from earlier runs), 549 items, 509 top items`. */
export function catalogueSummary(counts: Partial<ManifestCounts>): string {
  return COUNTS.filter((count) => count.noun)
    .map((count) => {
      const reused = count.name === 'playlists' && counts.playlists_reused ? ` (${counts.playlists_reused} unchanged, read from earlier runs)` : '';
      return `${amount(counts[count.name] ?? 0, count.noun!)}${reused}`;
    })
    .join(', ');
}

/**
 * The run in one line. A weekly run: its catalogue counts, errors and status, then its listeners' documents; a
 * plays run (the hourly poll): its listeners and what plays runs read, errors and status.
 */
export function runSummary(run: RunTally): string {
  const c = run.counts;
  const stop = run.stoppedEarly ? `: stopped early, ${STOPPED_EARLY[run.stoppedEarly.reason] ?? run.stoppedEarly.reason}; the next run catches up` : '';
  const outcome = `${plural(run.errors, 'error')} (${run.status}${stop})`;
  const listeningItems = Object.fromEntries(LISTENING_DOCUMENTS.map((d) => [d.kind, c[d.counts.items] ?? 0]));
  if (run.mode === 'plays') {
    const kinds = LISTENING_DOCUMENTS.filter((d) => d.playsRuns).map((d) => d.kind);
    return `${plural(c.listeners ?? 0, 'listener')}: ${listeningSummary(listeningItems, kinds)}, ${outcome}`;
  }
  const listening = c.listeners ? `; ${plural(c.listeners, 'listener')}: ${listeningSummary(listeningItems)}` : '';
  return `${catalogueSummary(c)}, ${outcome}${listening}`;
}
