/**
 * A TypeBox shape compiled once, whose `parse` returns the value typed or fails with one clear
 * message naming the path of the bad value. Used for the schema files of both encoders.
 *
 * Messages are made from the failing node: its limits ("must be from 1 to 4 (is 9)"), its allowed
 * properties or values, or `hint`, a keyword of ours that completes "must be …" for the node (a
 * union's hint covers its branches). `whenEmpty` is the message for an array below its minItems.
 */
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** Throws the caller's error for `path` (".a[0].b" from the prefix given to parse; '' is the whole). */
export type Fail = (path: string, msg: string) => never;

/** A compiled shape whose `parse` returns the value typed, or fails naming the first bad value's path. */
export class Shape<T extends TSchema> {
  private readonly validator;
  constructor(readonly schema: T) {
    this.validator = Compile(schema);
  }

  /** `prefix`: where `v` sits in the whole schema ('' for the whole). */
  parse(v: unknown, prefix: string, fail: Fail): Static<T> {
    if (this.validator.Check(v)) return v;
    const [path, msg] = explain(this.schema, [...this.validator.Errors(v)], v);
    return fail(prefix + path, msg);
  }
}

interface ShapeError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: object;
}

/** JSON pointer "/fields/0/filter" → ".fields[0].filter". */
const dotted = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
    .join('');

const at = (v: unknown, pointer: string): unknown =>
  pointer
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (o, s) => (o as Record<string, unknown> | undefined)?.[s.replace(/~1/g, '/').replace(/~0/g, '~')],
      v,
    );

/** "must be from 1 to 4", or one bound alone (a safe-integer limit is no bound worth naming). */
function bounds(node: Record<string, unknown>): string {
  const min = node.minimum as number | undefined;
  const max = node.maximum as number | undefined;
  const hasMin = min !== undefined && min > Number.MIN_SAFE_INTEGER;
  const hasMax = max !== undefined && max < Number.MAX_SAFE_INTEGER;
  if (hasMin && hasMax) return `must be from ${min} to ${max}`;
  if (hasMin) return `must be at least ${min}`;
  return hasMax ? `must be at most ${max}` : 'must be a safe integer';
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/**
 * The most telling of TypeBox's errors (the deepest; "schema is false" and "anyOf" only repeat
 * another) as [path, message], with the message made from the failing node's limits or hint.
 */
function explain(schema: TSchema, errors: ShapeError[], value: unknown): [string, string] {
  const useful = errors.filter((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf');
  // Deepest first; at equal depth a type mismatch (often a union's other branch) comes last.
  const rank = (x: ShapeError): number => 2 * x.instancePath.split('/').length + (x.keyword === 'type' ? 0 : 1);
  const e = useful.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  // The node the error is about, and the hint of the nearest node for the same value (a union's).
  let node = schema as Record<string, unknown>;
  let hint = node.hint as string | undefined;
  for (const seg of e.schemaPath.split('/').slice(1)) {
    if (seg === 'properties' || seg === 'items') hint = undefined;
    node = (node as Record<string, Record<string, unknown>>)[seg] ?? {};
    if (typeof node.hint === 'string') hint = node.hint;
  }
  const v = at(value, e.instancePath);
  const path = dotted(e.instancePath);
  switch (e.keyword) {
    case 'required': {
      const missing = (e.params as { requiredProperties: string[] }).requiredProperties;
      return [`${path}.${missing[0]}`, 'is required'];
    }
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperties: string[] }).additionalProperties;
      const allowed = Object.keys((node.properties as object | undefined) ?? {});
      const names = extra.map((k) => JSON.stringify(k)).join(', ');
      return [path, `unknown propert${extra.length > 1 ? 'ies' : 'y'} ${names} (allowed: ${allowed.join(', ')})`];
    }
    case 'enum':
      return [path, `must be one of ${(node.enum as string[]).join(', ')}`];
    case 'multipleOf':
      return [path, `must be a multiple of ${node.multipleOf} (is ${v})`];
    case 'maxItems':
      return [path, `must have at most ${node.maxItems} entries`];
    case 'minItems':
      return [path, (node.whenEmpty as string | undefined) ?? `must have at least ${node.minItems} entries`];
    case 'minimum':
    case 'maximum':
      if (hint === undefined) return [path, `${bounds(node)} (is ${v})`];
  }
  return [path, `must be ${hint ?? TYPE_WORDS[String(node.type)] ?? 'valid'}`];
}
