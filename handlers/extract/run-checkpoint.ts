/**
 * The checkpoint of a run (`raw/extract_date=D/run_id=X/_checkpoint.json`): what an unfinished run already has.
 *
 * Each entity (playlist, top list) is recorded once its raw object is written; entities that failed for good
 * (404, 403) are recorded as errors. A later invocation with the same run id (a Lambda retry, or
 * `pipeline extract --run-id X`) reads it and fetches only the rest, then writes the manifest. Saves are
 * coalesced: at most one write in flight, and a write after it when something changed meanwhile. An object
 * written but not yet in the checkpoint when a run dies is simply fetched again and overwritten.
 */
import { checkpointKey, type ManifestCounts, type ManifestError, type ManifestObject } from '../shared/manifest';
import type { RawObjectWriter } from '../shared/raw-writer';
import type { MinimalLogger } from './spotify-client';

/** The manifest's counts of calls, per attempt (the manifest sums them over the attempts). */
export type AttemptCounts = Pick<ManifestCounts, 'api_calls' | 'item_page_calls' | 'token_calls' | 'retries' | 'rate_limited'>;

export interface CheckpointAttempt {
  started_at: string;
  ended_at: string | null;
  outcome: 'running' | 'failed' | 'stopped_early' | 'complete';
  message: string | null;
  counts: AttemptCounts;
}

export interface CheckpointDocument {
  checkpoint_version: 1;
  run_id: string;
  extract_date: string;
  attempts: CheckpointAttempt[];
  /** Entities complete in this run: manifest entries, as the manifest will list them. */
  objects: ManifestObject[];
  /** Entities that failed for good (the API answered 4xx about them). */
  errors: ManifestError[];
}

const ZERO: AttemptCounts = { api_calls: 0, item_page_calls: 0, token_calls: 0, retries: 0, rate_limited: 0 };

export const entityKey = (kind: string, entityId: string) => `${kind}/${entityId}`;

export class RunCheckpoint {
  private readonly objects = new Map<string, ManifestObject>();
  private readonly errors = new Map<string, ManifestError>();
  private saving: Promise<void> | null = null;
  private dirty = false;
  private readonly attempt: CheckpointAttempt;

  private constructor(
    private readonly writer: RawObjectWriter,
    readonly key: string,
    private readonly doc: CheckpointDocument,
    private readonly counts: () => AttemptCounts,
    private readonly logger: MinimalLogger,
  ) {
    for (const o of doc.objects) this.objects.set(entityKey(o.kind, o.entity_id), o);
    for (const e of doc.errors) this.errors.set(entityKey(e.kind, e.entity_id), e);
    this.attempt = { started_at: new Date().toISOString(), ended_at: null, outcome: 'running', message: null, counts: { ...ZERO } };
    doc.attempts.push(this.attempt);
  }

  /** Reads the run's checkpoint (or starts one) and records this attempt in it. */
  static async open(
    writer: RawObjectWriter,
    runId: string,
    extractDate: string,
    counts: () => AttemptCounts,
    logger: MinimalLogger,
  ): Promise<RunCheckpoint> {
    const key = checkpointKey(runId, extractDate);
    const bytes = await writer.get(key);
    let doc: CheckpointDocument = { checkpoint_version: 1, run_id: runId, extract_date: extractDate, attempts: [], objects: [], errors: [] };
    if (bytes) {
      try {
        const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as CheckpointDocument;
        if (parsed.checkpoint_version === 1 && parsed.run_id === runId && Array.isArray(parsed.objects)) {
          doc = { ...parsed, attempts: parsed.attempts ?? [], errors: parsed.errors ?? [] };
        } else {
          logger.warn('ignoring a checkpoint that is not this run\'s; starting over', { key });
        }
      } catch {
        logger.warn('ignoring an unreadable checkpoint; starting over', { key });
      }
    }
    return new RunCheckpoint(writer, key, doc, counts, logger);
  }

  /** Earlier attempts of this run id worked on it. */
  get resumed(): boolean {
    return this.doc.attempts.length > 1;
  }

  get attempts(): number {
    return this.doc.attempts.length;
  }

  object(kind: string, entityId: string): ManifestObject | undefined {
    return this.objects.get(entityKey(kind, entityId));
  }

  error(kind: string, entityId: string): ManifestError | undefined {
    return this.errors.get(entityKey(kind, entityId));
  }

  allObjects(): ManifestObject[] {
    return [...this.objects.values()];
  }

  allErrors(): ManifestError[] {
    return [...this.errors.values()];
  }

  done(object: ManifestObject): void {
    this.objects.set(entityKey(object.kind, object.entity_id), object);
    this.errors.delete(entityKey(object.kind, object.entity_id));
    void this.save().catch((error: Error) => this.logger.warn('could not save the checkpoint; a retry would refetch more', { error: error.message }));
  }

  failed(error: ManifestError): void {
    this.errors.set(entityKey(error.kind, error.entity_id), error);
    void this.save().catch((e: Error) => this.logger.warn('could not save the checkpoint; a retry would refetch more', { error: e.message }));
  }

  /** Forgets an earlier attempt's failure that this attempt tries again (e.g. a listener authorised since). */
  clearError(kind: string, entityId: string): void {
    if (this.errors.delete(entityKey(kind, entityId))) {
      void this.save().catch((e: Error) => this.logger.warn('could not save the checkpoint; a retry would refetch more', { error: e.message }));
    }
  }

  /** The counts of every attempt so far, this one's included. */
  totals(): AttemptCounts {
    this.attempt.counts = this.counts();
    const sum = { ...ZERO };
    for (const a of this.doc.attempts) for (const k of Object.keys(sum) as Array<keyof AttemptCounts>) sum[k] += a.counts?.[k] ?? 0;
    return sum;
  }

  /** Ends this attempt in the checkpoint and writes it (errors propagate: the caller decides). */
  async finish(outcome: CheckpointAttempt['outcome'], message: string | null): Promise<void> {
    this.attempt.outcome = outcome;
    this.attempt.message = message;
    this.attempt.ended_at = new Date().toISOString();
    await this.save();
  }

  /** Writes the checkpoint; coalesces concurrent saves into at most one write in flight plus one after it. */
  save(): Promise<void> {
    this.dirty = true;
    this.saving ??= this.flush().finally(() => {
      this.saving = null;
    });
    return this.saving;
  }

  private async flush(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      this.attempt.counts = this.counts();
      this.doc.objects = this.allObjects().sort((a, b) => a.key.localeCompare(b.key));
      this.doc.errors = this.allErrors();
      await this.writer.put(this.key, JSON.stringify(this.doc, null, 2), 'application/json');
    }
  }
}
