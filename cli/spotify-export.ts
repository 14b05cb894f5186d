/**
 * A listener's Spotify export, as downloaded (Account > Privacy): a zip, or the folder it unpacks to. Which files are
 * streaming history is declared in schemas/raw-documents.json (`imports.documents.streams.files`): Extended Streaming
 * History (`Streaming_History_Audio_*.json`, the older `endsong_*.json`) and Account data
 * (`StreamingHistory_music_*.json`, `StreamingHistory_podcast_*.json`). Video history and every other file of the
 * export are listed as ignored, with the reason; the files imported are kept byte for byte.
 *
 * The zip is read with yauzl (the unzip library cdktf's own tooling uses): entry by entry, so a 100 MB export is never
 * unpacked to disk, and a damaged entry fails with its name.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import yauzl from 'yauzl';
import { RAW_DOCUMENTS } from '../schemas/raw-documents';

export interface ExportFile {
  /** The file's name within the export (its base name). */
  name: string;
  /** Where it was found: the path inside the zip or below the folder. */
  source: string;
  bytes: Uint8Array;
}

export interface IgnoredFile {
  source: string;
  reason: string;
}

export interface SpotifyExport {
  path: string;
  files: ExportFile[];
  ignored: IgnoredFile[];
}

const STREAMS = RAW_DOCUMENTS.imports.documents.streams;

function globPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

const IMPORTED = STREAMS.files.map(globPattern);
const IGNORED = STREAMS.ignored_files.map(globPattern);

/** Whether a file of an export is imported, and if not, why not. */
export function classifyExportFile(name: string): { imported: true } | { imported: false; reason: string } {
  if (IMPORTED.some((pattern) => pattern.test(name))) return { imported: true };
  if (IGNORED.some((pattern) => pattern.test(name))) return { imported: false, reason: 'video streaming history: not imported' };
  return { imported: false, reason: 'not a streaming history file' };
}

/** Reads the streaming history files of a zip or a folder; throws with the path and what to do when it is neither. */
export async function readSpotifyExport(path: string): Promise<SpotifyExport> {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new Error(`${path} does not exist: pass the zip Spotify sent (my_spotify_data.zip) or the folder it unpacks to`);
  }
  const entries = stat.isDirectory() ? folderEntries(path) : await zipEntries(path);
  const result: SpotifyExport = { path, files: [], ignored: [] };
  for (const entry of entries) {
    const name = basename(entry.source);
    const verdict = classifyExportFile(name);
    if (!verdict.imported) {
      result.ignored.push({ source: entry.source, reason: verdict.reason });
      continue;
    }
    result.files.push({ name, source: entry.source, bytes: entry.read() });
  }
  result.files.sort((a, b) => a.source.localeCompare(b.source));
  if (result.files.length === 0) {
    throw new Error(
      `${path} holds no streaming history file (${STREAMS.files.join(', ')}): is it the export Spotify sent? ` +
        `(${result.ignored.length} other file(s) found)`,
    );
  }
  return result;
}

interface Entry {
  source: string;
  read(): Uint8Array;
}

function folderEntries(root: string): Entry[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(root, p)).isFile())
    .map((p) => ({ source: relative(root, join(root, p)), read: () => readFileSync(join(root, p)) }));
}

function zipEntries(path: string): Promise<Entry[]> {
  const fail = (error: Error) => new Error(`${path} is not a readable zip (${error.message}): pass the zip Spotify sent, or its unpacked folder`);
  return new Promise<Entry[]>((resolvePromise, reject) => {
    yauzl.open(path, { lazyEntries: true }, (openError, zip) => {
      if (openError || !zip) return reject(fail(openError ?? new Error('no zip')));
      const entries: Entry[] = [];
      zip.on('error', (error: Error) => reject(fail(error)));
      zip.on('end', () => resolvePromise(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/') || !classifyExportFile(basename(entry.fileName)).imported) {
          entries.push({ source: entry.fileName, read: () => new Uint8Array() });
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(fail(streamError ?? new Error(`cannot read ${entry.fileName}`)));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', (error: Error) => reject(fail(new Error(`${entry.fileName}: ${error.message}`))));
          stream.on('end', () => {
            const bytes = Buffer.concat(chunks);
            entries.push({ source: entry.fileName, read: () => bytes });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  }).then((entries) => entries.filter((e) => !e.source.endsWith('/')));
}
