import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AppState, Store } from '../state/store';
import { applyFilter, pluralItems, summarize, viewsOf, type Filter } from '../state/todos';
import { TodoItem } from './todo-item';

/** Rows rendered per step, so hundreds of todos never block the first paint. */
const RENDER_STEP = 100;
let firstRenderMarked = false;

const FILTERS: Array<{ filter: Filter; href: string; label: string }> = [
  { filter: 'all', href: '#/', label: 'All' },
  { filter: 'active', href: '#/active', label: 'Active' },
  { filter: 'completed', href: '#/completed', label: 'Completed' },
];

export function TodoApp({ store, state, filter }: { store: Store; state: AppState; filter: Filter }) {
  const views = useMemo(() => viewsOf(state.entries), [state.entries]);
  const shown = useMemo(() => applyFilter(views, filter), [views, filter]);
  const { total, active, completed } = summarize(views);
  const [limit, setLimit] = useState(RENDER_STEP);
  const more = useRef<HTMLButtonElement>(null);
  const newTodo = useRef<HTMLInputElement>(null);
  const hasMore = shown.length > limit;
  // Deleted rows leave the view at once, so the row's own `.saving` cannot tell that a delete is in flight.
  const saving = state.entries.some((e) => e.pending.length > 0);

  // `autofocus` only works once per page load; this view also appears after signing in. Touch screens
  // are left alone: focusing would pop up the on-screen keyboard over the list.
  useEffect(() => {
    if (!matchMedia('(hover: none)').matches) newTodo.current?.focus();
  }, []);

  useEffect(() => {
    // The figure reported as "time to first render": the first page of todos is in the DOM.
    if (!firstRenderMarked && (state.list === 'more' || state.list === 'loaded')) {
      firstRenderMarked = true;
      performance.mark('todos-rendered');
    }
  }, [state.list]);

  useEffect(() => {
    // Render the next rows as the reader scrolls near the end; the button stays for keyboard users.
    const button = more.current;
    if (!button || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((s) => s.isIntersecting)) setLimit((l) => l + RENDER_STEP);
    }, { rootMargin: '400px' });
    observer.observe(button);
    return () => observer.disconnect();
  }, [hasMore, limit]);

  const onNewKey = (event: KeyboardEvent) => {
    if (event.key !== 'Enter' || event.isComposing) return;
    const input = event.currentTarget as HTMLInputElement;
    void store.add(input.value);
    input.value = '';
  };

  return (
    <section class="todoapp" aria-labelledby="todos-title" aria-busy={saving || undefined}>
      <header class="header">
        <h1 id="todos-title">todos</h1>
        <input
          class="new-todo"
          ref={newTodo}
          placeholder="What needs to be done?"
          aria-label="New todo: type a title and press Enter"
          maxLength={500}
          onKeyDown={onNewKey}
        />
      </header>
      <ListStatus store={store} state={state} count={total} />
      {total > 0 && (
        <section class="main">
          <input
            id="toggle-all"
            class="toggle-all"
            type="checkbox"
            checked={active === 0}
            onChange={() => void store.toggleAll(active !== 0)}
          />
          <label for="toggle-all">Mark all as complete</label>
          <ul class="todo-list" aria-label={`${filter === 'all' ? 'All' : filter === 'active' ? 'Active' : 'Completed'} todos`}>
            {shown.slice(0, limit).map((todo) => (
              <TodoItem key={todo.key} todo={todo} store={store} />
            ))}
          </ul>
          {hasMore && (
            <button type="button" class="show-more" ref={more} onClick={() => setLimit((l) => l + RENDER_STEP)}>
              Show more ({shown.length - limit} not shown yet)
            </button>
          )}
        </section>
      )}
      {total > 0 && (
        <footer class="footer">
          <span class="todo-count" aria-live="polite">
            <strong>{active}</strong> {pluralItems(active)} left
          </span>
          <ul class="filters" aria-label="Show">
            {FILTERS.map((f) => (
              <li key={f.filter}>
                <a href={f.href} class={f.filter === filter ? 'selected' : undefined} aria-current={f.filter === filter ? 'page' : undefined}>
                  {f.label}
                </a>
              </li>
            ))}
          </ul>
          {completed > 0 && (
            <button type="button" class="clear-completed" onClick={() => void store.clearCompleted()}>
              Clear completed
            </button>
          )}
        </footer>
      )}
    </section>
  );
}

function ListStatus({ store, state, count }: { store: Store; state: AppState; count: number }) {
  let text = '';
  if (state.list === 'first') text = 'Loading your todos…';
  else if (state.list === 'more') text = `${count} todos loaded, loading more…`;
  return (
    <div class="list-status" role="status">
      {text}
      {state.list === 'error' && (
        <button type="button" class="retry" onClick={() => void store.reload()}>
          Try loading again
        </button>
      )}
    </div>
  );
}
