/**
 * A synthetic Spotify export (Extended Streaming History) of one fake listener, shaped like the files Spotify sends
 * (`Streaming_History_Audio_<years>_<n>.json` arrays, every field of a real record, `ip_addr` included) and generated
 * from the listener's own play model (listening.ts): every play the fake serves from /me/player/recently-played in
 * the export's window is in the export too, ending a few seconds after its played_at, as Spotify's two clocks do.
 * So importing it beside polled plays exercises the listening_history matching rule (docs/data-contracts.md).
 *
 * Besides the plays the fake serves, the export holds what polls never see, each decided by a hash of the play's
 * instant (the same in every export that covers it, so overlapping exports agree): podcast episodes, local files,
 * incognito listens, 0 ms streams (a skip the moment it started), and skipped partial plays. Nothing is stored: the
 * same listener and window always give the same bytes.
 */
import { FakeListener, unit, type FakeListenerSpec } from './listening';
import type { FakeCatalog } from './model';
import { isoSeconds } from './seeded';

export interface SyntheticExportOptions {
  /** The export's window: streams ending after `fromMs`, up to and including `toMs`. */
  fromMs: number;
  toMs: number;
  /** Plays older than this keep only `olderShare` of themselves (a lighter past); default: every play. */
  fullHistoryFromMs?: number;
  olderShare?: number;
  /** Streams per file (Spotify cuts its files at about 16,000); default 10,000. */
  streamsPerFile?: number;
  /** Add a Streaming_History_Video file (which an import ignores). Default true. */
  withVideo?: boolean;
}

export interface SyntheticExportFile {
  name: string;
  body: string;
}

/** What the export holds, by kind of stream: what a test expects listening_history to count. */
export interface SyntheticExportSummary {
  /** Streams of catalog tracks that the fake also serves as plays (the overlap with polls). */
  plays: number;
  /** Of those: skipped part-way (ms_played < duration, skipped true); still a listen. */
  skipped: number;
  localFiles: number;
  incognito: number;
  podcasts: number;
  zeroMs: number;
  /** Every stream of the audio files. */
  streams: number;
  /** Earliest and latest stream end (epoch ms). */
  firstEndMs: number | null;
  lastEndMs: number | null;
}

type Stream = Record<string, unknown>;

const DAY_MS = 86_400_000;
const PLATFORMS = ['android', 'ios', 'windows', 'osx', 'web_player', 'cast_tv'];
const COUNTRIES = ['DE', 'DE', 'DE', 'NL', 'FR', 'ES'];
const LOCAL_FILES = [
  { name: 'Bedroom Demo 3', artist: 'Sam Ple', album: 'Tapes', durationMs: 161_000 },
  { name: 'Rehearsal (live)', artist: 'The Garage', album: 'Rehearsals', durationMs: 242_000 },
];

function stream(endMs: number, msPlayed: number, salt: number, fields: Stream): Stream {
  return {
    ts: isoSeconds(endMs),
    platform: PLATFORMS[Math.floor(unit(salt, endMs / 1000, 31) * PLATFORMS.length)],
    ms_played: msPlayed,
    conn_country: COUNTRIES[Math.floor(unit(salt, endMs / 1000, 32) * COUNTRIES.length)],
    ip_addr: `192.0.2.${1 + Math.floor(unit(salt, endMs / 1000, 33) * 250)}`,
    master_metadata_track_name: null,
    master_metadata_album_artist_name: null,
    master_metadata_album_album_name: null,
    spotify_track_uri: null,
    episode_name: null,
    episode_show_name: null,
    spotify_episode_uri: null,
    audiobook_title: null,
    audiobook_uri: null,
    audiobook_chapter_uri: null,
    audiobook_chapter_title: null,
    reason_start: 'trackdone',
    reason_end: 'trackdone',
    shuffle: unit(salt, endMs / 1000, 34) < 0.3,
    skipped: false,
    offline: false,
    offline_timestamp: null,
    incognito_mode: false,
    ...fields,
  };
}

/** The listener's export for a window, in Spotify's file layout, and what it holds. */
export function syntheticExport(
  spec: FakeListenerSpec,
  catalog: FakeCatalog,
  options: SyntheticExportOptions,
): { files: SyntheticExportFile[]; summary: SyntheticExportSummary } {
  const listener = new FakeListener(spec, catalog);
  const seed = spec.seed;
  const episodes = Object.values(catalog.episodes).sort((a, b) => a.id.localeCompare(b.id));
  const summary: SyntheticExportSummary = { plays: 0, skipped: 0, localFiles: 0, incognito: 0, podcasts: 0, zeroMs: 0, streams: 0, firstEndMs: null, lastEndMs: null };
  const streams: Array<[number, Stream]> = [];
  const add = (endMs: number, s: Stream) => {
    if (endMs <= options.fromMs || endMs > options.toMs) return false;
    streams.push([endMs, s]);
    return true;
  };
  // The play model looks back at most 60 days per call: walk the window in 30-day steps.
  for (let upTo = options.toMs; upTo > options.fromMs; upTo -= 30 * DAY_MS) {
    const plays = listener.playsBetween(Math.max(options.fromMs - 10_000, upTo - 30 * DAY_MS), upTo);
    for (const play of plays) {
      const second = Math.floor(play.playedAtMs / 1000);
      if (options.fullHistoryFromMs !== undefined && play.playedAtMs < options.fullHistoryFromMs && unit(seed, second, 40) >= (options.olderShare ?? 1)) continue;
      const track = catalog.tracks[play.trackId];
      const album = catalog.albums[track.albumId];
      const artist = catalog.artists[track.artistIds[0]];
      // Spotify logs the stream's end a moment after the play it serves: 0-5 s later here.
      const endMs = play.playedAtMs + Math.floor(unit(seed, second, 41) * 5000);
      const skipped = unit(seed, second, 42) < 0.12;
      const names = {
        master_metadata_track_name: track.name,
        master_metadata_album_artist_name: artist?.name ?? null,
        master_metadata_album_album_name: album?.name ?? null,
        spotify_track_uri: `spotify:track:${track.id}`,
      };
      const msPlayed = skipped ? 30_000 + Math.floor(unit(seed, second, 43) * (track.durationMs - 30_000)) : track.durationMs;
      if (!add(endMs, stream(endMs, msPlayed, seed, { ...names, ...(skipped ? { skipped: true, reason_end: 'fwdbtn' } : {}) }))) continue;
      summary.plays += 1;
      if (skipped) summary.skipped += 1;
      // What polls never see, between this play and the next (20-50 s after it).
      const extra = unit(seed, second, 44);
      const at = endMs + 20_000 + Math.floor(unit(seed, second, 45) * 30_000);
      if (extra < 0.06) {
        if (add(at, stream(at, 0, seed, { ...names, skipped: true, reason_start: 'clickrow', reason_end: 'endplay' }))) summary.zeroMs += 1;
      } else if (extra < 0.09 && episodes.length > 0) {
        const episode = episodes[Math.floor(unit(seed, second, 46) * episodes.length)];
        const show = catalog.shows[episode.showId];
        const ok = add(at, stream(at, Math.min(episode.durationMs, 1_200_000), seed, {
          episode_name: episode.name, episode_show_name: show?.name ?? null, spotify_episode_uri: `spotify:episode:${episode.id}`,
        }));
        if (ok) summary.podcasts += 1;
      } else if (extra < 0.11) {
        const file = LOCAL_FILES[Math.floor(unit(seed, second, 47) * LOCAL_FILES.length)];
        const uri = `spotify:local:${encodeURIComponent(file.artist)}:${encodeURIComponent(file.album)}:${encodeURIComponent(file.name)}:${file.durationMs / 1000}`;
        const ok = add(at, stream(at, file.durationMs, seed, {
          master_metadata_track_name: file.name, master_metadata_album_artist_name: file.artist, master_metadata_album_album_name: file.album, spotify_track_uri: uri,
        }));
        if (ok) summary.localFiles += 1;
      } else if (extra < 0.13) {
        if (add(at, stream(at, track.durationMs, seed, { ...names, incognito_mode: true }))) summary.incognito += 1;
      }
    }
  }
  streams.sort((a, b) => a[0] - b[0]);
  summary.streams = streams.length;
  summary.firstEndMs = streams[0]?.[0] ?? null;
  summary.lastEndMs = streams.at(-1)?.[0] ?? null;
  return { files: exportFiles(streams, options), summary };
}

/** Spotify's layout: `Streaming_History_Audio_<first year>[-<last year>]_<n>.json`, oldest first. */
function exportFiles(streams: Array<[number, Stream]>, options: SyntheticExportOptions): SyntheticExportFile[] {
  const perFile = options.streamsPerFile ?? 10_000;
  const files: SyntheticExportFile[] = [];
  for (let i = 0; i * perFile < streams.length; i++) {
    const chunk = streams.slice(i * perFile, (i + 1) * perFile);
    const first = new Date(chunk[0][0]).getUTCFullYear();
    const last = new Date(chunk.at(-1)![0]).getUTCFullYear();
    files.push({ name: `Streaming_History_Audio_${first === last ? first : `${first}-${last}`}_${i}.json`, body: JSON.stringify(chunk.map(([, s]) => s)) });
  }
  if (options.withVideo ?? true) {
    const at = options.toMs - DAY_MS;
    files.push({ name: `Streaming_History_Video_${new Date(at).getUTCFullYear()}.json`, body: JSON.stringify([{ ts: isoSeconds(at), ms_played: 60_000, platform: 'android', video: true }]) });
  }
  return files;
}
