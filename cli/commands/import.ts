/**
 * `pipeline import PATH --listener NAME`: a listener's Spotify export (the zip Spotify sends, or its folder) into the
 * warehouse: the streaming history files go to the bucket under imports/ (manifest last), the Glue job parses them
 * into `streams`, and the `listening_history` view merges them with the polled plays, each listen once
 * (docs/data-contracts.md, "Listening history"). Importing the same files again changes nothing; a newer export that
 * overlaps an older one adds only what is new.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig, resourceNames } from '../../config/pipeline-config';
import { S3ObjectWriter } from '../../handlers/shared/raw-writer';
import { importLocally, type LocalImportResult } from '../../local/local-import';
import { formatTable } from '../format';
import { planImport, writeImport } from '../import-run';
import { readSpotifyExport } from '../spotify-export';

/** The configured listener of that name (no listeners configured: any name, e.g. a sample listener of the fake). */
export function checkConfiguredListener(configured: string[], name: string): void {
  if (configured.length > 0 && !configured.includes(name)) {
    throw new Error(`--listener "${name}" is not a configured listener (spotify.listeners: ${configured.join(', ')}): name whose export this is`);
  }
}

export function register(program: Command): void {
  program
    .command('import')
    .description("Import a listener's Spotify streaming history export (zip or folder) into the warehouse")
    .argument('<path>', 'the zip Spotify sent (my_spotify_data.zip) or the folder it unpacks to')
    .requiredOption('--listener <name>', 'whose export it is (a configured listener name)')
    .option('--again', 'transform the import again even if it was imported before (a new attempt replaces the old)')
    .option('--upload', "upload to the deployed pipeline's bucket (AWS credentials from the environment): its start-transform Lambda runs the Glue job")
    .action(async (path: string, options: { listener: string; again?: boolean; upload?: boolean }) => {
      const config = loadConfig(program.opts().env);
      checkConfiguredListener(config.spotify.listeners.map((l) => l.name), options.listener);
      const exported = await readSpotifyExport(resolve(path));
      if (options.upload) {
        const bucket = resourceNames(config).bucket;
        const plan = planImport(options.listener, exported);
        const written = await writeImport(new S3ObjectWriter(new S3Client({ region: config.aws.region }), bucket), plan);
        process.stdout.write(
          written.alreadyImported
            ? `s3://${bucket}/${plan.manifestKey} exists: these files were imported before (import ${plan.runId}); nothing was uploaded.\n`
            : `Uploaded ${written.written} file(s) (${plan.manifest.counts.streams} streams) and the manifest to s3://${bucket}/${plan.prefix}: ` +
                'the start-transform Lambda starts the Glue job; Snowpipe loads its output. Follow it with `pipeline status`.\n',
        );
        return;
      }
      const result = await importLocally({
        bucketDir: resolve(config.local.bucketDir),
        warehouseFile: resolve(config.local.warehouseFile),
        listener: options.listener,
        exported,
        again: options.again,
        sparkMaster: config.glue.localSparkMaster,
        onProgress: (message) => process.stdout.write(`${message}\n`),
      });
      process.stdout.write(formatImport(result));
      if (result.rejects.length > 0) process.exitCode = 2; // imported, but not everything: visibly incomplete
    });
}

export function formatImport(result: LocalImportResult): string {
  const { plan } = result;
  const out = [
    `Import ${plan.runId} for ${plan.manifest.listener}: ${plan.manifest.counts.streams} streams in ${plan.files.length} file(s), under ${plan.prefix}`,
  ];
  if (plan.manifest.ignored.length > 0) {
    out.push(`Ignored ${plan.manifest.ignored.length} other file(s) of the export:`, formatTable(['file', 'why'], plan.manifest.ignored.map((f) => [f.source, f.reason]), '  ', 160));
  }
  if (result.alreadyImported) {
    out.push('These files were imported before (same content, same import id): nothing new was written or transformed. `--again` transforms them again.');
  } else if (result.transform) {
    const streams = result.transform.tables.streams?.rows ?? 0;
    out.push(`Transformed: ${streams} streams (an identical stream repeated in the export is one), ${result.transform.rejects} rejected, attempt ${result.transform.attempt_id}`);
  }
  if (result.rejects.length > 0) {
    out.push('Rejected (kept in raw/, left out of streams):', formatTable(['file', 'where', 'why'], result.rejects.map((r) => [r.file, r.locator, r.reason]), '  ', 200));
  }
  out.push(
    `listening_history for ${plan.manifest.listener}: ${result.history.export + result.history.poll} listens ` +
      `(${result.history.export} from exports, ${result.history.poll} polled plays no export holds)`,
  );
  return `${out.join('\n')}\n`;
}
