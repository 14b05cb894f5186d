/**
 * TypeScript view of schemas/raw-documents.json, the ONE declaration of the raw layer: the bucket layout, run ids,
 * the manifest, the document kinds and their count fields. The Glue job reads the same JSON from Python
 * (glue/spotify_transform/raw_documents.py).
 *
 * The JSON is checked as it is loaded (a broken declaration fails at import, in every test), and its names become
 * literal types here: a document kind or a count added to the JSON is a compile error wherever the TypeScript side
 * still lacks something for it (a key builder, a count in the manifest, a reader).
 */
import rawDocumentsJson from './raw-documents.json';

export const RAW_DOCUMENTS = rawDocumentsJson;

/** Key prefixes of the bucket; every IAM policy is narrowed to these. */
export const BUCKET_PREFIXES = {
  raw: rawDocumentsJson.bucket.prefixes.raw,
  processed: rawDocumentsJson.bucket.prefixes.processed,
  rejects: rawDocumentsJson.bucket.prefixes.rejects,
  artifacts: rawDocumentsJson.bucket.prefixes.artifacts,
  glueTemp: rawDocumentsJson.bucket.prefixes.glue_temp,
  /** Run claims (handlers/shared/run-claim.ts): one small object per scheduled run / transform start. */
  claims: rawDocumentsJson.bucket.prefixes.claims,
  /** Listeners' Spotify exports uploaded by `pipeline import` (imports.run_prefix), read by the transform like raw/. */
  imports: rawDocumentsJson.bucket.prefixes.imports,
} as const;

/** Every kind of raw document the extract writes (the keys of `documents`). */
export type DocumentKind = keyof typeof rawDocumentsJson.documents;
/** The run-wide documents (shared catalogue data and each listener's top lists), read with their own code. */
export const CATALOGUE_KINDS = ['playlist', 'top'] as const;
/** One listener's documents (`listening: true`): one per listener and kind, all read and written alike. */
export type ListeningKind = Exclude<DocumentKind, (typeof CATALOGUE_KINDS)[number]>;
/** Every count field of a run manifest (the keys of `counts`). */
export type CountName = keyof typeof rawDocumentsJson.counts;

/** How a report names an amount: `1 saved track`, `2 saved tracks`. */
export interface Noun {
  one: string;
  many: string;
}

export interface DocumentDeclaration {
  kind: DocumentKind;
  description: string;
  /** Under the run's prefix; parts in braces (see fillTemplate). */
  key: string;
  /** The counts the manifest sums over this kind's objects: how many objects, and their items. */
  counts: { objects?: CountName; items: CountName };
  /** The processed tables the Glue job builds from it. */
  tables: string[];
}

export interface ListeningDeclaration extends DocumentDeclaration {
  kind: ListeningKind;
  /** The OAuth scope reading it needs (what `pipeline authorize` asks for). */
  scope: string;
  noun: Noun;
  /** Its on/off switch under `spotify.listening` in the pipeline configuration. */
  listeningSwitch: string;
  /** Plays runs (the hourly poll) read it too: its items count is marked `plays_runs`. */
  playsRuns: boolean;
}

export interface CountDeclaration {
  name: CountName;
  description: string;
  /** The CloudWatch metric the extract Lambda reports it as; null: not reported. */
  metric: string | null;
  /** Counted by plays runs too (the hourly poll reads the documents it counts), not only by the weekly run; a plays run reports no count as a metric (handlers/extract/index.ts). */
  playsRuns: boolean;
  /** How the run summary names it; none: not in the summary (a listener document's items take its noun). */
  noun: Noun | null;
}

function fail(what: string): never {
  throw new Error(`schemas/raw-documents.json: ${what}`);
}

/** The JSON as read, every field checked, in declaration order (the order reports list them in). */
function load() {
  const json = rawDocumentsJson as unknown as {
    documents: Record<string, Record<string, unknown>>;
    counts: Record<string, Record<string, unknown>>;
  };
  const nounOf = (value: unknown, where: string): Noun | null => {
    if (value === undefined) return null;
    const noun = value as Partial<Noun>;
    if (typeof noun?.one !== 'string' || typeof noun.many !== 'string') fail(`${where}.noun needs "one" and "many"`);
    return { one: noun.one, many: noun.many };
  };
  const counts = Object.entries(json.counts).map(([name, c]): CountDeclaration => {
    if (c.metric !== null && typeof c.metric !== 'string') fail(`counts.${name}.metric must be a name or null`);
    return {
      name: name as CountName,
      description: String(c.description ?? ''),
      metric: c.metric,
      playsRuns: c.plays_runs === true,
      noun: nounOf(c.noun, `counts.${name}`),
    };
  });
  const isCount = (value: unknown): value is CountName => counts.some((c) => c.name === value);
  const documents = Object.entries(json.documents).map(([kind, d]) => {
    const declared = d.counts as { objects?: unknown; items?: unknown } | undefined;
    if (!isCount(declared?.items) || (declared.objects !== undefined && !isCount(declared.objects))) {
      fail(`documents.${kind}.counts must name counts declared under "counts"`);
    }
    if (typeof d.key !== 'string') fail(`documents.${kind}.key must be a key template`);
    const catalogue = (CATALOGUE_KINDS as readonly string[]).includes(kind);
    if (d.listening !== !catalogue) {
      fail(`documents.${kind}: "listening" is ${String(d.listening)}, but schemas/raw-documents.ts lists ${catalogue ? '' : 'no '}such CATALOGUE_KIND`);
    }
    const base: DocumentDeclaration = {
      kind: kind as DocumentKind,
      description: String(d.description ?? ''),
      key: d.key,
      counts: { items: declared.items, ...(declared.objects ? { objects: declared.objects as CountName } : {}) },
      tables: (d.tables as string[] | undefined) ?? [],
    };
    if (catalogue) return base;
    if (typeof d.scope !== 'string' || typeof d.listening_switch !== 'string') {
      fail(`documents.${kind}: a listener document needs "scope" and "listening_switch"`);
    }
    const listening: ListeningDeclaration = {
      ...base,
      kind: kind as ListeningKind,
      scope: d.scope,
      noun: nounOf(d.noun, `documents.${kind}`) ?? fail(`documents.${kind}: a listener document needs a "noun"`),
      listeningSwitch: d.listening_switch,
      playsRuns: counts.some((c) => c.name === declared.items && c.playsRuns),
    };
    return listening;
  });
  return { counts, documents };
}

const loaded = load();

/** Every document kind, in declaration order. */
export const DOCUMENTS: readonly DocumentDeclaration[] = loaded.documents;
/** The listener documents, in declaration order. */
export const LISTENING_DOCUMENTS = loaded.documents.filter((d): d is ListeningDeclaration => 'scope' in d);
/** What a listener document holds (one per listener and kind, under `<kind>/<spotify_user_id>.json`). */
export const LISTENING_KINDS: readonly ListeningKind[] = LISTENING_DOCUMENTS.map((d) => d.kind);
/** Every count field of a manifest, in declaration order. */
export const COUNTS: readonly CountDeclaration[] = loaded.counts;

export function documentOf(kind: DocumentKind): DocumentDeclaration {
  return DOCUMENTS.find((d) => d.kind === kind)!;
}

export function listeningDocumentOf(kind: ListeningKind): ListeningDeclaration {
  return LISTENING_DOCUMENTS.find((d) => d.kind === kind)!;
}

export function isListeningKind(kind: string): kind is ListeningKind {
  return (LISTENING_KINDS as readonly string[]).includes(kind);
}

/** A value the TypeScript side spells as a literal type, checked against the JSON's. */
export function declared<T extends string | number>(actual: unknown, expected: T, where: string): T {
  if (actual !== expected) fail(`${where} is ${JSON.stringify(actual)}; the TypeScript side (schemas/raw-documents.ts) expects ${JSON.stringify(expected)}`);
  return expected;
}

/**
 * A key template with its parts filled in: `top/{item_type}_{time_range}.{spotify_user_id}.json`. A Spotify user id is
 * URI-encoded (it names a file); every other part is used as given. A part missing or left over is an error.
 */
export function fillTemplate(template: string, parts: Record<string, string>): string {
  const used = new Set<string>();
  const filled = template.replace(/\{([a-z_]+)\}/g, (_m, name: string) => {
    const value = parts[name];
    if (value === undefined) throw new Error(`key template ${template}: no value for {${name}}`);
    used.add(name);
    // Spotify's ids are encoded (a key part never holds a slash); the pipeline's own names are checked as they are.
    return name === 'spotify_user_id' || name === 'account_id' ? encodeURIComponent(value) : value;
  });
  const unused = Object.keys(parts).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`key template ${template} has no part ${unused.map((n) => `{${n}}`).join(', ')}`);
  return filled;
}

/** A regular expression that matches a key built from the template (then `suffix`), each part a named group. */
export function templatePattern(template: string, partPatterns: Record<string, string>, suffix = ''): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pieces = template.split(/(\{[a-z_]+\})/).map((piece) => {
    const part = /^\{([a-z_]+)\}$/.exec(piece);
    if (!part) return escape(piece);
    const pattern = partPatterns[part[1]];
    if (pattern === undefined) throw new Error(`key template ${template}: no pattern for {${part[1]}}`);
    return `(?<${part[1]}>${pattern})`;
  });
  return new RegExp(`^${pieces.join('')}${escape(suffix)}$`);
}
