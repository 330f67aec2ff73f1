import * as z from '../shared/zod';
import { SORT_FIELDS, type RuleQuery, type SortField } from './views';
import type { Status } from '../shared/domain-rules';

// JSON.parse accepts lone surrogates ("\ud800"), which are not valid UTF-8 and would fail in DynamoDB.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const validUnicode = z.refine<string>((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode');

function text(max: number) {
  return z.string().check(z.maxLength(max), validUnicode);
}

const title = text(500).check(z.trim(), z.minLength(1, 'must not be empty'));
const description = text(5000);

/** The seed UI sends status as a string ("2"). */
export const status = z.pipe(
  z.pipe(
    z.union([z.number(), z.pipe(z.string().check(z.regex(/^[0-3]$/, 'must be 0, 1, 2 or 3')), z.transform(Number))]),
    z.int().check(z.gte(0), z.lte(3)),
  ),
  z.transform((n) => n as Status),
);

const order = z.number().check(z.gte(-1e15), z.lte(1e15));
const progress = z.int().check(z.gte(0), z.lte(100));

export const version = z.pipe(
  z.union([z.number(), z.pipe(z.string().check(z.regex(/^\d{1,10}$/, 'must be a positive integer')), z.transform(Number))]),
  z.int().check(z.gte(1), z.lte(2 ** 31)),
);

// Keys are plain strings here: anything that is not a todo id is simply not found.
const key = z.string().check(z.minLength(1), z.maxLength(200));

export const ruleCreate = z.object({
  name: title,
  desc: z.optional(description),
  status: z.optional(status),
  progress: z.optional(progress),
  order: z.optional(order),
});

export const ruleUpdate = z.object({
  key,
  name: z.optional(title),
  desc: z.optional(description),
  status: z.optional(status),
  progress: z.optional(progress),
  order: z.optional(order),
  version: z.optional(version),
});

export const ruleDelete = z.object({
  key: z.union([z.pipe(key, z.transform((k) => [k])), z.array(key).check(z.maxLength(1000))]),
});

export const todoCreate = z.object({
  title,
  completed: z.optional(z.boolean()),
  order: z.optional(order),
  description: z.optional(description),
  status: z.optional(status),
});

export const todoPatch = z.extend(z.partial(todoCreate), { version: z.optional(version) });

const queryInt = (max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d{1,7}$/, 'must be a positive integer')), z.transform(Number)),
    z.int().check(z.gte(1), z.lte(max)),
  );

const positiveInt = (max: number, fallback: number) =>
  z.pipe(
    z.optional(queryInt(max)),
    z.transform((n) => n ?? fallback),
  );

function parseSorter(raw: string): { field: SortField; descending: boolean } | undefined {
  // Ant Design Pro v4 sends `updatedAt_descend`; v5 ProTable sends `{"updatedAt":"descend"}`.
  let field: string | undefined;
  let direction: string | undefined;
  if (raw.startsWith('{')) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object') [field, direction] = Object.entries(parsed)[0] ?? [];
    } catch {
      return undefined;
    }
  } else {
    const match = /^(\w+)_(ascend|descend)$/.exec(raw);
    [field, direction] = [match?.[1], match?.[2]];
  }
  if (!SORT_FIELDS.includes(field as SortField) || (direction !== 'ascend' && direction !== 'descend')) return undefined;
  return { field: field as SortField, descending: direction === 'descend' };
}

const ruleQueryFields = z.object({
  current: positiveInt(1_000_000, 1),
  pageSize: positiveInt(1000, 20),
  status: z.optional(z.string().check(z.regex(/^([0-3](,[0-3])*)?$/, 'must be a comma-separated list of 0, 1, 2, 3'))),
  name: z.optional(text(500)),
  sorter: z.optional(z.string().check(z.maxLength(200))).check(
    z.refine(
      (s) => s === undefined || s === '' || parseSorter(s) !== undefined,
      `must be <field>_ascend or <field>_descend with field one of ${SORT_FIELDS.join(', ')}`,
    ),
  ),
});

export const ruleQuery = z.pipe(
  ruleQueryFields,
  z.transform(
    (q: z.output<typeof ruleQueryFields>): RuleQuery => ({
      current: q.current,
      pageSize: q.pageSize,
      status: q.status ? [...new Set(q.status.split(',').map((s) => Number(s) as Status))] : [],
      name: q.name?.trim() || undefined,
      sorter: q.sorter ? parseSorter(q.sorter) : undefined,
    }),
  ),
);

export const todoListQuery = z.object({
  completed: z.pipe(
    z.optional(z.enum(['true', 'false'])),
    z.transform((v) => (v === undefined ? undefined : v === 'true')),
  ),
  limit: z.optional(queryInt(1000)),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
});
