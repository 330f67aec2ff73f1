import { ApiError, type Api, type CurrentUser, type Todo, type TodoPage, type TodoPatch } from '../api';
import {
  addPending,
  cleanTitle,
  confirm,
  mergePage,
  rebase,
  removeEntry,
  rollback,
  viewOf,
  viewsOf,
  type Entry,
  type PendingOp,
} from './todos';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface AppState {
  session: 'checking' | 'signed-out' | 'signed-in';
  user: CurrentUser | null;
  entries: Entry[];
  /** `first`: nothing shown yet; `more`: following the cursor in the background. */
  list: 'idle' | 'first' | 'more' | 'loaded' | 'error';
  notice: Notice | null;
  /** Shown on the sign-in screen (e.g. why the user was sent back to it). */
  signInError: string | null;
  signInBusy: boolean;
}

export const initialState: AppState = {
  session: 'checking',
  user: null,
  entries: [],
  list: 'idle',
  notice: null,
  signInError: null,
  signInBusy: false,
};

export type Store = ReturnType<typeof createStore>;

/**
 * App state and every action that talks to the API. Todo writes are optimistic: the change is shown at
 * once and queued per todo, so each request carries the version the previous one produced (If-Match);
 * a refused write is dropped from the view with a message.
 */
export function createStore(api: Api) {
  let state = initialState;
  const listeners = new Set<() => void>();
  const queues = new Map<string, Promise<void>>();
  let nextOp = 1;
  let nextNotice = 1;
  // Bumped on sign-in/out so answers to an old session's requests are ignored.
  let generation = 0;

  const set = (patch: Partial<AppState>) => {
    state = { ...state, ...patch };
    for (const listener of listeners) listener();
  };
  const setEntries = (fn: (entries: Entry[]) => Entry[]) => set({ entries: fn(state.entries) });
  const notify = (text: string, kind: Notice['kind'] = 'error') => set({ notice: { id: nextNotice++, kind, text } });

  /** Runs `task` after every earlier write to the same todo has settled. */
  const enqueue = (key: string, task: () => Promise<void>) => {
    const run = (queues.get(key) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return run;
  };

  const sessionExpired = (message = 'Your session has expired. Please sign in again.') => {
    generation++;
    queues.clear();
    set({ ...initialState, session: 'signed-out', signInError: message });
  };

  const describe = (err: unknown): string => {
    if (err instanceof ApiError) return err.message;
    return err instanceof Error ? err.message : String(err);
  };

  /** Shared handling of a refused todo write; returns after the view is consistent again. */
  const refused = async (err: unknown, key: string, op: number, gen: number, title: string) => {
    if (gen !== generation) return;
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    setEntries((e) => rollback(e, key, op));
    if (err instanceof ApiError && err.status === 404) {
      setEntries((e) => removeEntry(e, key));
      return notify(`“${title}” no longer exists; it was deleted elsewhere.`);
    }
    if (err instanceof ApiError && (err.status === 409 || err.status === 412)) {
      notify(`“${title}” was changed elsewhere, so your change was undone. The latest version is shown.`);
      const id = state.entries.find((e) => e.key === key)?.server?.id;
      if (!id) return;
      try {
        const fresh = await api.getTodo(id);
        if (gen === generation) setEntries((e) => rebase(e, key, fresh));
      } catch (refetchErr) {
        if (gen !== generation) return;
        if (refetchErr instanceof ApiError && refetchErr.status === 404) setEntries((e) => removeEntry(e, key));
        else if (refetchErr instanceof ApiError && refetchErr.status === 401) sessionExpired();
      }
      return;
    }
    if (err instanceof ApiError && err.isNetwork) return notify(`Could not save “${title}”: ${err.message} Your change was undone.`);
    notify(`Could not save “${title}”: ${describe(err)} Your change was undone.`);
  };

  const titleOf = (key: string) => {
    const entry = state.entries.find((e) => e.key === key);
    return (entry && viewOf(entry)?.title) ?? entry?.server?.title ?? 'todo';
  };

  /** `firstPage` may already be in flight (started beside the session check to save a round trip). */
  async function loadTodos(firstPage?: Promise<TodoPage>) {
    const gen = generation;
    set({ list: 'first', entries: [] });
    let page = firstPage ?? api.listTodos();
    try {
      for (;;) {
        const { todos, next } = await page;
        if (gen !== generation) return;
        setEntries((e) => mergePage(e, todos));
        set({ list: next ? 'more' : 'loaded' });
        if (!next) return;
        page = api.listTodos(next);
      }
    } catch (err) {
      if (gen !== generation) return;
      if (err instanceof ApiError && err.status === 401) return sessionExpired();
      set({ list: 'error' });
      notify(`Could not load your todos: ${describe(err)}`);
    }
  }

  /**
   * The first page of todos proves the session as well as `/api/currentUser` does, so it decides alone
   * (on a first visit index.html has preloaded it) and the list shows as soon as it arrives; the user's
   * name is asked for afterwards, off the first render's path. Only a page refused for another reason
   * than 401 (offline, 5xx) leaves the decision to `/api/currentUser`.
   */
  async function enterSession() {
    const firstPage = api.listTodos();
    // A refused page is handled here or by loadTodos; never an unhandled rejection.
    firstPage.catch(() => undefined);
    let user: Promise<CurrentUser> | undefined;
    try {
      await firstPage;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      user = api.currentUser();
      await user;
    }
    const gen = ++generation;
    set({ session: 'signed-in', user: null, signInError: null, signInBusy: false, notice: null });
    const listed = loadTodos(firstPage);
    void (user ?? api.currentUser()).then(
      (who) => {
        if (gen === generation) set({ user: who });
      },
      (err) => {
        if (gen !== generation) return;
        if (err instanceof ApiError && err.status === 401) sessionExpired();
        else notify(`Could not load your account details: ${describe(err)}`);
      },
    );
    await listed;
  }

  async function withSignIn(work: () => Promise<void>) {
    set({ signInBusy: true, signInError: null });
    try {
      await work();
      await enterSession();
    } catch (err) {
      set({ signInBusy: false, signInError: describe(err) });
    }
  }

  function write(key: string, op: PendingOp, send: (server: Todo) => Promise<Todo | 'deleted'>) {
    const gen = generation;
    const title = titleOf(key);
    setEntries((e) => addPending(e, key, op));
    return enqueue(key, async () => {
      if (gen !== generation) return;
      const server = state.entries.find((e) => e.key === key)?.server;
      // The create this write was queued behind was refused: nothing left to change.
      if (!server) return setEntries((e) => rollback(e, key, op.op));
      try {
        const result = await send(server);
        if (gen === generation) setEntries((e) => confirm(e, key, op.op, result));
      } catch (err) {
        await refused(err, key, op.op, gen, title);
      }
    });
  }

  function update(key: string, patch: TodoPatch) {
    const entry = state.entries.find((e) => e.key === key);
    if (!entry || !viewOf(entry)) return Promise.resolve();
    return write(key, { op: nextOp++, kind: 'patch', patch }, (server) => api.patchTodo(server.id, patch, server.version));
  }

  function remove(key: string) {
    const entry = state.entries.find((e) => e.key === key);
    if (!entry || !viewOf(entry)) return Promise.resolve();
    return write(key, { op: nextOp++, kind: 'delete' }, async (server) => {
      try {
        await api.deleteTodo(server.id);
      } catch (err) {
        // Already gone is what the user asked for.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
      return 'deleted';
    });
  }

  return {
    getState: () => state,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },

    /** Finds out whether the session cookie is still valid by asking for the first page of todos. */
    async start() {
      try {
        await enterSession();
      } catch (err) {
        const expected = err instanceof ApiError && err.status === 401;
        set({ session: 'signed-out', signInError: expected ? null : `Could not check your session: ${describe(err)}` });
      }
    },

    signIn(userName: string, password: string) {
      return withSignIn(() => api.login(userName.trim(), password));
    },

    register(userName: string, password: string) {
      return withSignIn(async () => {
        await api.register(userName.trim(), password);
        await api.login(userName.trim(), password);
      });
    },

    async signOut() {
      generation++;
      queues.clear();
      try {
        await api.logout();
        set({ ...initialState, session: 'signed-out' });
      } catch (err) {
        set({ ...initialState, session: 'signed-out', signInError: `Signing out may not have finished: ${describe(err)}` });
      }
    },

    sessionExpired,
    reload: loadTodos,

    add(rawTitle: string, description?: string) {
      const title = cleanTitle(rawTitle);
      if (!title) return Promise.resolve();
      const gen = generation;
      const key = `new-${nextOp}`;
      const op = nextOp++;
      setEntries((e) => addPending(e, key, { op, kind: 'create', draft: description ? { title, description } : { title } }));
      return enqueue(key, async () => {
        try {
          const todo = await api.createTodo(description ? { title, description } : { title });
          if (gen === generation) setEntries((e) => confirm(e, key, op, todo));
        } catch (err) {
          if (gen !== generation) return;
          if (err instanceof ApiError && err.status === 401) return sessionExpired();
          setEntries((e) => rollback(e, key, op));
          notify(`Could not add “${title}”: ${describe(err)}`);
        }
      });
    },

    update,
    remove,

    /** Enter/blur in the edit field: a blank title deletes, an unchanged one does nothing. */
    editTitle(key: string, rawTitle: string) {
      const title = cleanTitle(rawTitle);
      if (!title) return remove(key);
      if (title === titleOf(key)) return Promise.resolve();
      return update(key, { title });
    },

    toggle(key: string) {
      const entry = state.entries.find((e) => e.key === key);
      const view = entry && viewOf(entry);
      return view ? update(key, { completed: !view.completed }) : Promise.resolve();
    },

    toggleAll(completed: boolean) {
      const keys = viewsOf(state.entries).filter((v) => v.completed !== completed).map((v) => v.key);
      return Promise.all(keys.map((key) => update(key, { completed }))).then(() => undefined);
    },

    /** Per-id deletes: `DELETE /api/todos` would also remove active todos. */
    clearCompleted() {
      const keys = viewsOf(state.entries).filter((v) => v.completed).map((v) => v.key);
      return Promise.all(keys.map(remove)).then(() => undefined);
    },

    notify,
    dismissNotice() {
      set({ notice: null });
    },
  };
}
