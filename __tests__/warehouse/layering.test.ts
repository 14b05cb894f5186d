/**
 * `local/` holds stand-ins for the local run; production code (what the stacks deploy, what the Lambdas and the
 * Snowflake client run) must never import from it. This guards the folders that make up the product.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const PRODUCTION = ['main.ts', 'stacks', 'constructs', 'handlers', 'warehouse', 'schemas', 'config'];

function tsFiles(path: string): string[] {
  const full = join(ROOT, path);
  if (path.endsWith('.ts')) return [full];
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('.ts') && !p.includes('node_modules'))
    .map((p) => join(full, p));
}

test('no production module imports from local/', () => {
  const offenders: string[] = [];
  for (const file of PRODUCTION.flatMap(tsFiles)) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)) {
      const target = match[1];
      if (!target.startsWith('.')) continue;
      const resolved = relative(ROOT, resolve(file, '..', target));
      if (resolved === 'local' || resolved.startsWith('local/')) offenders.push(`${relative(ROOT, file)} imports ${target}`);
    }
  }
  expect(offenders).toEqual([]);
});
