import { cpSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stageGluePackage } from '../../constructs/transform-job';

const PACKAGE = resolve(__dirname, '..', '..', 'glue', 'spotify_transform');

/**
 * The Glue job's --extra-py-files zip is staged from glue/spotify_transform. Tests and byte code stay behind; the
 * folders ABOVE the package (where the user cloned the repository) must not decide what ships: a checkout under a
 * folder named `tests` once staged an empty package (the filter read the absolute path).
 */
describe('the staged Glue package', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'glue-package-test-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function checkoutUnder(...folders: string[]): string {
    const packageDir = join(root, ...folders, 'glue', 'spotify_transform');
    cpSync(PACKAGE, packageDir, { recursive: true, filter: (source) => !source.includes('__pycache__') });
    mkdirSync(join(packageDir, 'tests'), { recursive: true });
    writeFileSync(join(packageDir, 'tests', 'test_x.py'), 'def test_x(): pass\n');
    mkdirSync(join(packageDir, '__pycache__'), { recursive: true });
    writeFileSync(join(packageDir, '__pycache__', 'parse.cpython-311.pyc'), '');
    return packageDir;
  }

  const shipped = (packageDir: string) => readdirSync(join(stageGluePackage(packageDir), 'spotify_transform')).sort();
  const modules = readdirSync(PACKAGE).filter((f) => f.endsWith('.py')).sort();

  it('holds every module of the package, and neither tests nor byte code', () => {
    expect(modules).toEqual(expect.arrayContaining(['__init__.py', 'job.py', 'parse.py']));
    expect(shipped(checkoutUnder('home', 'sam', 'src'))).toEqual(modules);
  });

  it('is the same when the repository is cloned below a folder named tests or test', () => {
    expect(shipped(checkoutUnder('tests', 'spotify'))).toEqual(modules);
    expect(shipped(checkoutUnder('work', 'test', 'spotify'))).toEqual(modules);
  });
});
