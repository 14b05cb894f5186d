/**
 * The columns no Development Mode app can fill (Spotify stopped sending the fields in February 2026; tables.json says
 * so in their descriptions) are kept for extended-quota apps, but no analysis and no view beyond the current dimension
 * views that pass them through may read them: the analyses must answer the same with Development Mode fields only.
 */
import { TABLES } from '../../schemas/table-schemas';
import { analysisSql, listAnalysisFiles, viewDefinitions } from '../../warehouse/snowflake-sql';

const UNFILLABLE = 'No Development Mode app can fill it';

const unfillable = TABLES.flatMap((t) => t.columns.filter((c) => c.description?.includes(UNFILLABLE)).map((c) => `${t.name}.${c.name}`));
const names = [...new Set(unfillable.map((c) => c.split('.')[1]))];
const reads = (sql: string) => names.filter((n) => new RegExp(`\\b${n}\\b`, 'i').test(sql));

test('tables.json names the columns Development Mode apps cannot fill', () => {
  expect(unfillable.sort()).toEqual(['albums.label', 'artists.followers_total', 'artists.genres', 'artists.popularity', 'tracks.popularity']);
});

test('no analysis reads them', () => {
  expect(listAnalysisFiles().map((a) => [a.name, reads(analysisSql(a.name))]).filter(([, found]) => found.length > 0)).toEqual([]);
});

test('only the current dimension views pass them through; no other view reads them', () => {
  const passing = viewDefinitions().filter((v) => reads(v.createStatement).length > 0).map((v) => v.name);
  // current_playlists matches by name only: its followers_total is the playlist's (playlist_snapshots), not an artist's.
  expect(passing.sort()).toEqual(['current_albums', 'current_artists', 'current_playlists', 'current_tracks']);
});
