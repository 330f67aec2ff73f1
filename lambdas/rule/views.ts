import { DONE, type Status } from '../shared/domain-rules';
import type { Todo } from './domain';

/** A todo as the seed's rule table shows it. */
export interface RuleView {
  key: string;
  name: string;
  desc: string;
  owner: string;
  status: Status;
  progress: number;
  order: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A todo in the Todo-Backend representation (todobackend.com), plus this API's extras. */
export interface TodoView {
  id: string;
  url: string;
  title: string;
  completed: boolean;
  order: number;
  description?: string;
  status: Status;
  owner: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function toRule(todo: Todo, owner: string): RuleView {
  return {
    key: todo.key,
    name: todo.name,
    desc: todo.desc ?? '',
    owner,
    status: todo.status,
    progress: todo.progress,
    order: todo.order,
    version: todo.version,
    createdAt: todo.createdAt,
    updatedAt: todo.updatedAt,
  };
}

export function todoUrl(base: string, key: string): string {
  return `${base}/api/todos/${key}`;
}

export function toTodo(todo: Todo, owner: string, base: string): TodoView {
  return {
    id: todo.key,
    url: todoUrl(base, todo.key),
    title: todo.name,
    completed: todo.status === DONE,
    order: todo.order,
    ...(todo.desc === undefined ? {} : { description: todo.desc }),
    status: todo.status,
    owner,
    version: todo.version,
    createdAt: todo.createdAt,
    updatedAt: todo.updatedAt,
  };
}

export interface RuleQuery {
  current: number;
  pageSize: number;
  /** Statuses to keep; empty keeps all. */
  status: Status[];
  name?: string;
  sorter?: { field: SortField; descending: boolean };
}

export const SORT_FIELDS = ['name', 'desc', 'status', 'progress', 'order', 'createdAt', 'updatedAt', 'key'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface RulePage {
  data: RuleView[];
  total: number;
  success: true;
  pageSize: number;
  current: number;
}

/** The seed's GET /api/rule: filter, sort and paginate one user's todos (a user's list fits in memory). */
export function queryRules(todos: readonly Todo[], query: RuleQuery, owner: string): RulePage {
  const needle = query.name?.toLowerCase();
  let rows = todos.filter(
    (t) => (query.status.length === 0 || query.status.includes(t.status)) && (!needle || t.name.toLowerCase().includes(needle)),
  );
  const sorter = query.sorter;
  if (sorter) {
    const sign = sorter.descending ? -1 : 1;
    rows = [...rows].sort((a, b) => sign * compare(a[sorter.field], b[sorter.field]) || compare(a.key, b.key));
  }
  const start = (query.current - 1) * query.pageSize;
  return {
    data: rows.slice(start, start + query.pageSize).map((t) => toRule(t, owner)),
    total: rows.length,
    success: true,
    pageSize: query.pageSize,
    current: query.current,
  };
}

function compare(a: string | number | undefined, b: string | number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}
