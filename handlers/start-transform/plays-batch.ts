/**
 * Plays runs (the hourly polls) are transformed in a daily batch rather than one Glue job run each: a Glue run
 * bills at least a minute of two workers whatever it does, so 730 polls a month would cost ~$11-22 in Glue alone.
 *
 * The manifest event of a plays run (`-p` run ids, isPlaysRunId) starts no job. Instead, the first manifest event
 * of each UTC day (any run's, the hourly polls' included) claims the day's batch (claims/transform/plays-batch-
 * <date>.json); the winner lists the plays runs of the last `lookbackDays` days, claims every one not yet claimed
 * (claims/transform/<run id>.json, as a single run's transform is claimed) and starts ONE job run for all of
 * them (comma-separated --RUN_ID and --RAW_RUN_PREFIX). Each run is still transformed as its own attempt with its
 * own commit record, so the warehouse's exactly-once rules are those of single runs. A start that fails releases
 * every claim it took: the next manifest event tries again.
 *
 * The batch runs in Glue's FLEX execution class ($0.29 instead of $0.44 a DPU-hour, on spare capacity that may start
 * later): nobody waits on a daily batch of plays. A weekly run's own job run (start-transform.ts) stays STANDARD.
 */
import { StartJobRunCommand } from '@aws-sdk/client-glue';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { extractDatePrefix, isPlaysRunId, parseManifestKey } from '../shared/manifest';
import type { HeldClaim } from '../shared/run-claim';
import type { StartTransformContext, StartTransformOutcome } from './start-transform';

export interface PlaysBatchOptions {
  s3: S3Client;
  /** How many days back plays runs are looked for (a day's batch takes what earlier ones missed). */
  lookbackDays: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;
/** The daily plays batch is time-insensitive: Glue Flex, about a third cheaper. */
export const PLAYS_BATCH_EXECUTION_CLASS = 'FLEX';

/** Plays runs with a manifest under raw/extract_date=<d>/ for the last `days` days (today included), oldest first. */
export async function listPlaysRuns(s3: S3Client, bucket: string, today: Date, days: number): Promise<Array<{ runId: string; prefix: string }>> {
  const runs: Array<{ runId: string; prefix: string }> = [];
  for (let back = days - 1; back >= 0; back -= 1) {
    const date = new Date(today.getTime() - back * DAY_MS).toISOString().slice(0, 10);
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: extractDatePrefix(date), ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const parsed = object.Key ? parseManifestKey(object.Key) : null;
        if (parsed && isPlaysRunId(parsed.runId)) runs.push({ runId: parsed.runId, prefix: parsed.prefix });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return runs.sort((a, b) => a.runId.localeCompare(b.runId));
}

/** Starts today's plays batch unless it was started already; null when another event did (or does) it. */
export async function startPlaysBatch(deps: StartTransformContext, options: PlaysBatchOptions, bucket: string): Promise<StartTransformOutcome | null> {
  const claims = deps.claims;
  if (!claims) throw new Error('the plays batch needs run claims (BUCKET_NAME): without them two events could start it twice');
  const now = (options.now ?? (() => new Date()))();
  const batchId = `plays-batch-${now.toISOString().slice(0, 10)}`;
  const lease = { owner: deps.owner ?? 'start-transform', leaseSeconds: deps.leaseSeconds ?? 120 };
  const batch = await claims.claim('transform', batchId, lease);
  if (batch.status !== 'claimed') return null;

  const held: Array<{ runId: string; prefix: string; claim: HeldClaim }> = [];
  try {
    for (const run of await listPlaysRuns(options.s3, bucket, now, options.lookbackDays)) {
      const claimed = await claims.claim('transform', run.runId, lease);
      if (claimed.status === 'claimed') held.push({ ...run, claim: claimed.claim });
    }
    if (held.length === 0) {
      await batch.claim.done({ runs: '0' });
      deps.logger.info('plays batch: no plays run waiting for its transform', { batch: batchId });
      return { outcome: 'ignored', key: batchId, reason: 'no plays run waiting for its transform' };
    }
    const result = await deps.glue.send(
      new StartJobRunCommand({
        JobName: deps.jobName,
        // Only locations and ids: one job run transforms each run in turn, each as its own attempt.
        Arguments: {
          '--RAW_RUN_PREFIX': held.map((r) => `s3://${bucket}/${r.prefix}`).join(','),
          '--RUN_ID': held.map((r) => r.runId).join(','),
        },
        JobRunQueuingEnabled: true,
        ExecutionClass: PLAYS_BATCH_EXECUTION_CLASS,
      }),
    );
    const jobRunId = result.JobRunId ?? '';
    for (const run of held) await run.claim.done({ job_run_id: jobRunId, batch: batchId });
    await batch.claim.done({ job_run_id: jobRunId, runs: String(held.length) });
    deps.logger.info('plays batch started', { batch: batchId, runs: held.length, jobRunId });
    return { outcome: 'started', key: batchId, runId: held.map((r) => r.runId).join(','), jobRunId };
  } catch (error) {
    // Release every claim: the next manifest event (the next poll, an hour later) takes them over and tries again.
    for (const claim of [...held.map((r) => r.claim), batch.claim]) {
      await claim.failed(error).catch((releaseError: unknown) => deps.logger.warn('could not release a claim; it waits for its lease to end', { error: releaseError as Error }));
    }
    throw error;
  }
}
