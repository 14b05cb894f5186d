/** The pieces of `pipeline run` / `pipeline transform` that are not the pipeline itself: options and the report. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/pipeline-config';
import { formatCell, formatTable, oneLine } from '../../cli/format';
import { formatRunReport } from '../../cli/report';
import { parseAsOf } from '../../cli/commands/run';
import { findRawRunPrefix } from '../../cli/commands/transform';
import type { LocalRunContext } from '../../local/run-pipeline';

describe('--as-of', () => {
  it('takes a date (at the schedule hour, 06:00 UTC) or a timestamp', () => {
    expect(parseAsOf('2026-11-16').toISOString()).toBe('2026-11-16T06:00:00.000Z');
    expect(parseAsOf('2026-11-16T21:30:00Z').toISOString()).toBe('2026-11-16T21:30:00.000Z');
  });
  it('names the option and the expected shape when the value is wrong', () => {
    expect(() => parseAsOf('last monday')).toThrow('--as-of must be a date (YYYY-MM-DD) or an ISO timestamp (got "last monday")');
    expect(() => parseAsOf('2026-13-45')).toThrow(/--as-of must be a date/);
  });
});

describe('pipeline transform --run-id', () => {
  it('finds the raw run folder of a run id whatever its extract date', () => {
    const bucket = mkdtempSync(join(tmpdir(), 'bucket-'));
    mkdirSync(join(bucket, 'raw', 'extract_date=2026-11-16', 'run_id=20261116T060000Z-aaaaaa'), { recursive: true });
    mkdirSync(join(bucket, 'raw', 'extract_date=2026-11-23', 'run_id=20261123T060000Z-bbbbbb'), { recursive: true });
    expect(findRawRunPrefix(bucket, '20261123T060000Z-bbbbbb')).toBe('raw/extract_date=2026-11-23/run_id=20261123T060000Z-bbbbbb/');
    expect(() => findRawRunPrefix(bucket, '20261130T060000Z-cccccc')).toThrow(/no raw run 20261130T060000Z-cccccc under .*raw\. List the runs with/);
  });
});

describe('plain-text tables', () => {
  it('aligns columns, right-aligns numbers and shows null distinctly from empty text', () => {
    const text = formatTable(['artist', 'tracks'], [['Noor Vance', 11], ['', null], ['DJ "Gravity"', 9]], '');
    expect(text.split('\n')).toEqual([
      'artist        tracks',
      '------------  ------',
      'Noor Vance        11',
      '                   ∅',
      'DJ "Gravity"       9',
    ]);
  });
  it('keeps a row on one line: newlines become a visible mark, long text is cut', () => {
    expect(formatCell('line one\nline two')).toBe('line one ⏎ line two');
    expect(formatCell('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(formatCell(12345678901234567890n)).toBe('12345678901234567890');
    expect(formatCell(new Date('2026-11-23T00:00:00Z'))).toBe('2026-11-23');
  });
  it('keeps columns aligned when a name holds a tab or another control character', () => {
    const text = formatTable(['playlist', 'tracks'], [['Road\tTrip', 3], ['Bell\u0007', 10]], '');
    const lines = text.split('\n');
    expect(lines).toEqual(['playlist   tracks', '---------  ------', 'Road␉Trip       3', 'Bell␇          10']);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });
  it('makes any text one line for the progress display', () => {
    expect(oneLine('8 playlists, 546 items: Late\nNight\r\nMix\t2')).toBe('8 playlists, 546 items: Late ⏎ Night ⏎ Mix␉2');
    expect(oneLine('plain')).toBe('plain');
  });
  it('says so when there are no rows', () => {
    expect(formatTable(['a'], [])).toContain('(no rows)');
  });
});

/** A run context as the stages leave it; each test adds what its stages produced. */
function runContext(produced: Record<string, unknown>): LocalRunContext {
  const config = parseConfig({
    environment: 'local',
    project: 'spotify-pipeline',
    aws: { region: 'eu-west-1' },
    spotify: { playlists: ['4rOoJ6Egrf8K2IrywzwOMk'] },
  });
  return {
    options: { config },
    bucketDir: '/data/bucket',
    warehouseFile: '/data/warehouse.duckdb',
    runId: '20261123T060000Z-abcdef',
    startedAt: new Date('2026-11-23T06:00:00Z'),
    ...produced,
  } as unknown as LocalRunContext;
}

describe('the run report: listener documents', () => {
  it('flags saved tracks whose library changed during every read, under that listener', () => {
    const report = formatRunReport(
      runContext({
        seconds: { extract: 0.4 },
        manifest: {
          status: 'complete',
          stopped_early: null,
          counts: { playlists: 0, playlist_items: 0, top_lists: 0, top_items: 0, api_calls: 5, token_calls: 1, retries: 0, rate_limited: 0 },
          errors: [],
          objects: [
            { kind: 'saved_tracks', entity_id: 'sam', items: 146, changed_during_fetch: true },
            { kind: 'saved_tracks', entity_id: 'mira', items: 64, changed_during_fetch: false },
          ],
        },
      }),
      { extract: 'x' },
    );
    expect(report).toContain('Listening  sam: 0 new plays, 146 saved tracks, 0 followed artists');
    const flags = report.split('\n').filter((line) => line.includes('changed while it was read'));
    expect(flags).toEqual(['  ! saved tracks of sam: the library changed while it was read (a track may be missing or twice); the next run reads it again']);
  });
});

describe('the run report', () => {
  const ctx = runContext({
    source: { kind: 'fake', describe: 'embedded fake Spotify at http://127.0.0.1:1/v1 (sample catalog)' },
    manifestKey: 'raw/extract_date=2026-11-23/run_id=20261123T060000Z-abcdef/_manifest.json',
    manifest: {
      status: 'partial',
      stopped_early: null,
      counts: { playlists: 2, playlist_items: 120, top_lists: 0, top_items: 0, api_calls: 9, token_calls: 1, retries: 0, rate_limited: 0 },
      errors: [{ kind: 'playlist', entity_id: '37i9dQZEVXbMDoHDwVN2tF', http_status: 404, message: 'Resource not found' }],
    },
    transform: {
      run_id: 'x',
      attempt_id: 'local-20261123T060001Z-0a1b2c3d',
      tables: { tracks: { rows: 100, files: 1 }, albums: { rows: 40, files: 1 } },
      rejects: 1,
      input_objects: 2,
      paging_issues: { '37i9dQZF1DXcBWIGoYBM5M': 'changed_while_paging,positions_beyond_total' },
      superseded_attempts: { superseded: ['local-20261123T055000Z-99999999'], newer: [], tagged_objects: 0, error: null },
      seconds: 3,
    },
    load: {
      loaded: [{ table: 'tracks', file: 'a', rows: 100 }],
      skipped: [
        { table: 'albums', file: 'b', reason: 'already loaded at 2026-11-23T06:00:00.000Z (same path and checksum)' },
        { table: 'tracks', file: 'processed/tracks/x.parquet', reason: 'load failed: not a Parquet file' },
      ],
    },
    checks: [
      { table: 'tracks', check: 'key_unique', passed: true, detail: '' },
      { table: 'albums', check: 'row_count', passed: false, detail: 'expected 40, loaded 39' },
    ],
    analyses: [{ name: 'top_artists_across_playlists', question: 'Which artists appear on the most playlists?', columns: ['artist', 'playlists'], rows: [['Noor Vance', 6]] }],
    seconds: { source: 0, extract: 0.4, transform: 12.3, load: 0.2, check: 0.1, analyse: 0.3 },
  });

  const report = formatRunReport(ctx, { source: 'fake', extract: '2 playlists', transform: '2 tables', load: '1 file', check: '1 failed', analyse: '1 analysis' });

  it('says what each stage did and how long it took', () => {
    expect(report).toContain('Local run 20261123T060000Z-abcdef finished in 13.3 s');
    expect(report).toMatch(/transform\s+2 tables\s+12\.3 s/);
  });
  it('lists the extract errors, the rejects, paging issues, files not loaded and the failed checks by name', () => {
    expect(report).toContain('(status partial)');
    expect(report).toContain('! playlist 37i9dQZEVXbMDoHDwVN2tF: HTTP 404 Resource not found');
    expect(report).toContain('; 1 rejects (attempt local-20261123T060001Z-0a1b2c3d)');
    expect(report).toContain('! playlist 37i9dQZF1DXcBWIGoYBM5M: its item pages disagree (changed_while_paging,positions_beyond_total)');
    expect(report).toContain('replaces attempt(s) local-20261123T055000Z-99999999 of this run in every view');
    expect(report).toContain('Loaded     1 new files, 1 skipped as already loaded');
    expect(report).toContain('! processed/tracks/x.parquet: load failed: not a Parquet file');
    expect(report).toContain('Checks     1 passed, 1 failed');
    expect(report).toContain('! albums: row_count: expected 40, loaded 39');
  });
  it('shows the analyses and where the files and the warehouse are', () => {
    expect(report).toContain('Which artists appear on the most playlists?  [top_artists_across_playlists]');
    expect(report).toMatch(/Noor Vance\s+6/);
    expect(report).toContain('/data/bucket');
    expect(report).toContain('/data/bucket/raw/extract_date=2026-11-23/run_id=20261123T060000Z-abcdef/_manifest.json');
    expect(report).toContain('/data/warehouse.duckdb');
    expect(report).toContain('authorize` once to extract your own account');
  });
});

describe('the report of a failed run', () => {
  it('names the stage that failed and keeps what the stages before it did', () => {
    const ctx = runContext({
      checks: [{ table: 'tracks', check: 'key_unique', passed: false, detail: '2 duplicate keys' }],
      seconds: { source: 0, extract: 0.5, transform: 10, load: 0.2, check: 0.1 },
    });
    const report = formatRunReport(ctx, { source: 'fake', extract: 'e', transform: 't', load: 'l' }, 'check');
    expect(report).toContain('Local run 20261123T060000Z-abcdef FAILED at check after 10.8 s');
    expect(report).toMatch(/check\s+FAILED \(see below\)\s+0\.1 s/);
    expect(report).not.toMatch(/analyse/);
    expect(report).toContain('! tracks: key_unique: 2 duplicate keys');
  });
});
