import { useEffect, useRef, useState } from 'preact/hooks';
import type { TodoPatch } from '../api';
import type { Store } from '../state/store';
import type { TodoView } from '../state/todos';

/** The description and the seed's status (open/done) of one todo; status maps to `completed`. */
export function TodoDetails({ id, todo, store, onClose }: { id: string; todo: TodoView; store: Store; onClose: () => void }) {
  const [description, setDescription] = useState(todo.description);
  const [status, setStatus] = useState(todo.completed ? 'done' : 'open');
  const first = useRef<HTMLTextAreaElement>(null);

  useEffect(() => first.current?.focus(), []);

  const save = (event: Event) => {
    event.preventDefault();
    const patch: TodoPatch = {};
    if (description !== todo.description) patch.description = description;
    if ((status === 'done') !== todo.completed) patch.completed = status === 'done';
    if (Object.keys(patch).length > 0) void store.update(todo.key, patch);
    onClose();
  };

  return (
    <form class="details" id={id} onSubmit={save} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <label for={`${id}-description`}>Description</label>
      <textarea
        id={`${id}-description`}
        class="description"
        ref={first}
        rows={3}
        maxLength={5000}
        value={description}
        onInput={(e) => setDescription(e.currentTarget.value)}
      />
      <label for={`${id}-status`}>Status</label>
      <select id={`${id}-status`} class="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
        <option value="open">Open</option>
        <option value="done">Done</option>
      </select>
      <div class="details-actions">
        <button type="submit" class="primary">
          Save
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
