import { DONE, IN_PROGRESS, type Status } from '../shared/domain-rules';
import { Conflict, NotFound } from '../shared/errors';

export interface Todo {
  userId: string;
  key: string;
  name: string;
  desc?: string;
  status: Status;
  progress: number;
  order: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface TodoPage {
  items: Todo[];
  /** Key of the last returned item when more items follow. */
  nextKey?: string;
}

/** Storage of one user's todos; every write is conditional, a failed condition throws `StaleVersion`. */
export interface TodoRepository {
  get(userId: string, key: string): Promise<Todo | undefined>;
  /** All of a user's todos, oldest first. */
  list(userId: string): Promise<Todo[]>;
  page(userId: string, options: { limit: number; afterKey?: string; completed?: boolean }): Promise<TodoPage>;
  /** Writes a new item; the key must not exist yet. */
  create(todo: Todo): Promise<void>;
  /** Replaces the item if its stored version is still `expectedVersion`. */
  replace(todo: Todo, expectedVersion: number): Promise<void>;
  /** Deletes the item if its stored version is still `expectedVersion`. */
  remove(userId: string, key: string, expectedVersion: number): Promise<void>;
  /** Deletes every todo of the user; answers how many. */
  removeAll(userId: string): Promise<number>;
}

export class StaleVersion extends Error {
  constructor() {
    super('The stored version changed');
    this.name = 'StaleVersion';
  }
}

/** Who is asking: the session's user id is the partition key, so other users' todos are unreachable. */
export interface Caller {
  userId: string;
  /** Display name shown as each todo's `owner`. */
  owner: string;
}

export interface NewTodo {
  name: string;
  desc?: string;
  status?: Status;
  progress?: number;
  order?: number;
}

export interface TodoPatch {
  name?: string;
  desc?: string;
  status?: Status;
  /** Todo-Backend flag; an explicit `status` wins over it. */
  completed?: boolean;
  progress?: number;
  order?: number;
}

export interface TodoServiceDeps {
  repository: TodoRepository;
  now?: () => Date;
  newId: () => string;
}

const TODO_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Retries of a read-modify-write when the client did not pin a version and a concurrent write won. */
const MAX_ATTEMPTS = 4;

export function isTodoId(value: string): boolean {
  return TODO_ID.test(value);
}

export function applyPatch(todo: Todo, patch: TodoPatch): Todo {
  const next: Todo = { ...todo };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.desc !== undefined) next.desc = patch.desc === '' ? undefined : patch.desc;
  if (patch.progress !== undefined) next.progress = patch.progress;
  if (patch.order !== undefined) next.order = patch.order;
  if (patch.status !== undefined) next.status = patch.status;
  else if (patch.completed === true) next.status = DONE;
  else if (patch.completed === false && todo.status === DONE) next.status = IN_PROGRESS;
  return next;
}

function changed(before: Todo, after: Todo): boolean {
  return (['name', 'desc', 'status', 'progress', 'order'] as const).some((field) => before[field] !== after[field]);
}

export function createTodoService({ repository, now = () => new Date(), newId }: TodoServiceDeps) {
  async function get(caller: Caller, key: string): Promise<Todo> {
    const todo = isTodoId(key) ? await repository.get(caller.userId, key) : undefined;
    if (!todo) throw new NotFound(`No todo ${key}`, 'TodoNotFound');
    return todo;
  }

  function stale(expected: number, actual: number): Conflict {
    return new Conflict(`Todo is at version ${actual}, not ${expected}; reload and retry`, 'VersionConflict');
  }

  return {
    get,

    list: (caller: Caller) => repository.list(caller.userId),

    page: (caller: Caller, options: { limit: number; afterKey?: string; completed?: boolean }) =>
      repository.page(caller.userId, options),

    async create(caller: Caller, input: NewTodo): Promise<Todo> {
      const at = now().toISOString();
      const todo: Todo = {
        userId: caller.userId,
        key: newId(),
        name: input.name,
        desc: input.desc || undefined,
        status: input.status ?? IN_PROGRESS,
        progress: input.progress ?? 0,
        order: input.order ?? 0,
        createdAt: at,
        updatedAt: at,
        version: 1,
      };
      await repository.create(todo);
      return todo;
    },

    /** With `expectedVersion` a concurrent change is the client's conflict (409); without, retry on the fresh item. */
    async update(caller: Caller, key: string, patch: TodoPatch, expectedVersion?: number): Promise<Todo> {
      for (let attempt = 1; ; attempt++) {
        const current = await get(caller, key);
        if (expectedVersion !== undefined && current.version !== expectedVersion) throw stale(expectedVersion, current.version);
        const next = applyPatch(current, patch);
        if (!changed(current, next)) return current;
        next.version = current.version + 1;
        next.updatedAt = now().toISOString();
        try {
          await repository.replace(next, current.version);
          return next;
        } catch (err) {
          if (!(err instanceof StaleVersion) || attempt >= MAX_ATTEMPTS) throw err instanceof StaleVersion ? stale(current.version, current.version + 1) : err;
        }
      }
    },

    async remove(caller: Caller, key: string, expectedVersion?: number): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        const current = await get(caller, key);
        if (expectedVersion !== undefined && current.version !== expectedVersion) throw stale(expectedVersion, current.version);
        try {
          await repository.remove(caller.userId, key, current.version);
          return;
        } catch (err) {
          if (!(err instanceof StaleVersion) || attempt >= MAX_ATTEMPTS) throw err instanceof StaleVersion ? stale(current.version, current.version + 1) : err;
        }
      }
    },

    /** The seed's bulk delete: keys that are already gone are not an error. */
    async removeMany(caller: Caller, keys: readonly string[]): Promise<number> {
      let removed = 0;
      for (const key of new Set(keys)) {
        try {
          await this.remove(caller, key);
          removed++;
        } catch (err) {
          if (!(err instanceof NotFound)) throw err;
        }
      }
      return removed;
    },

    removeAll: (caller: Caller) => repository.removeAll(caller.userId),
  };
}

export type TodoService = ReturnType<typeof createTodoService>;
