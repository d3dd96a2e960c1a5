/**
 * The shape of crew.yaml is schema/crew.schema.json, the file the package ships so that editors
 * complete and check crew.yaml (yaml-language-server): the parser validates with that very file, so
 * the editor and `plan check` can never disagree. Ajv's errors become the plan's own messages, a
 * field path and what was expected.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export const PLAN_SCHEMA_FILE = new URL('../../../schema/crew.schema.json', import.meta.url);

export type Key = string | number;

export interface ShapeIssue {
  path: Key[];
  message: string;
}

let validator: ValidateFunction | null = null;

function compiled(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(PLAN_SCHEMA_FILE, 'utf8')) as object;
    validator = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }).compile(
      schema,
    );
  }
  return validator;
}

/** What is wrong with the plan's shape (types, required and unknown fields, patterns), in schema order. */
export function shapeIssues(value: unknown): ShapeIssue[] {
  const validate = compiled();
  if (validate(value)) return [];
  return (validate.errors ?? []).map(toIssue);
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'number',
  integer: 'a whole number',
  array: 'a list',
  object: 'a mapping',
  boolean: 'true or false',
};

function toIssue(e: ErrorObject): ShapeIssue {
  // JSON Pointer to keys: "/agents/0/command" -> ['agents', 0, 'command'].
  const path: Key[] = e.instancePath
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  const params = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as { title?: string; properties?: Record<string, unknown> };
  switch (e.keyword) {
    case 'required':
      return { path: [...path, params.missingProperty as string], message: 'missing (required)' };
    case 'additionalProperties':
      return {
        path: [...path, params.additionalProperty as string],
        message: `unknown field (expected one of: ${Object.keys(parent.properties ?? {}).join(', ')})`,
      };
    case 'type': {
      const types = ([] as string[]).concat(params.type as string | string[]).filter((t) => t !== 'null');
      const names = types.map((t) => TYPE_NAMES[t] ?? t).join(' or ');
      return { path, message: `expected ${names}, got ${describe(e.data)}` };
    }
    case 'pattern':
      if (typeof e.data === 'string' && e.data.trim() === '') return { path, message: 'must not be empty' };
      return { path, message: `expected ${parent.title ?? `a match of ${params.pattern}`}, got '${e.data}'` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).filter((v) => v !== null).join(' or ');
      return { path, message: `expected ${allowed}, got '${String(e.data)}'` };
    }
    case 'minimum':
      return { path, message: `expected a whole number >= ${params.limit}, got ${describe(e.data)}` };
    case 'minItems':
      return { path, message: `needs at least ${params.limit} ${params.limit === 1 ? 'entry' : 'entries'}` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}
