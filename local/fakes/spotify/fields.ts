/**
 * Spotify's `fields` query parameter: `id,name,owner(id,display_name),items.total`, with `!` to exclude
 * (`!items`, or `album(!external_urls,images)` to drop both). A list that starts with `!` is an exclusion list.
 */

export interface FieldNode {
  name: string;
  children: FieldList | null;
}
export interface FieldList {
  exclude: boolean;
  nodes: FieldNode[];
}

export class FieldsSyntaxError extends Error {}

export function parseFields(text: string): FieldList {
  let pos = 0;
  const fail = (what: string): never => {
    throw new FieldsSyntaxError(`${what} at character ${pos + 1} of "${text}"`);
  };

  function list(): FieldList {
    let exclude = false;
    if (text[pos] === '!') {
      exclude = true;
      pos += 1;
    }
    const nodes: FieldNode[] = [item()];
    while (text[pos] === ',') {
      pos += 1;
      if (text[pos] === '!') pos += 1; // `(!a,!b)` and `(!a,b)` mean the same: the list is an exclusion list
      nodes.push(item());
    }
    return { exclude, nodes };
  }

  function item(): FieldNode {
    const start = pos;
    while (pos < text.length && /[A-Za-z0-9_]/.test(text[pos])) pos += 1;
    if (pos === start) fail('expected a field name');
    const name = text.slice(start, pos);
    if (text[pos] === '.') {
      pos += 1;
      return { name, children: { exclude: false, nodes: [item()] } };
    }
    if (text[pos] === '(') {
      pos += 1;
      const children = list();
      if (text[pos] !== ')') fail('expected ")"');
      pos += 1;
      return { name, children };
    }
    return { name, children: null };
  }

  const result = list();
  if (pos !== text.length) fail('unexpected character');
  return result;
}

export function applyFields(value: unknown, fields: FieldList): unknown {
  if (Array.isArray(value)) return value.map((v) => applyFields(v, fields));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  if (fields.exclude) {
    const out = { ...source };
    for (const node of fields.nodes) delete out[node.name];
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const node of mergeSameName(fields.nodes)) {
    if (!(node.name in source)) continue;
    out[node.name] = node.children ? applyFields(source[node.name], node.children) : source[node.name];
  }
  return out;
}

/** `items.total,items.href` asks for two parts of one field: merge them into `items(total,href)`. */
function mergeSameName(nodes: FieldNode[]): FieldNode[] {
  const byName = new Map<string, FieldNode>();
  for (const node of nodes) {
    const seen = byName.get(node.name);
    if (!seen) {
      byName.set(node.name, node);
    } else if (seen.children === null || node.children === null) {
      byName.set(node.name, { name: node.name, children: null });
    } else if (!seen.children.exclude && !node.children.exclude) {
      byName.set(node.name, { name: node.name, children: { exclude: false, nodes: [...seen.children.nodes, ...node.children.nodes] } });
    }
  }
  return [...byName.values()];
}
