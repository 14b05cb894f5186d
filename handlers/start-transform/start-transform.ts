/**
 * Starts the Glue transform for one complete extract run, exactly once per run id.
 *
 * S3 delivers events at least once, and a re-invoked extract rewrites its manifest, so the same run can be
 * announced twice, possibly at the same moment in two Lambda environments. The run id is first CLAIMED with a
 * conditional write to S3 (claims/transform/<run id>.json, handlers/shared/run-claim.ts): one invocation wins, the
 * others see the claim and start nothing, at any concurrency. The winner also looks at the job's runs (GetJobRuns)
 * for one already carrying this `--RUN_ID` (started by hand, or before claims existed), starts the job otherwise,
 * and records the job run id in the claim. If starting fails, the claim is marked failed and the error thrown:
 * Lambda's retry takes the claim over and tries again.
 *
 * A busy job (ConcurrentRunsExceededException) is not dropped: the run is started with job run queuing asked
 * for (Glue then queues it instead of refusing, when the job allows queuing), and if Glue still refuses, the
 * error is thrown so Lambda's asynchronous retries and the failure destination keep the event.
 */
import {
  GetJobRunsCommand,
  StartJobRunCommand,
  type GlueClient,
  type JobRun,
} from '@aws-sdk/client-glue';
import { isPlaysRunId, parseImportManifestKey, parseManifestKey } from '../shared/manifest';
import type { RunClaims } from '../shared/run-claim';
import type { MinimalLogger } from '../extract/spotify-client';

export interface StartTransformContext {
  glue: GlueClient;
  jobName: string;
  logger: MinimalLogger;
  /** The run claims (S3); without them the GetJobRuns check alone guards against duplicates (one at a time only). */
  claims?: RunClaims;
  /** Who is claiming (the Lambda request id) and for how long: the rest of this invocation's life plus a margin. */
  owner?: string;
  leaseSeconds?: number;
  /** Plays runs are transformed in a daily batch (plays-batch.ts), not one job run each. */
  playsBatched?: boolean;
}

export interface StartTransformOutcome {
  outcome: 'started' | 'already-started' | 'ignored';
  key: string;
  runId?: string;
  jobRunId?: string;
  reason?: string;
}

export class JobBusyError extends Error {
  constructor(jobName: string, runId: string, cause: unknown) {
    super(
      `Glue job ${jobName} is at its concurrent-run limit, so run ${runId} was not started yet. The event is retried ` +
        '(Lambda async retries, then the failure destination); raise MaxConcurrentRuns or enable job run queuing to avoid waits.',
      { cause },
    );
    this.name = 'JobBusyError';
  }
}

/** S3 event keys are URL-encoded with '+' for spaces. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The job runs (most recent first, as Glue returns them) that carry this run id. */
export async function findJobRunsForRunId(glue: GlueClient, jobName: string, runId: string): Promise<JobRun[]> {
  const found: JobRun[] = [];
  let nextToken: string | undefined;
  do {
    const page = await glue.send(new GetJobRunsCommand({ JobName: jobName, MaxResults: 200, NextToken: nextToken }));
    for (const run of page.JobRuns ?? []) if (run.Arguments?.['--RUN_ID'] === runId) found.push(run);
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

export async function startTransformForManifest(deps: StartTransformContext, bucket: string, rawKey: string): Promise<StartTransformOutcome> {
  const key = decodeS3Key(rawKey);
  // A run's manifest, or an import's (`pipeline import`): both start the same job for their prefix.
  const parsed = parseManifestKey(key) ?? parseImportManifestKey(key);
  if (!parsed) {
    // The notification filters should only send raw/**/_manifest.json and imports/**/_manifest.json.
    deps.logger.warn('ignored an object that is not a run manifest', { bucket, key });
    return { outcome: 'ignored', key, reason: 'not a raw/extract_date=*/run_id=*/_manifest.json or imports/listener=*/run_id=*/_manifest.json key' };
  }
  const { runId, prefix } = parsed;
  if (deps.playsBatched && isPlaysRunId(runId)) {
    deps.logger.info('plays run: transformed with the daily plays batch', { runId });
    return { outcome: 'ignored', key, runId, reason: 'a plays run: transformed with the daily plays batch' };
  }
  const claimed = deps.claims
    ? await deps.claims.claim('transform', runId, { owner: deps.owner ?? 'start-transform', leaseSeconds: deps.leaseSeconds ?? 120 })
    : null;
  if (claimed && claimed.status !== 'claimed') {
    const jobRunId = claimed.record.detail.job_run_id;
    deps.logger.info('transform already claimed for this run; duplicate event ignored', { runId, claim: claimed.status, jobRunId, owner: claimed.record.owner });
    return { outcome: 'already-started', key, runId, jobRunId };
  }
  const claim = claimed?.claim;
  const existing = await findJobRunsForRunId(deps.glue, deps.jobName, runId);
  if (existing.length > 0) {
    const run = existing[0];
    deps.logger.info('transform already started for this run; duplicate event ignored', {
      runId,
      jobRunId: run.Id,
      state: run.JobRunState,
    });
    await claim?.done({ job_run_id: run.Id ?? '' });
    return { outcome: 'already-started', key, runId, jobRunId: run.Id };
  }
  try {
    const result = await deps.glue.send(
      new StartJobRunCommand({
        JobName: deps.jobName,
        // Only locations and ids: Glue may log job arguments, so no secret ever goes here.
        Arguments: { '--RAW_RUN_PREFIX': `s3://${bucket}/${prefix}`, '--RUN_ID': runId },
        JobRunQueuingEnabled: true,
      }),
    );
    deps.logger.info('transform started', { runId, jobRunId: result.JobRunId, rawRunPrefix: `s3://${bucket}/${prefix}` });
    await claim?.done({ job_run_id: result.JobRunId ?? '' });
    return { outcome: 'started', key, runId, jobRunId: result.JobRunId };
  } catch (error) {
    const failure = (error as Error).name === 'ConcurrentRunsExceededException' ? new JobBusyError(deps.jobName, runId, error) : error;
    // Release the claim so that Lambda's retry of this event may start the run.
    await claim?.failed(failure).catch((releaseError: unknown) =>
      deps.logger.warn('could not mark the claim failed; the retry waits for its lease to end', { runId, error: releaseError as Error }),
    );
    throw failure;
  }
}
