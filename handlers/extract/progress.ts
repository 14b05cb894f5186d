/**
 * What a run tells its caller as it goes (extractRun's onProgress): `pipeline extract` and the local run print it.
 * Its own module, so that the run (extract-run.ts) and the attempt that emits most of it (run-attempt.ts) both
 * import it, not each other.
 */
import type { ListeningKind, StoppedEarly, TimeRange, TopItemType } from '../shared/manifest';

export type ExtractProgressEvent =
  | { type: 'resumed'; attempt: number; entitiesDone: number }
  | { type: 'playlists-resolved'; playlistIds: string[] }
  | { type: 'playlist-done'; playlistId: string; name: string | null; items: number; pages: number; reused: boolean }
  | { type: 'playlist-failed'; playlistId: string; httpStatus: number | null; message: string }
  | { type: 'top-done'; listener: string; itemType: TopItemType; timeRange: TimeRange; items: number }
  | { type: 'top-failed'; listener: string; itemType: TopItemType; timeRange: TimeRange; httpStatus: number | null; message: string }
  | {
      type: 'listening-done';
      listener: string;
      kind: ListeningKind;
      items: number;
      possibleGap: boolean;
      /** Saved tracks only: the library changed during every read of its pages (a track may be missing or twice). */
      changedDuringFetch: boolean;
    }
  | { type: 'listening-failed'; listener: string; kind: ListeningKind; httpStatus: number | null; message: string }
  | { type: 'listener-failed'; listener: string; message: string }
  | { type: 'stopped-early'; stoppedEarly: StoppedEarly };

/** What a listener document's line adds when its data may be incomplete. */
export function listeningCaveat(event: Extract<ExtractProgressEvent, { type: 'listening-done' }>): string {
  if (event.possibleGap) return ' (plays may be missing: more than 50 since the last poll)';
  if (event.changedDuringFetch) return ' (the library changed while it was read: a track may be missing or twice; the next run reads it again)';
  return '';
}
