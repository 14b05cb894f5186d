/**
 * Starts the Glue transform for one complete extract run, exactly once per run id.
 *
 * S3 delivers events at least once, and a re-invoked extract rewrites its manifest, so the same run can be
 * announced twice. Before starting, the job's recent runs (GetJobRuns) are searched for one whose `--RUN_ID`
 * argument is this run id; if there is one, nothing is started. The check and the start are not atomic, so the
 * compute stack gives this function a reserved concurrency of 1: invocations are serialised and the check holds.
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
import { parseManifestKey } from '../shared/manifest';
import type { MinimalLogger } from '../extract/spotify-client';

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

export async function startTransformForManifest(
  deps: { glue: GlueClient; jobName: string; logger: MinimalLogger },
  bucket: string,
  rawKey: string,
): Promise<StartTransformOutcome> {
  const key = decodeS3Key(rawKey);
  const parsed = parseManifestKey(key);
  if (!parsed) {
    // The notification filter should only send raw/**/_manifest.json; anything else is not a run.
    deps.logger.warn('ignored an object that is not a run manifest', { bucket, key });
    return { outcome: 'ignored', key, reason: 'not a raw/extract_date=*/run_id=*/_manifest.json key' };
  }
  const { runId, prefix } = parsed;
  const existing = await findJobRunsForRunId(deps.glue, deps.jobName, runId);
  if (existing.length > 0) {
    const run = existing[0];
    deps.logger.info('transform already started for this run; duplicate event ignored', {
      runId,
      jobRunId: run.Id,
      state: run.JobRunState,
    });
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
    return { outcome: 'started', key, runId, jobRunId: result.JobRunId };
  } catch (error) {
    if ((error as Error).name === 'ConcurrentRunsExceededException') throw new JobBusyError(deps.jobName, runId, error);
    throw error;
  }
}
