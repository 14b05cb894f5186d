/**
 * `pipeline import` as a run: a listener's export files go to the bucket under the import prefix of
 * schemas/raw-documents.json (`imports/listener=<name>/run_id=<import id>/streams/<file>`), byte for byte, then the
 * manifest, LAST, exactly as an extract run writes its own: no manifest, no import, and nothing downstream reads it.
 *
 * The import id is a run id derived from the files' content: the end of the latest stream (UTC, to the second), then
 * the first 6 hex digits of a hash of the files' names and sha256s. Importing the same files again is the same run
 * (already imported: nothing new is written), and re-transforming it is a new attempt that replaces the earlier one;
 * a newer export (more streams) is another run, and the listening_history view keeps a stream both hold once.
 *
 * Writes go through the raw layer's writer (a local folder laid out like the bucket, or S3), so the local run and an
 * upload to AWS write the same keys.
 */
import { createHash } from 'node:crypto';
import { ListenerConfigSchema } from '../config/listeners';
import { MANIFEST_FILE, MANIFEST_VERSION, RUN_ID_PATTERN } from '../handlers/shared/manifest';
import { sha256Hex, type RawObjectWriter } from '../handlers/shared/raw-writer';
import { fillTemplate, RAW_DOCUMENTS } from '../schemas/raw-documents';
import type { ExportFile, IgnoredFile, SpotifyExport } from './spotify-export';

const IMPORTS = RAW_DOCUMENTS.imports;
const STREAMS_KIND = 'streams';

export interface ImportedFile {
  /** The file's name in the export, and its key in the bucket. */
  name: string;
  key: string;
  bytes: number;
  sha256: string;
  /** Streams the file holds (its array's length); null when it is not a JSON array (the transform rejects it). */
  streams: number | null;
  /** Why the transform will reject the file whole, when it can be told before uploading. */
  problem: string | null;
}

export interface ImportManifest {
  manifest_version: typeof MANIFEST_VERSION;
  kind: 'import';
  run_id: string;
  extract_date: string;
  /** The end of the latest stream of the export (the import id's time): what orders imports of one listener. */
  started_at: string;
  status: 'complete';
  listener: string;
  objects: Array<{ key: string; kind: typeof STREAMS_KIND; entity_id: string; bytes: number; sha256: string; items: number | null }>;
  /** Files of the export that were not imported (video history, everything else), with the reason. */
  ignored: IgnoredFile[];
  /** Files that cannot be read as an export (not JSON, not an array): uploaded as given, rejected whole by the transform. */
  errors: Array<{ kind: typeof STREAMS_KIND; entity_id: string; message: string }>;
  counts: { streams: number };
}

export interface ImportPlan {
  runId: string;
  extractDate: string;
  prefix: string;
  manifestKey: string;
  manifest: ImportManifest;
  files: Array<ImportedFile & { body: Uint8Array }>;
}

export function checkListenerName(listener: string): string {
  if (!ListenerConfigSchema.shape.name.safeParse(listener).success) {
    throw new Error(`--listener "${listener}" is not a listener name: 1-30 lower-case letters, digits and dashes, starting with a letter (the name in spotify.listeners)`);
  }
  return listener;
}

/** `imports/listener=<name>/run_id=<id>/`. */
export function importPrefix(listener: string, runId: string): string {
  if (!RUN_ID_PATTERN.test(runId)) throw new Error(`import id "${runId}" is not a run id`);
  return fillTemplate(IMPORTS.run_prefix, { listener: checkListenerName(listener), run_id: runId });
}

/** The latest stream end of one file (epoch ms) and its stream count; both null when the file is not a JSON array. */
function readStreams(file: ExportFile): { latest: number | null; streams: number | null; problem: string | null } {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(file.bytes).toString('utf8'));
  } catch (error) {
    return { latest: null, streams: null, problem: `${file.source} is not valid JSON (${(error as Error).message})` };
  }
  if (!Array.isArray(doc)) return { latest: null, streams: null, problem: `${file.source} is not a streaming history export: expected a JSON array of streams` };
  let latest: number | null = null;
  for (const stream of doc) {
    const at = streamEnd(stream);
    if (at !== null && (latest === null || at > latest)) latest = at;
  }
  return { latest, streams: doc.length, problem: null };
}

/** A stream's end in epoch ms: Extended's `ts` (ISO, UTC), Account data's `endTime` (`YYYY-MM-DD HH:MM`, UTC). */
function streamEnd(stream: unknown): number | null {
  if (typeof stream !== 'object' || stream === null) return null;
  const { ts, endTime } = stream as { ts?: unknown; endTime?: unknown };
  const text = typeof ts === 'string' ? ts : typeof endTime === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(endTime) ? `${endTime.replace(' ', 'T')}:00Z` : null;
  const at = text && /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? null : at;
}

/** Two files of one name in an export (in two folders of the zip): the same bytes are one file; others get a suffix. */
function uniqueNames(files: ExportFile[]): Array<ExportFile & { key: string }> {
  const seen = new Map<string, string>();
  const out: Array<ExportFile & { key: string }> = [];
  for (const file of files) {
    const sha = sha256Hex(file.bytes);
    let name = file.name;
    for (let n = 2; seen.has(name) && seen.get(name) !== sha; n++) name = file.name.replace(/\.json$/, `~${n}.json`);
    if (seen.get(name) === sha) continue;
    seen.set(name, sha);
    out.push({ ...file, name, key: name });
  }
  return out;
}

/** What an import of these files writes, and under which id: everything derived from the content. */
export function planImport(listener: string, exported: SpotifyExport): ImportPlan {
  checkListenerName(listener);
  const files = uniqueNames(exported.files).map((file) => ({ file, sha256: sha256Hex(file.bytes), ...readStreams(file) }));
  const latest = Math.max(...files.map((f) => f.latest ?? -Infinity));
  if (!Number.isFinite(latest)) {
    throw new Error(`no stream in ${exported.path} has a readable time (ts or endTime): it does not look like a Spotify streaming history export`);
  }
  const end = new Date(Math.floor(latest / 1000) * 1000);
  const digest = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.file.name.localeCompare(b.file.name))) digest.update(`${f.file.name}\0${f.sha256}\n`);
  const runId = `${end.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${digest.digest('hex').slice(0, 6)}`;
  const extractDate = end.toISOString().slice(0, 10);
  const prefix = importPrefix(listener, runId);
  const streamsKey = (name: string) => prefix + fillTemplate(IMPORTS.documents.streams.key, { file: name });
  const planned = files.map((f) => ({
    name: f.file.name,
    key: streamsKey(f.file.name),
    bytes: f.file.bytes.byteLength,
    sha256: f.sha256,
    streams: f.streams,
    problem: f.problem,
    body: f.file.bytes,
  }));
  const manifest: ImportManifest = {
    manifest_version: MANIFEST_VERSION,
    kind: 'import',
    run_id: runId,
    extract_date: extractDate,
    started_at: end.toISOString(),
    status: 'complete',
    listener,
    objects: planned.map((f) => ({ key: f.key, kind: STREAMS_KIND, entity_id: listener, bytes: f.bytes, sha256: f.sha256, items: f.streams })),
    ignored: exported.ignored,
    errors: planned.filter((f) => f.problem).map((f) => ({ kind: STREAMS_KIND, entity_id: listener, message: f.problem! })),
    counts: { streams: planned.reduce((sum, f) => sum + (f.streams ?? 0), 0) },
  };
  return { runId, extractDate, prefix, manifestKey: prefix + MANIFEST_FILE, manifest, files: planned };
}

export interface ImportWriteResult {
  /** The same files were imported before (their manifest is there): nothing was written. */
  alreadyImported: boolean;
  written: number;
}

/** Writes the files (those not there yet with the same bytes), then the manifest, last. */
export async function writeImport(writer: RawObjectWriter, plan: ImportPlan): Promise<ImportWriteResult> {
  if (await writer.stat(plan.manifestKey)) return { alreadyImported: true, written: 0 };
  let written = 0;
  for (const file of plan.files) {
    const existing = await writer.stat(file.key);
    if (existing?.sha256 === file.sha256) continue; // a retry of an import that stopped before its manifest
    await writer.put(file.key, file.body, 'application/json');
    written += 1;
  }
  await writer.put(plan.manifestKey, `${JSON.stringify(plan.manifest, null, 2)}\n`, 'application/json');
  return { alreadyImported: false, written };
}
