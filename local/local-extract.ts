/**
 * The extract Lambda's handler (createExtractHandler), invoked on this machine: the local bucket folder for S3, the
 * Spotify source's base URLs and credentials (the real API or the embedded fake) for Secrets Manager, no run claims
 * (one person, one machine) and no CloudWatch metrics. `pipeline extract` and the extract stage of `pipeline run`
 * both extract through here, so the local run takes the Lambda's own code path.
 */
import type { PipelineConfig } from '../config/pipeline-config';
import type { ExtractProgressEvent } from '../handlers/extract/extract-run';
import { createExtractHandler, type ExtractHandlerResult, type ExtractLogger, type ExtractMetrics } from '../handlers/extract/index';
import type { RunManifest, RunMode } from '../handlers/shared/manifest';
import { LocalFolderWriter } from '../handlers/shared/raw-writer';
import type { SpotifySource } from './spotify-source';

export interface LocalExtractOptions {
  config: PipelineConfig;
  source: SpotifySource;
  bucketDir: string;
  /** The run to extract: a new one, or one to resume (or report, when it already has its manifest). */
  runId: string;
  mode?: RunMode;
  /** Default: silent (the callers show progress events instead). */
  logger?: ExtractLogger;
  onProgress?: (event: ExtractProgressEvent) => void;
}

export interface LocalExtractResult extends ExtractHandlerResult {
  /** The manifest the run wrote (or already had), as read back from the bucket folder. */
  manifest: RunManifest;
}

const quiet = () => {};
const silentLogger: ExtractLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet, appendKeys: quiet, addContext: quiet };
/** Metrics are CloudWatch's business; locally the summary line says the same. */
const noMetrics: ExtractMetrics = { addDimension: quiet, addMetric: quiet, publishStoredMetrics: quiet };

/** Runs the extract handler for one run id; throws what the handler throws (no manifest was written then). */
export async function extractLocally(options: LocalExtractOptions): Promise<LocalExtractResult> {
  const { config, source } = options;
  const writer = new LocalFolderWriter(options.bucketDir);
  const handler = createExtractHandler({
    config: { ...config, spotify: { ...config.spotify, apiBaseUrl: source.apiBaseUrl, accountsBaseUrl: source.accountsBaseUrl } },
    writer,
    secrets: source.credentials,
    listeners: source.listeners,
    logger: options.logger ?? silentLogger,
    metrics: noMetrics,
    onProgress: options.onProgress,
  });
  // An explicit run id: the handler takes its start time from the id, and claims nothing (a deliberate run).
  const result = await handler({ runId: options.runId, mode: options.mode ?? 'full' });
  const bytes = await writer.get(result.manifestKey);
  if (!bytes) throw new Error(`the extract reported ${result.manifestKey} but it is not in ${options.bucketDir}`);
  return { ...result, manifest: JSON.parse(Buffer.from(bytes).toString('utf8')) as RunManifest };
}
