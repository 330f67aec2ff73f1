import type { Todo, TodoPatch } from '../api';

/**
 * The todo list as pure data. Each entry keeps the server's last confirmed todo and the writes still in
 * flight; what the user sees is the confirmed todo with those writes applied on top. Confirming a write
 * replaces the base, refusing it just drops the write, so a rollback never needs a stored "before" copy
 * and later edits queued on the same todo survive an earlier one being refused.
 */

export type Filter = 'all' | 'active' | 'completed';

export interface Draft {
  title: string;
  description?: string;
}

export type PendingOp =
  | { op: number; kind: 'create'; draft: Draft }
  | { op: number; kind: 'patch'; patch: TodoPatch }
  | { op: number; kind: 'delete' };

export interface Entry {
  /** Client-side key: stable from the optimistic insert through the server's answer (a Preact key). */
  key: string;
  server: Todo | null;
  pending: PendingOp[];
}

export interface TodoView {
  key: string;
  id: string | null;
  title: string;
  completed: boolean;
  description: string;
  /** A write for this todo has not been confirmed yet. */
  saving: boolean;
}

export function entryFromServer(todo: Todo): Entry {
  return { key: todo.id, server: todo, pending: [] };
}

/** What the user sees for one entry, or null once a delete is under way (or a create was never made). */
export function viewOf(entry: Entry): TodoView | null {
  if (entry.pending.some((p) => p.kind === 'delete')) return null;
  const create = entry.pending.find((p) => p.kind === 'create');
  const base = entry.server ?? (create?.kind === 'create' ? { ...create.draft, completed: false } : null);
  if (!base) return null;
  let view: TodoView = {
    key: entry.key,
    id: entry.server?.id ?? null,
    title: base.title,
    completed: base.completed,
    description: base.description ?? '',
    saving: entry.pending.length > 0,
  };
  for (const p of entry.pending) {
    if (p.kind === 'patch') {
      const { title, completed, description } = p.patch;
      view = {
        ...view,
        ...(title === undefined ? {} : { title }),
        ...(completed === undefined ? {} : { completed }),
        ...(description === undefined ? {} : { description }),
      };
    }
  }
  return view;
}

export function viewsOf(entries: readonly Entry[]): TodoView[] {
  const views: TodoView[] = [];
  for (const entry of entries) {
    const view = viewOf(entry);
    if (view) views.push(view);
  }
  return views;
}

export function applyFilter(views: readonly TodoView[], filter: Filter): TodoView[] {
  if (filter === 'all') return [...views];
  return views.filter((v) => v.completed === (filter === 'completed'));
}

export function summarize(views: readonly TodoView[]): { total: number; active: number; completed: number } {
  const completed = views.filter((v) => v.completed).length;
  return { total: views.length, active: views.length - completed, completed };
}

/**
 * Appends a page from the cursor. A todo already on the list (created here while pages were still
 * loading) keeps its entry; its base is refreshed only when the page holds a newer version.
 */
export function mergePage(entries: readonly Entry[], page: readonly Todo[]): Entry[] {
  const byId = new Map(page.map((t) => [t.id, t]));
  const merged = entries.map((e) => {
    const fresh = e.server ? byId.get(e.server.id) : undefined;
    if (!fresh || !e.server) return e;
    byId.delete(fresh.id);
    return fresh.version > e.server.version ? { ...e, server: fresh } : e;
  });
  for (const todo of byId.values()) merged.push(entryFromServer(todo));
  return merged;
}

export function addPending(entries: readonly Entry[], key: string, op: PendingOp): Entry[] {
  if (op.kind === 'create') return [...entries, { key, server: null, pending: [op] }];
  return entries.map((e) => (e.key === key ? { ...e, pending: [...e.pending, op] } : e));
}

/** The server accepted write `op`: its answer becomes the base (a confirmed delete drops the entry). */
export function confirm(entries: readonly Entry[], key: string, op: number, result: Todo | 'deleted'): Entry[] {
  if (result === 'deleted') return entries.filter((e) => e.key !== key);
  return entries.map((e) =>
    e.key === key ? { ...e, server: newer(e.server, result), pending: e.pending.filter((p) => p.op !== op) } : e,
  );
}

/** The server refused write `op`: forget it, and forget an entry whose create was refused. */
export function rollback(entries: readonly Entry[], key: string, op: number): Entry[] {
  const out: Entry[] = [];
  for (const e of entries) {
    if (e.key !== key) {
      out.push(e);
      continue;
    }
    const pending = e.pending.filter((p) => p.op !== op);
    if (e.server || pending.some((p) => p.kind === 'create')) out.push({ ...e, pending });
  }
  return out;
}

/** Replaces the base with what the server holds now (after a 409), keeping writes still queued. */
export function rebase(entries: readonly Entry[], key: string, todo: Todo): Entry[] {
  return entries.map((e) => (e.key === key ? { ...e, server: newer(e.server, todo) } : e));
}

export function removeEntry(entries: readonly Entry[], key: string): Entry[] {
  return entries.filter((e) => e.key !== key);
}

function newer(current: Todo | null, candidate: Todo): Todo {
  return current && current.id === candidate.id && current.version > candidate.version ? current : candidate;
}

/** TodoMVC: titles are trimmed, and a blank one means "delete". */
export function cleanTitle(title: string): string {
  return title.trim();
}

export function pluralItems(count: number): string {
  return count === 1 ? 'item' : 'items';
}
