/**
 * The runtime contract between the constructs that deploy the Lambdas and the handlers that run in them: the
 * environment variables each function receives, the Powertools service names and metric namespace, and the names of
 * the outcome metrics the alarms watch. The construct sets exactly these names and the handler reads them from here,
 * so the two cannot drift apart.
 *
 * Plain constants only: this module is bundled into the Lambdas, so it must not import cdktf or the providers.
 */

/** CloudWatch namespace of the pipeline's own (EMF) metrics. */
export const METRICS_NAMESPACE = 'SpotifyPipeline';

/** Powertools service names; Powertools adds the service as a dimension of each metric. */
export const EXTRACT_SERVICE = 'spotify-extract';
export const START_TRANSFORM_SERVICE = 'spotify-start-transform';

/** Outcome metrics of an extract run that alarms watch (dimensions: service and environment). */
export const OUTCOME_METRICS = {
  /** 1 when a run failed (invalid event, configuration, S3 or secret errors); 0 after a full run that finished. */
  extractFailed: 'ExtractFailed',
  /** 1 when a run stopped before finishing (quota 429, time budget); the next run catches up. */
  stoppedEarly: 'StoppedEarly',
  /** How many listeners had an error of their own in the run. */
  listenersFailed: 'ListenersFailed',
  /**
   * How many listeners a run stored plays for (a poll that found none counts: it worked), reported by every run
   * that polled plays. One metric for all listeners ($0.30 a month, not $0.30 each): its hourly maximum stays
   * below the number of polled listeners while any of them is silent, and that (or no datapoint at all) for
   * freshness.playsSilentHours is an alarm (constructs/freshness-alarms.ts); `pipeline status` names who.
   */
  playsStored: 'PlaysStored',
} as const;

/**
 * The fewest days any listener's refresh token has left (six months from their authorisation,
 * handlers/shared/token-lifetime.ts), reported by every full run and by the plays poll of the 00 UTC hour; the
 * token-expiry alarm fires at EXPIRY_WARNING_DAYS or fewer, and when a day passes without it.
 */
export const REFRESH_TOKEN_DAYS_LEFT_METRIC = 'RefreshTokenDaysLeft';

/** Environment of the extract Lambda (constructs/extract-function.ts sets it, handlers/extract/index.ts reads it). */
export const EXTRACT_ENV = {
  /** The validated pipeline configuration as JSON (required). */
  config: 'PIPELINE_CONFIG',
  /** The pipeline bucket: raw/ documents, manifests, run claims (required). */
  bucket: 'BUCKET_NAME',
  /** ARN of the app's Spotify secret: client id/secret and, without listeners, the refresh token (required). */
  spotifySecretArn: 'SPOTIFY_SECRET_ARN',
  /** Powertools service name (default EXTRACT_SERVICE). */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** Metric namespace (default METRICS_NAMESPACE). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** The extract variables without which the handler refuses to start. */
export const EXTRACT_REQUIRED_ENV = [EXTRACT_ENV.config, EXTRACT_ENV.bucket, EXTRACT_ENV.spotifySecretArn] as const;

/**
 * Environment of the start-transform Lambda (constructs/start-transform-function.ts sets it,
 * handlers/start-transform/index.ts reads it).
 */
export const START_TRANSFORM_ENV = {
  /** The Glue transform job it starts (required). */
  glueJobName: 'GLUE_JOB_NAME',
  /** The pipeline bucket, where the run claims live (required). */
  bucket: 'BUCKET_NAME',
  /**
   * Set when plays are polled: plays runs are started as one job run a day, over this many days back (1-31).
   * Unset: every manifest starts its own job run.
   */
  playsBatchDays: 'PLAYS_BATCH_DAYS',
  /** Powertools service name (default START_TRANSFORM_SERVICE). */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** Metric namespace; set so metrics the function may emit land beside the extract's. It emits none today. */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;
