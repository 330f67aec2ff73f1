import { z } from 'zod';
import { SORT_FIELDS, type RuleQuery, type SortField } from './views';
import type { Status } from './domain';

// JSON.parse accepts lone surrogates ("\ud800"), which are not valid UTF-8 and would fail in DynamoDB.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function text(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode');
}

const title = text(500).trim().min(1, 'must not be empty');
const description = text(5000);

/** The seed UI sends status as a string ("2"). */
export const status = z
  .union([z.number(), z.string().regex(/^[0-3]$/, 'must be 0, 1, 2 or 3').transform(Number)])
  .pipe(z.number().int().min(0).max(3))
  .transform((n) => n as Status);

const order = z.number().min(-1e15).max(1e15);
const progress = z.number().int().min(0).max(100);

export const version = z
  .union([z.number(), z.string().regex(/^\d{1,10}$/, 'must be a positive integer').transform(Number)])
  .pipe(z.number().int().min(1).max(2 ** 31));

// Keys are plain strings here: anything that is not a todo id is simply not found.
const key = z.string().min(1).max(200);

export const ruleCreate = z.object({ name: title, desc: description.optional(), status: status.optional(), progress: progress.optional(), order: order.optional() });

export const ruleUpdate = z.object({
  key,
  name: title.optional(),
  desc: description.optional(),
  status: status.optional(),
  progress: progress.optional(),
  order: order.optional(),
  version: version.optional(),
});

export const ruleDelete = z.object({ key: z.union([key.transform((k) => [k]), z.array(key).max(1000)]) });

export const todoCreate = z.object({
  title,
  completed: z.boolean().optional(),
  order: order.optional(),
  description: description.optional(),
  status: status.optional(),
});

export const todoPatch = todoCreate.partial().extend({ version: version.optional() });

const queryInt = (max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, 'must be a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

const positiveInt = (max: number, fallback: number) =>
  queryInt(max)
    .optional()
    .transform((n) => n ?? fallback);

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

export const ruleQuery = z
  .object({
    current: positiveInt(1_000_000, 1),
    pageSize: positiveInt(1000, 20),
    status: z
      .string()
      .regex(/^([0-3](,[0-3])*)?$/, 'must be a comma-separated list of 0, 1, 2, 3')
      .optional(),
    name: text(500).optional(),
    sorter: z
      .string()
      .max(200)
      .optional()
      .refine((s) => s === undefined || s === '' || parseSorter(s) !== undefined, `must be <field>_ascend or <field>_descend with field one of ${SORT_FIELDS.join(', ')}`),
  })
  .transform(
    (q): RuleQuery => ({
      current: q.current,
      pageSize: q.pageSize,
      status: q.status ? [...new Set(q.status.split(',').map((s) => Number(s) as Status))] : [],
      name: q.name?.trim() || undefined,
      sorter: q.sorter ? parseSorter(q.sorter) : undefined,
    }),
  );

export const todoListQuery = z.object({
  completed: z.enum(['true', 'false']).optional().transform((v) => (v === undefined ? undefined : v === 'true')),
  limit: queryInt(1000).optional(),
  cursor: z.string().max(2048).optional(),
});
