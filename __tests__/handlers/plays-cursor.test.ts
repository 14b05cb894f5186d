/** The plays cursor: read, moved forward only, unreadable state read as none; in a real folder. */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { advancePlaysCursor, playsCursorKey, readPlaysCursor, type StateObjects } from '../../handlers/extract/plays-cursor';
import { LocalFolderWriter } from '../../handlers/shared/raw-writer';

/** The local folder writer, plus reads from the same folder. */
function folderState(root: string): StateObjects {
  const writer = new LocalFolderWriter(root);
  return {
    put: (key, body, type) => writer.put(key, body, type),
    get: async (key) => readFile(join(root, key)).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error))),
  };
}

describe('plays cursor', () => {
  const root = mkdtempSync(join(tmpdir(), 'plays-cursor-'));
  const state = folderState(root);
  const user = '31qpxj4w7fakeusr2tz6klm3yb';

  test('none until a run stores one; then it only moves forward', async () => {
    expect(await readPlaysCursor(state, user)).toBeNull();
    expect(await advancePlaysCursor(state, user, 1764092400123, '20261125T180000Z-aaaaaa', new Date('2026-11-25T18:00:03Z'))).toBe(true);
    expect(await readPlaysCursor(state, user)).toBe(1764092400123);
    expect(JSON.parse(readFileSync(join(root, playsCursorKey(user)), 'utf8'))).toEqual({
      state_version: 1,
      spotify_user_id: user,
      cursor_ms: 1764092400123,
      cursor_at: '2025-11-25T17:40:00.123Z',
      run_id: '20261125T180000Z-aaaaaa',
      updated_at: '2026-11-25T18:00:03.000Z',
    });
    // A re-run of an older run (or a poll that found nothing newer) never moves it back.
    expect(await advancePlaysCursor(state, user, 1764000000000, '20261125T170000Z-bbbbbb')).toBe(false);
    expect(await readPlaysCursor(state, user)).toBe(1764092400123);
    expect(await advancePlaysCursor(state, user, 1764092400124, '20261125T190000Z-cccccc')).toBe(true);
  });

  test('unreadable or foreign state reads as no cursor', async () => {
    const other = 'someone-else';
    const path = join(root, playsCursorKey(other));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{"state_version": 1, "spotify_user_id": "not-them", "cursor_ms": 5}');
    expect(await readPlaysCursor(state, other)).toBeNull();
    writeFileSync(path, 'not json');
    expect(await readPlaysCursor(state, other)).toBeNull();
    const failing: StateObjects = { get: () => Promise.reject(new Error('AccessDenied')), put: () => Promise.resolve() };
    expect(await readPlaysCursor(failing, other)).toBeNull();
  });

  test('a user id that could escape the state folder is refused', async () => {
    expect(() => playsCursorKey('../x')).toThrow(/cannot name a plays cursor/);
    await expect(advancePlaysCursor(state, user, -1, 'r')).rejects.toThrow(/Unix milliseconds/);
  });
});
