/**
 * `make run` while the dashboard is open: the page reads the warehouse file read-only for a few milliseconds per
 * query, and a load that hit one of those moments failed at once ("Could not set lock on file"). The loader now
 * tries again. The reader here is a real second process (the dashboard's Python DuckDB, read-only); the retry's
 * wait is injected, so nothing depends on timing: the reader lets go when the loader starts waiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalWarehouse, type LockRetry } from '../../local/warehouse/local-warehouse';
import { tempDir } from './fixture-data';

const PYTHON = resolve(__dirname, '..', '..', '.venv', 'bin', 'python');

/** A process holding the file open read-only (as the dashboard does mid-query) until its stdin closes. */
async function holdReadOnly(file: string): Promise<ChildProcess> {
  const holder = spawn(
    PYTHON,
    ['-c', "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); print('held', flush=True); sys.stdin.read()", file],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [first] = await once(holder.stdout!, 'data');
  expect(String(first).trim()).toBe('held');
  return holder;
}

async function release(holder: ChildProcess): Promise<void> {
  if (holder.exitCode !== null) return;
  const exited = once(holder, 'exit');
  holder.stdin!.end();
  await exited;
}

describe('LocalWarehouse.open on a file another process is reading', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = tempDir('warehouse-lock');
    file = join(dir, 'warehouse.duckdb');
    await (await LocalWarehouse.open(file)).close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('waits and opens once the reader has let go', async () => {
    const holder = await holdReadOnly(file);
    const waits: number[] = [];
    const retry: LockRetry = { attempts: 5, wait: async (attempt) => { waits.push(attempt); await release(holder); } };
    const warehouse = await LocalWarehouse.open(file, retry);
    await warehouse.close();
    expect(waits).toEqual([1]);
  }, 60_000);

  test('a reader that never lets go is a clear error after the last attempt', async () => {
    const holder = await holdReadOnly(file);
    try {
      const retry: LockRetry = { attempts: 3, wait: async () => undefined };
      await expect(LocalWarehouse.open(file, retry)).rejects.toThrow(/still locked after 3 attempts.*Another process may hold it/s);
    } finally {
      await release(holder);
    }
  }, 60_000);
});
