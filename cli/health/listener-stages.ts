/**
 * Per listener and stage, the last success: the newest extract that wrote the listener's documents without a
 * listener error (weekly and plays polls apart), and the newest of those runs that a transform committed and that
 * the warehouse loaded. Pure: the runs come from the bucket (bucket-listing.ts), the loaded runs from a warehouse.
 */
import type { ManifestObject, RunManifest } from '../../handlers/shared/manifest';

export const STAGES = ['weekly extract', 'plays poll', 'transform', 'load'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageHealth {
  stage: Stage;
  /**
   * When the run that succeeded at this stage started extracting the listener's data (its manifest's started_at,
   * the instant in its run id: a scheduled run's schedule time); null: none in the window.
   */
  lastSuccess: string | null;
  runId: string | null;
}

export interface ListenerStages {
  listener: string;
  spotifyUserId: string | null;
  stages: StageHealth[];
  /** The newest play stored for the listener (the plays cursor after the poll), ISO 8601 UTC. */
  lastPlayAt: string | null;
  /** Polls in the window that may have missed plays (more than Spotify's last 50 since the poll before). */
  gaps: Array<{ runId: string; cursorBefore: string; oldestNewPlay: string | null }>;
}

/** The listener's objects in a run: their listener documents (entity id = name) and top lists (`name/type_range`). */
function objectsOf(manifest: RunManifest, listener: string): ManifestObject[] {
  return manifest.objects.filter((o) => (o.kind === 'top' ? o.entity_id.startsWith(`${listener}/`) : o.kind !== 'playlist' && o.entity_id === listener));
}

/** The listeners the runs name (their listener documents and top lists), in order of first appearance. */
export function listenersSeen(manifests: readonly RunManifest[]): string[] {
  const names = manifests.flatMap((m) =>
    m.objects.filter((o) => o.kind !== 'playlist').map((o) => (o.kind === 'top' ? o.entity_id.split('/')[0] : o.entity_id)),
  );
  return [...new Set(names)];
}

function failedFor(manifest: RunManifest, listener: string): boolean {
  return manifest.errors.some((e) => e.kind === 'listener' && e.entity_id === listener);
}

function stage(stageName: Stage, manifest: RunManifest | undefined): StageHealth {
  return { stage: stageName, lastSuccess: manifest?.started_at ?? null, runId: manifest?.run_id ?? null };
}

/**
 * @param manifests runs in the window, oldest first
 * @param committedRuns run ids a transform committed
 * @param loadedRuns run ids the warehouse holds rows of; null when this target has no warehouse to ask
 */
export function listenerStages(
  listeners: readonly string[],
  manifests: readonly RunManifest[],
  committedRuns: ReadonlySet<string>,
  loadedRuns: ReadonlySet<string> | null,
): ListenerStages[] {
  return listeners.map((listener) => {
    const succeeded = manifests.filter((m) => objectsOf(m, listener).length > 0 && !failedFor(m, listener));
    const last = (runs: RunManifest[]) => runs[runs.length - 1];
    const plays = succeeded.filter((m) => objectsOf(m, listener).some((o) => o.kind === 'plays'));
    const stages: StageHealth[] = [
      stage('weekly extract', last(succeeded.filter((m) => m.mode !== 'plays'))),
      stage('plays poll', last(plays)),
      stage('transform', last(succeeded.filter((m) => committedRuns.has(m.run_id)))),
    ];
    if (loadedRuns) stages.push(stage('load', last(succeeded.filter((m) => loadedRuns.has(m.run_id)))));
    const cursors = plays.flatMap((m) => objectsOf(m, listener).map((o) => o.cursor_after)).filter((c): c is number => typeof c === 'number');
    const spotifyUserId = [...succeeded].reverse().flatMap((m) => objectsOf(m, listener)).find((o) => o.spotify_user_id)?.spotify_user_id ?? null;
    return {
      listener,
      spotifyUserId,
      stages,
      lastPlayAt: cursors.length > 0 ? new Date(Math.max(...cursors)).toISOString() : null,
      gaps: manifests.flatMap((m) =>
        (m.plays_gaps ?? []).filter((g) => g.listener === listener).map((g) => ({ runId: m.run_id, cursorBefore: g.cursor_before, oldestNewPlay: g.oldest_new_play })),
      ),
    };
  });
}
