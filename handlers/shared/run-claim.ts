/**
 * Claims on a run id, kept as small JSON objects in S3 (claims/<kind>/<run id>.json) and taken with conditional
 * writes, so that starting work for a run (a scheduled extract, the Glue job of a manifest) happens once whatever
 * the concurrency: S3 accepts exactly one `PUT ... If-None-Match: *` for a key, and a later change of the claim
 * only with `If-Match: <the ETag its writer read>`.
 *
 * A claim is a LEASE, not a lock held forever, so a legitimate retry of a failed attempt is never blocked:
 * - the holder marks it `failed` when its attempt throws (Lambda then retries the event), and a failed claim is
 *   taken over at once;
 * - a long attempt (the extract) holds a SHORT lease and renews it while it runs (`HeldClaim.keepAlive`, a
 *   heartbeat on the attempt's clock, each renewal an `If-Match` write on the ETag of the last one). An attempt
 *   that dies without a word (out of memory, runtime exit, timeout) stops renewing, so its lease lapses within
 *   one lease length; `RunClaims.claimWhenFree` lets a retry wait that long, and take the run over when the lease
 *   lapsed, or see it renewed (a live holder: this delivery is a duplicate);
 * - `done` is final: a duplicate delivery of a finished run does nothing.
 * Taking over keeps the run id, so the new attempt writes the same keys (and, for the extract, resumes from the
 * run's checkpoint). Two attempts racing for a lapsed lease both send `If-Match` with the same ETag: one wins; and
 * a holder whose renewal finds another ETag has lost the claim (`lost`): it must write nothing more.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_PREFIXES } from '../../schemas/raw-documents';

export type ClaimKind = 'extract' | 'transform';
export type ClaimState = 'running' | 'failed' | 'done';

export interface ClaimRecord {
  kind: ClaimKind;
  run_id: string;
  state: ClaimState;
  /** Who holds or last held it (a Lambda request id). */
  owner: string;
  /** 1 for the first attempt, +1 for each takeover. */
  attempt: number;
  claimed_at: string;
  /** Until when a `running` claim keeps others out. */
  lease_expires_at: string;
  updated_at: string;
  /** What the holder recorded: the manifest key, the Glue job run id, the error of a failed attempt. */
  detail: Record<string, string>;
}

export type ClaimOutcome =
  | { status: 'claimed'; claim: HeldClaim; takenOverFrom: ClaimRecord | null }
  /** Another attempt holds a live lease: this delivery is a duplicate. */
  | { status: 'held'; record: ClaimRecord }
  /** The run's work was done already. */
  | { status: 'done'; record: ClaimRecord };

export class ClaimLostError extends Error {
  constructor(key: string) {
    super(
      `the claim ${key} was taken over by another attempt after this one's lease ran out; this attempt's result ` +
        'is not recorded there and it must write nothing more for the run (the attempt that took over finishes it).',
    );
    this.name = 'ClaimLostError';
  }
}

const RUN_ID_SAFE = /^[0-9A-Za-z._-]{1,128}$/;

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** S3 answers a failed If-None-Match / If-Match with 412; a concurrent conditional write to the same key with 409. */
function isConditionFailure(error: unknown): boolean {
  const name = (error as Error).name;
  const status = httpStatus(error);
  return status === 412 || status === 409 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict';
}

/** What a claim's timing needs of a clock (handlers/extract/spotify-http.ts `Clock` fits): epoch ms and sleeps. */
export interface ClaimClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface RunClaimsOptions {
  /** Key prefix; claims/ by default (the storage stack's lifecycle rule expires it after 90 days). */
  prefix?: string;
  now?: () => Date;
}

export class RunClaims {
  private readonly prefix: string;
  private readonly now: () => Date;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    options: RunClaimsOptions = {},
  ) {
    this.prefix = options.prefix ?? BUCKET_PREFIXES.claims;
    this.now = options.now ?? (() => new Date());
  }

  keyFor(kind: ClaimKind, runId: string): string {
    if (!RUN_ID_SAFE.test(runId)) throw new Error(`run id "${runId}" cannot name a claim (letters, digits, . _ - only)`);
    return `${this.prefix}${kind}/${runId}.json`;
  }

  /**
   * Claims a run for `leaseSeconds`. Creates the claim if there is none; takes over one that failed or whose lease
   * ran out; otherwise says who has it (`held`) or that the work is `done`.
   */
  async claim(kind: ClaimKind, runId: string, options: { owner: string; leaseSeconds: number }): Promise<ClaimOutcome> {
    const key = this.keyFor(kind, runId);
    const now = this.now();
    const fresh: ClaimRecord = {
      kind,
      run_id: runId,
      state: 'running',
      owner: options.owner,
      attempt: 1,
      claimed_at: now.toISOString(),
      lease_expires_at: new Date(now.getTime() + options.leaseSeconds * 1000).toISOString(),
      updated_at: now.toISOString(),
      detail: {},
    };
    // At most two rounds: a claim may vanish between a refused create and the read (the lifecycle rule).
    for (let round = 0; round < 2; round += 1) {
      const created = await this.put(key, fresh, { ifNoneMatch: true });
      if (created) return { status: 'claimed', claim: new HeldClaim(this, key, fresh, created), takenOverFrom: null };

      const current = await this.read(key);
      if (!current) continue;
      const { record, etag } = current;
      if (record.state === 'done') return { status: 'done', record };
      const expired = Date.parse(record.lease_expires_at) <= now.getTime();
      if (record.state === 'running' && !expired) return { status: 'held', record };
      // Failed, or its holder died: take it over, as the next attempt of the same run.
      const next: ClaimRecord = { ...fresh, attempt: record.attempt + 1, detail: {} };
      const taken = await this.put(key, next, { ifMatch: etag });
      if (taken) return { status: 'claimed', claim: new HeldClaim(this, key, next, taken), takenOverFrom: record };
      // Someone else took it over between our read and our write: theirs now.
      const after = await this.read(key);
      if (after) return after.record.state === 'done' ? { status: 'done', record: after.record } : { status: 'held', record: after.record };
    }
    throw new Error(`the claim ${key} could neither be created nor read; check the function role may s3:PutObject and s3:GetObject on it`);
  }

  /** The claim's current record, or null when there is none. */
  async read(key: string): Promise<{ record: ClaimRecord; etag: string } | null> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = await result.Body!.transformToString();
      return { record: JSON.parse(text) as ClaimRecord, etag: result.ETag! };
    } catch (error) {
      if (httpStatus(error) === 404 || (error as Error).name === 'NoSuchKey') return null;
      throw this.explain('reading', key, error);
    }
  }

  /** A conditional PUT; the new ETag, or null when the condition failed. */
  async put(key: string, record: ClaimRecord, condition: { ifNoneMatch: true } | { ifMatch: string }): Promise<string | null> {
    try {
      const result = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: `${JSON.stringify(record, null, 2)}\n`,
          ContentType: 'application/json',
          ...('ifNoneMatch' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.ifMatch }),
        }),
      );
      return result.ETag ?? null;
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw this.explain('writing', key, error);
    }
  }

  /**
   * Claims a run, waiting out a live lease once: a `running` claim whose lease has not lapsed is looked at again
   * just after it would lapse (on `clock`). Renewed meanwhile: its holder is alive, this delivery is a duplicate
   * (`held`). Lapsed: its holder died, and this attempt takes the run over. Gives up (`held`) after `maxWaitMs`.
   */
  async claimWhenFree(
    kind: ClaimKind,
    runId: string,
    options: { owner: string; leaseSeconds: number; clock: ClaimClock; maxWaitMs: number },
  ): Promise<ClaimOutcome> {
    const { clock } = options;
    const until = clock.now() + options.maxWaitMs;
    let seen: string | null = null;
    for (;;) {
      const outcome = await this.claim(kind, runId, options);
      if (outcome.status !== 'held') return outcome;
      const expires = Date.parse(outcome.record.lease_expires_at);
      // A lease that moved since the last look was renewed: someone is working on the run.
      if (seen !== null && outcome.record.lease_expires_at !== seen) return outcome;
      seen = outcome.record.lease_expires_at;
      const wake = expires + 1000;
      if (wake > until) return outcome;
      await clock.sleep(Math.max(0, wake - clock.now()));
    }
  }

  clock(): Date {
    return this.now();
  }

  private explain(doing: string, key: string, error: unknown): Error {
    const err = error as Error;
    const status = httpStatus(error);
    return new Error(
      `${doing} the claim s3://${this.bucket}/${key} failed${status ? ` (HTTP ${status})` : ''}: ${err.name}: ${err.message}. ` +
        'Check that the bucket exists and the function role may s3:PutObject and s3:GetObject under claims/.',
      { cause: error },
    );
  }
}

/** A claim this attempt holds: renew it while working, record progress, then mark it done or failed (each a conditional write). */
export class HeldClaim {
  /** Another attempt took the claim over (this one's lease had lapsed): this attempt must write nothing more. */
  lost = false;
  /** Writes go one at a time: each carries the ETag the one before it got back. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly claims: RunClaims,
    readonly key: string,
    private current: ClaimRecord,
    private etag: string,
  ) {}

  get record(): ClaimRecord {
    return { ...this.current, detail: { ...this.current.detail } };
  }

  /** True while this attempt may act for the run: not lost, and its lease not lapsed at `now` (epoch ms). */
  holds(now: number): boolean {
    return !this.lost && now < Date.parse(this.current.lease_expires_at);
  }

  /** Pushes the lease to `leaseSeconds` from now. Throws ClaimLostError when another attempt has taken the claim. */
  async renew(leaseSeconds: number): Promise<void> {
    await this.write((current, now) => ({ ...current, lease_expires_at: new Date(now.getTime() + leaseSeconds * 1000).toISOString() }));
  }

  /**
   * Renews the lease every `everyMs` on `clock` until stopped. A renewal that finds the claim taken over marks it
   * `lost` and calls `onLost`; one that fails otherwise (S3 busy) is reported to `onError` and tried again at the
   * next beat: with a beat a third of the lease, two may fail before the lease lapses.
   */
  keepAlive(options: {
    clock: ClaimClock;
    leaseSeconds: number;
    everyMs: number;
    onLost?: (error: ClaimLostError) => void;
    onError?: (error: unknown) => void;
  }): { stop(): Promise<void> } {
    const stopper = new AbortController();
    const loop = (async () => {
      while (!stopper.signal.aborted && !this.lost) {
        try {
          await options.clock.sleep(options.everyMs, stopper.signal);
        } catch {
          return; // stopped
        }
        try {
          await this.renew(options.leaseSeconds);
        } catch (error) {
          if (error instanceof ClaimLostError) options.onLost?.(error);
          else options.onError?.(error);
        }
      }
    })();
    return {
      stop: async () => {
        stopper.abort();
        await loop;
      },
    };
  }

  /** Adds details (e.g. the Glue job run id) without ending the claim. */
  async note(detail: Record<string, string>): Promise<void> {
    await this.write((current) => ({ ...current, detail: { ...current.detail, ...detail } }));
  }

  /** The run's work is done: duplicates of it will do nothing. */
  async done(detail: Record<string, string> = {}): Promise<void> {
    await this.write((current) => ({ ...current, state: 'done', detail: { ...current.detail, ...detail } }));
  }

  /** This attempt failed: the next attempt (Lambda's retry) may take the claim over at once. */
  async failed(error: unknown): Promise<void> {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await this.write((current) => ({ ...current, state: 'failed', detail: { ...current.detail, error: message.slice(0, 1000) } }));
  }

  private write(change: (current: ClaimRecord, now: Date) => ClaimRecord): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.lost) throw new ClaimLostError(this.key);
      const now = this.claims.clock();
      const record = { ...change(this.current, now), updated_at: now.toISOString() };
      const etag = await this.claims.put(this.key, record, { ifMatch: this.etag });
      if (!etag) {
        this.lost = true;
        throw new ClaimLostError(this.key);
      }
      this.current = record;
      this.etag = etag;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
