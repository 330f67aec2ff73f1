import { describe, expect, it } from 'vitest';
import type { Todo } from '../../../../../web/src/api';
import {
  addPending,
  applyFilter,
  cleanTitle,
  confirm,
  entryFromServer,
  mergePage,
  pluralItems,
  rebase,
  rollback,
  summarize,
  viewOf,
  viewsOf,
  type Entry,
} from '../../../../../web/src/state/todos';

function todo(id: string, patch: Partial<Todo> = {}): Todo {
  return {
    id,
    url: `http://127.0.0.1/api/todos/${id}`,
    title: `title ${id}`,
    completed: false,
    order: 0,
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...patch,
  };
}

describe('todo views', () => {
  it('shows an optimistic create before the server answers', () => {
    // Act
    const entries = addPending([], 'new-1', { op: 1, kind: 'create', draft: { title: 'milk' } });

    // Assess
    expect(viewsOf(entries)).toEqual([{ key: 'new-1', id: null, title: 'milk', completed: false, description: '', saving: true }]);
  });

  it('applies pending patches in order on top of the confirmed todo', () => {
    // Prepare
    let entries: Entry[] = [entryFromServer(todo('a'))];

    // Act
    entries = addPending(entries, 'a', { op: 1, kind: 'patch', patch: { title: 'first' } });
    entries = addPending(entries, 'a', { op: 2, kind: 'patch', patch: { title: 'second', completed: true } });

    // Assess
    expect(viewOf(entries[0]!)).toMatchObject({ title: 'second', completed: true, saving: true });
  });

  it('hides a todo while its delete is in flight and drops it once confirmed', () => {
    let entries: Entry[] = [entryFromServer(todo('a')), entryFromServer(todo('b'))];
    entries = addPending(entries, 'a', { op: 1, kind: 'delete' });
    expect(viewsOf(entries).map((v) => v.key)).toEqual(['b']);
    entries = confirm(entries, 'a', 1, 'deleted');
    expect(entries.map((e) => e.key)).toEqual(['b']);
  });

  it('rolls back a refused patch and keeps a later one still queued', () => {
    // Prepare
    let entries: Entry[] = [entryFromServer(todo('a', { title: 'old' }))];
    entries = addPending(entries, 'a', { op: 1, kind: 'patch', patch: { title: 'refused' } });
    entries = addPending(entries, 'a', { op: 2, kind: 'patch', patch: { completed: true } });

    // Act
    entries = rollback(entries, 'a', 1);

    // Assess
    expect(viewOf(entries[0]!)).toMatchObject({ title: 'old', completed: true, saving: true });
  });

  it('removes an entry whose create was refused', () => {
    let entries = addPending([], 'new-1', { op: 1, kind: 'create', draft: { title: 'x' } });
    entries = addPending(entries, 'new-1', { op: 2, kind: 'patch', patch: { completed: true } });
    entries = rollback(entries, 'new-1', 1);
    expect(entries).toEqual([]);
  });

  it('uses the server answer as the new base once a write is confirmed', () => {
    let entries: Entry[] = addPending([], 'new-1', { op: 1, kind: 'create', draft: { title: 'x' } });
    entries = confirm(entries, 'new-1', 1, todo('srv', { title: 'x' }));
    expect(viewOf(entries[0]!)).toEqual({ key: 'new-1', id: 'srv', title: 'x', completed: false, description: '', saving: false });
  });

  it('never replaces a newer confirmed version with an older one', () => {
    let entries: Entry[] = [entryFromServer(todo('a', { version: 5, title: 'five' }))];
    entries = rebase(entries, 'a', todo('a', { version: 4, title: 'four' }));
    expect(entries[0]!.server!.title).toBe('five');
    entries = rebase(entries, 'a', todo('a', { version: 6, title: 'six' }));
    expect(entries[0]!.server!.title).toBe('six');
  });
});

describe('mergePage', () => {
  it('appends new todos and does not duplicate ones created while pages were loading', () => {
    // Prepare: "b" was created here and confirmed before the page containing it arrived.
    let entries: Entry[] = addPending([entryFromServer(todo('a'))], 'new-1', { op: 1, kind: 'create', draft: { title: 'b' } });
    entries = confirm(entries, 'new-1', 1, todo('b', { title: 'b' }));

    // Act
    const merged = mergePage(entries, [todo('b', { title: 'b' }), todo('c')]);

    // Assess
    expect(merged.map((e) => e.key)).toEqual(['a', 'new-1', 'c']);
  });

  it('takes a newer version from the page', () => {
    const merged = mergePage([entryFromServer(todo('a'))], [todo('a', { version: 2, completed: true })]);
    expect(merged[0]!.server!.completed).toBe(true);
  });
});

describe('filters and counts', () => {
  const entries = [entryFromServer(todo('a')), entryFromServer(todo('b', { completed: true })), entryFromServer(todo('c'))];
  const views = viewsOf(entries);

  it('filters by the hash route', () => {
    expect(applyFilter(views, 'all').map((v) => v.key)).toEqual(['a', 'b', 'c']);
    expect(applyFilter(views, 'active').map((v) => v.key)).toEqual(['a', 'c']);
    expect(applyFilter(views, 'completed').map((v) => v.key)).toEqual(['b']);
  });

  it('counts active and completed todos', () => {
    expect(summarize(views)).toEqual({ total: 3, active: 2, completed: 1 });
  });

  it('pluralizes "item" like TodoMVC', () => {
    expect(pluralItems(0)).toBe('items');
    expect(pluralItems(1)).toBe('item');
    expect(pluralItems(2)).toBe('items');
  });

  it('trims titles', () => {
    expect(cleanTitle('  buy milk \n')).toBe('buy milk');
    expect(cleanTitle('   ')).toBe('');
  });
});
