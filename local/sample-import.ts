/**
 * The sample catalog's lifetime: with the embedded fake Spotify, `pipeline run` also imports a synthetic two-year
 * Extended Streaming History of the first sample listener (local/fakes/spotify/export.ts), generated from the
 * fake's own play model, so the dashboard shows a listening life from the first run and the export overlaps the
 * plays the run polls (the listening_history matching rule at work). It ends an hour before the run's hour; the
 * last eight weeks hold every play, older months about a third (a lighter past keeps the sample ~36,000 streams).
 * Generated, never committed: the same run hour gives the same bytes, so a second run in that hour imports nothing.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/pipeline-config';
import { planImport, writeImport, type ImportPlan } from '../cli/import-run';
import { LocalFolderWriter } from '../handlers/shared/raw-writer';
import { loadSampleCatalog } from './fakes/spotify/catalog';
import { syntheticExport } from './fakes/spotify/export';
import { fakeListenerSpecs } from './spotify-source';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Writes the sample export under imports/ (manifest last); the plan to transform, or null when it is committed already. */
export async function writeSampleImport(bucketDir: string, config: PipelineConfig, asOf: Date): Promise<ImportPlan | null> {
  const { name, spec } = fakeListenerSpecs(config.spotify.listeners.map((l) => l.name))[0];
  const toMs = Math.floor(asOf.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS;
  const { files } = syntheticExport(spec, loadSampleCatalog(asOf), {
    fromMs: toMs - 730 * DAY_MS,
    toMs,
    fullHistoryFromMs: toMs - 56 * DAY_MS,
    olderShare: 0.3,
  });
  const plan = planImport(name, {
    path: 'the sample export',
    files: files.map((f) => ({ name: f.name, source: f.name, bytes: Buffer.from(f.body, 'utf8') })).filter((f) => !f.name.startsWith('Streaming_History_Video_')),
    ignored: [],
  });
  await writeImport(new LocalFolderWriter(bucketDir), plan);
  const commits = join(bucketDir, 'processed', 'transform_commits', `extract_date=${plan.extractDate}`, `run_id=${plan.runId}`);
  return existsSync(commits) && readdirSync(commits).some((n) => n.startsWith('attempt_id=')) ? null : plan;
}
