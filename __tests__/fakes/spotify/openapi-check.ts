/**
 * Holds a JSON answer to a schema of the vendored OpenAPI description (spotify-openapi.json): every field the answer
 * has is declared, of the declared type; every required field is there; and (in development mode) no field the
 * description marks deprecated is served. The caller allows what Spotify is known to do otherwise. Nulls pass: Spotify sends them for
 * many declared fields, and the pipeline treats every field beyond ids and names as optional.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Schema = Record<string, any>;

export interface OpenApiExcerpt {
  source: { repository: string; file: string; commit: string | null; version: string };
  answers: Record<string, Schema>;
  schemas: Record<string, Schema>;
}

export const OPENAPI: OpenApiExcerpt = JSON.parse(readFileSync(join(__dirname, 'spotify-openapi.json'), 'utf8'));

export interface CheckOptions {
  /** Development mode: a deprecated field that is served is a problem; a missing one is not. */
  development: boolean;
}

/** One way an answer departs from the description: `field` is `Schema.field`, `at` the first place it was seen. */
export interface Problem {
  field: string;
  kind: 'undeclared' | 'deprecated' | 'missing' | 'type';
  at: string;
}

const nameOf = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);

/** A schema with its $ref followed and its allOf merged; `name`: the component it came from. */
function resolve(schema: Schema, name = ''): { schema: Schema; name: string } {
  if (schema.$ref) return resolve(OPENAPI.schemas[nameOf(schema.$ref)], nameOf(schema.$ref));
  if (!schema.allOf) return { schema, name };
  const merged: Schema = { ...schema, allOf: undefined, properties: { ...(schema.properties ?? {}) }, required: [...(schema.required ?? [])] };
  let mergedName = name;
  for (const part of schema.allOf as Schema[]) {
    const r = resolve(part);
    mergedName ||= r.name;
    Object.assign(merged.properties, r.schema.properties ?? {});
    merged.required.push(...(r.schema.required ?? []));
    for (const key of ['type', 'items', 'oneOf', 'deprecated'] as const) if (r.schema[key] !== undefined && merged[key] === undefined) merged[key] = r.schema[key];
  }
  return { schema: merged, name: mergedName };
}

/** oneOf: the branch whose `type` enum names the answer's type (TrackObject or EpisodeObject), else the first. */
function branch(schema: Schema, value: unknown): { schema: Schema; name: string } {
  const options = (schema.oneOf as Schema[]).map((o) => resolve(o));
  const type = (value as { type?: unknown })?.type;
  return options.find((o) => (o.schema.properties?.type?.enum as unknown[] | undefined)?.includes(type)) ?? options[0];
}

const TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === 'object' && !Array.isArray(v),
};

/** The problems of `value` against `schema`, each naming where (`at`) and what. */
export function conformance(value: unknown, schema: Schema, options: CheckOptions, at = '$'): Problem[] {
  if (value === null || value === undefined) return [];
  let resolved = resolve(schema);
  if (resolved.schema.oneOf) resolved = branch(resolved.schema, value);
  const s = resolved.schema;
  const problems: Problem[] = [];
  if (s.type && TYPES[s.type] && !TYPES[s.type](value)) return [{ field: `${resolved.name || at} (${s.type})`, kind: 'type', at }];
  if (Array.isArray(value)) {
    value.forEach((item, i) => problems.push(...conformance(item, s.items ?? {}, options, `${at}[${i}]`)));
    return problems;
  }
  if (typeof value !== 'object' || !s.properties) return problems;
  const where = resolved.name || s['x-spotify-docs-type'] || at;
  const fields = value as Record<string, unknown>;
  for (const [key, field] of Object.entries(fields)) {
    const declared = s.properties[key] as Schema | undefined;
    if (!declared) {
      if (!s.additionalProperties) problems.push({ field: `${where}.${key}`, kind: 'undeclared', at: `${at}.${key}` });
      continue;
    }
    const deprecated = declared.deprecated === true || resolve(declared).schema.deprecated === true;
    if (deprecated && options.development) problems.push({ field: `${where}.${key}`, kind: 'deprecated', at: `${at}.${key}` });
    problems.push(...conformance(field, declared, options, `${at}.${key}`));
  }
  for (const key of (s.required ?? []) as string[]) {
    const deprecated = s.properties[key]?.deprecated === true;
    if (!(key in fields) && !(deprecated && options.development)) problems.push({ field: `${where}.${key}`, kind: 'missing', at: `${at}.${key}` });
  }
  return problems;
}

/** The properties a schema marks deprecated. */
export function deprecatedFields(schemaName: string): string[] {
  const { schema } = resolve({ $ref: `#/components/schemas/${schemaName}` });
  return Object.entries((schema.properties ?? {}) as Record<string, Schema>)
    .filter(([, p]) => p.deprecated === true)
    .map(([k]) => k)
    .sort();
}
