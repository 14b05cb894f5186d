/**
 * The start-transform Lambda: on the S3 event of a run manifest (raw/.../run_id=X/_manifest.json), start the
 * Glue job once for that run, claiming the run id in S3 first (claims/transform/). With PLAYS_BATCH_DAYS set (plays
 * are polled hourly), plays runs are not started one by one: the first manifest event of each UTC day starts one
 * job run for the waiting plays runs of the last PLAYS_BATCH_DAYS days (plays-batch.ts). Environment:
 * GLUE_JOB_NAME, BUCKET_NAME (where the claims live); optional PLAYS_BATCH_DAYS, POWERTOOLS_SERVICE_NAME,
 * POWERTOOLS_LOG_LEVEL.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context, S3Event } from 'aws-lambda';
import { RunClaims } from '../shared/run-claim';
import { START_TRANSFORM_ENV, START_TRANSFORM_SERVICE } from '../shared/runtime-contract';
import { startPlaysBatch, type PlaysBatchOptions } from './plays-batch';
import { startTransformForManifest, type StartTransformOutcome } from './start-transform';

export interface StartTransformDeps {
  glue: GlueClient;
  jobName: string;
  logger: Logger;
  claims?: RunClaims;
  /** Plays runs in a daily batch instead of one job run each. */
  playsBatch?: PlaysBatchOptions;
}

/** A claim outlives the invocation that took it by this much, so it never lapses while its holder still runs. */
export const LEASE_MARGIN_SECONDS = 30;

export function createStartTransformHandler(deps: StartTransformDeps | (() => StartTransformDeps)) {
  let resolved: StartTransformDeps | null = null;
  return async (event: S3Event, context?: Context): Promise<StartTransformOutcome[]> => {
    resolved ??= typeof deps === 'function' ? deps() : deps;
    const { logger } = resolved;
    if (context) logger.addContext(context);
    const records = Array.isArray(event?.Records) ? event.Records : [];
    if (records.length === 0) logger.warn('event without S3 records ignored');
    const outcomes: StartTransformOutcome[] = [];
    const failures: Error[] = [];
    // Every record is tried; a failure is rethrown at the end so the retry re-sends all of them (the started
    // ones are then recognised as already started).
    for (const record of records) {
      try {
        const leaseSeconds = context ? Math.ceil(context.getRemainingTimeInMillis() / 1000) + LEASE_MARGIN_SECONDS : undefined;
        outcomes.push(
          await startTransformForManifest(
            { ...resolved, owner: context?.awsRequestId, leaseSeconds, playsBatched: Boolean(resolved.playsBatch) },
            record.s3.bucket.name,
            record.s3.object.key,
          ),
        );
      } catch (error) {
        logger.error('could not start the transform', { key: record.s3?.object?.key, error: error as Error });
        failures.push(error as Error);
      }
    }
    // The day's plays batch, started by the first manifest event of the day (any run's).
    const bucket = records[0]?.s3?.bucket?.name;
    if (resolved.playsBatch && bucket) {
      try {
        const leaseSeconds = context ? Math.ceil(context.getRemainingTimeInMillis() / 1000) + LEASE_MARGIN_SECONDS : undefined;
        const batch = await startPlaysBatch({ ...resolved, owner: context?.awsRequestId, leaseSeconds }, resolved.playsBatch, bucket);
        if (batch) outcomes.push(batch);
      } catch (error) {
        logger.error('could not start the plays batch; the next manifest event tries again', { error: error as Error });
        failures.push(error as Error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, failures.map((f) => f.message).join(' | '));
    return outcomes;
  };
}

/** The handler's dependencies from the environment constructs/start-transform-function.ts sets (handlers/shared/runtime-contract.ts). */
export function depsFromEnvironment(env: NodeJS.ProcessEnv = process.env): StartTransformDeps {
  const { glueJobName, bucket, playsBatchDays, serviceName } = START_TRANSFORM_ENV;
  const jobName = env[glueJobName];
  const bucketName = env[bucket];
  if (!jobName) throw new Error(`${glueJobName} is not set (the compute stack sets it to the transform job name)`);
  if (!bucketName) throw new Error(`${bucket} is not set (the compute stack sets it to the pipeline bucket, where run claims live)`);
  const s3 = new S3Client({});
  const daysText = env[playsBatchDays];
  const days = daysText ? Number(daysText) : undefined;
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 31)) {
    throw new Error(`${playsBatchDays} must be a whole number of days from 1 to 31 (got ${daysText})`);
  }
  return {
    glue: new GlueClient({}),
    jobName,
    claims: new RunClaims(s3, bucketName),
    playsBatch: days === undefined ? undefined : { s3, lookbackDays: days },
    logger: new Logger({ serviceName: env[serviceName] ?? START_TRANSFORM_SERVICE }),
  };
}

export const handler = createStartTransformHandler(() => depsFromEnvironment());
