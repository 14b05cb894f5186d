/**
 * The import graph has no circles: no two modules import each other, directly or through others. A circle is the
 * sign that two parts share something that belongs in a third (docs/architecture.md, "The rooms"). Type-only
 * imports count too: they tie the files together for a reader as much as any other. Checked for every TypeScript
 * file outside the tests and for the Glue job's Python package.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const TS_ROOMS = ['main.ts', 'stacks', 'constructs', 'handlers', 'warehouse', 'schemas', 'config', 'cli', 'local', 'bench', 'scripts'];

function filesUnder(path: string, ext: string): string[] {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith(ext) && !/(^|\/)(node_modules|tests|__pycache__)(\/|$)/.test(p))
    .map((p) => join(full, p));
}

/** Resolves a relative TypeScript import to a file of the tree, as the compiler would (x.ts, x/index.ts). */
function resolveTs(from: string, target: string): string | null {
  const base = resolve(dirname(from), target);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile() && candidate.endsWith('.ts')) return candidate;
  }
  return null;
}

function tsGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of TS_ROOMS.flatMap((room) => filesUnder(room, '.ts'))) {
    const source = readFileSync(file, 'utf8');
    const targets = [...source.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"](\.[^'"]*)['"]/gm)]
      .map((m) => resolveTs(file, m[1]))
      .filter((t): t is string => t !== null);
    graph.set(relative(ROOT, file), [...new Set(targets.map((t) => relative(ROOT, t)))]);
  }
  return graph;
}

/** The Glue package's intra-package imports: `from .x import`, `from . import x`, `from spotify_transform.x import`. */
function pythonGraph(): Map<string, string[]> {
  const pkg = join(ROOT, 'glue', 'spotify_transform');
  const graph = new Map<string, string[]>();
  for (const file of filesUnder('glue/spotify_transform', '.py')) {
    const source = readFileSync(file, 'utf8');
    const modules = new Set<string>();
    // `from .x import a, b` on one line, or `from .x import (` with the names over the lines up to `)`.
    for (const m of source.matchAll(/^[ \t]*from[ \t]+(?:\.|spotify_transform\.?)(\w*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w, \t]*))/gm)) {
      if (m[1]) modules.add(m[1]);
      else for (const name of (m[2] ?? m[3]).split(/[\s,]+/).filter(Boolean)) modules.add(name);
    }
    const targets = [...modules].map((name) => join(pkg, `${name}.py`)).filter((t) => existsSync(t) && t !== file);
    graph.set(relative(ROOT, file), targets.map((t) => relative(ROOT, t)));
  }
  return graph;
}

/** Every circle, each as the path that closes it (Tarjan's strongly connected components of more than one file). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

test('the checker finds a circle when there is one', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  expect(circles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
});

test('no TypeScript module imports itself back, directly or through others', () => {
  const graph = tsGraph();
  expect(graph.size).toBeGreaterThan(80);
  expect(graph.get('handlers/extract/extract-run.ts')).toEqual(expect.arrayContaining(['handlers/extract/run-attempt.ts']));
  expect(circles(graph)).toEqual([]);
});

test("no module of the Glue job's package imports itself back", () => {
  const graph = pythonGraph();
  expect(graph.get('glue/spotify_transform/parse.py')).toEqual(expect.arrayContaining(['glue/spotify_transform/parse_listening.py']));
  expect(circles(graph)).toEqual([]);
});
