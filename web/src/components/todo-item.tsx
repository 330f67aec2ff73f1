import { useEffect, useRef, useState } from 'preact/hooks';
import type { Store } from '../state/store';
import type { TodoView } from '../state/todos';
import { TodoDetails } from './todo-details';

export function TodoItem({ todo, store }: { todo: TodoView; store: Store }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(todo.title);
  const [detailsOpen, setDetailsOpen] = useState(false);
  const editRef = useRef<HTMLInputElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const detailsButton = useRef<HTMLButtonElement>(null);
  // Escape and Enter end editing before the field's blur fires; the ref keeps blur from saving again.
  const active = useRef(false);
  const detailsId = `details-${todo.key}`;

  // Focus moves only after the render that shows the target: a display:none element cannot take focus.
  const refocus = useRef(false);
  useEffect(() => {
    if (editing) editRef.current?.focus();
    else if (refocus.current) editButton.current?.focus();
    refocus.current = false;
  }, [editing]);

  const startEdit = () => {
    setText(todo.title);
    active.current = true;
    setEditing(true);
  };

  const stopEdit = (save: boolean, returnFocus: boolean) => {
    if (!active.current) return;
    active.current = false;
    setEditing(false);
    refocus.current = returnFocus;
    if (save) void store.editTitle(todo.key, editRef.current?.value ?? text);
  };

  const onEditKey = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.isComposing) stopEdit(true, true);
    else if (event.key === 'Escape') stopEdit(false, true);
  };

  const closeDetails = () => {
    setDetailsOpen(false);
    detailsButton.current?.focus();
  };

  const classes = [todo.completed && 'completed', editing && 'editing', todo.saving && 'saving'].filter(Boolean).join(' ');

  return (
    <li class={classes || undefined} data-id={todo.id ?? undefined} aria-busy={todo.saving || undefined}>
      <div class="view">
        <input
          class="toggle"
          type="checkbox"
          checked={todo.completed}
          aria-label={`Done: ${todo.title}`}
          onChange={() => void store.toggle(todo.key)}
        />
        <label onDblClick={startEdit}>{todo.title}</label>
        {todo.description && <p class="description-preview">{todo.description}</p>}
        <button type="button" class="edit-button" ref={editButton} aria-label={`Edit title: ${todo.title}`} onClick={startEdit}>
          <PencilIcon />
        </button>
        <button
          type="button"
          class="details-button"
          ref={detailsButton}
          aria-expanded={detailsOpen}
          aria-controls={detailsId}
          aria-label={`Details: ${todo.title}`}
          onClick={() => setDetailsOpen((open) => !open)}
        >
          <DotsIcon />
        </button>
        <button type="button" class="destroy" aria-label={`Delete: ${todo.title}`} onClick={() => void store.remove(todo.key)} />
      </div>
      {editing && (
        <input
          class="edit"
          ref={editRef}
          value={text}
          aria-label={`Edit title of ${todo.title}`}
          maxLength={500}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={onEditKey}
          onBlur={() => stopEdit(true, false)}
        />
      )}
      {detailsOpen && <TodoDetails id={detailsId} todo={todo} store={store} onClose={closeDetails} />}
    </li>
  );
}

/*
 * The row's icons are drawn, not written: TodoMVC expects an item's text to be exactly its title, and
 * each button is named by its aria-label.
 */
function PencilIcon() {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
      <path d="M4 20h4L19 9a2.8 2.8 0 0 0-4-4L4 16z" />
      <path d="m13.5 6.5 4 4" />
    </svg>
  );
}

function DotsIcon() {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="currentColor">
      <circle cx="5" cy="12" r="2" />
      <circle cx="12" cy="12" r="2" />
      <circle cx="19" cy="12" r="2" />
    </svg>
  );
}
