import { describe, expect, it } from 'vitest';
import { ApiError, type Api, type Todo, type TodoPatch } from '../../../../../web/src/api';
import { createStore } from '../../../../../web/src/state/store';
import { viewsOf } from '../../../../../web/src/state/todos';

/**
 * An in-memory API that keeps the contract's rules (versions, If-Match → 409, per-user data), with a
 * gate to hold answers so the optimistic state can be observed, and a switch to fail the next call.
 */
class MemoryApi implements Api {
  todos = new Map<string, Todo>();
  signedIn = true;
  failNext: ApiError | null = null;
  held: Array<() => void> = [];
  hold = false;
  pageSize = 2;
  calls: string[] = [];
  private seq = 0;

  private async gate(call: string) {
    this.calls.push(call);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    const failure = this.failNext;
    this.failNext = null;
    if (failure) throw failure;
    if (!this.signedIn && !call.startsWith('login') && !call.startsWith('register')) throw new ApiError(401, 'Unauthorized', 'Sign in first');
  }

  /** Lets every held call (and any about to reach the gate) through. */
  async release() {
    this.hold = false;
    await new Promise((resolve) => setTimeout(resolve, 0));
    const waiting = this.held;
    this.held = [];
    for (const resolve of waiting) resolve();
  }

  seed(title: string, patch: Partial<Todo> = {}): Todo {
    const id = `t${String(++this.seq).padStart(4, '0')}`;
    const now = new Date().toISOString();
    const todo: Todo = { id, url: `/api/todos/${id}`, title, completed: false, order: this.seq, version: 1, createdAt: now, updatedAt: now, ...patch };
    this.todos.set(id, todo);
    return todo;
  }

  async register(userName: string) {
    await this.gate(`register ${userName}`);
  }
  async login(userName: string, password: string) {
    await this.gate(`login ${userName}`);
    if (password !== 'right') throw new ApiError(401, 'InvalidCredentials', 'Wrong user name or password.');
    this.signedIn = true;
  }
  async logout() {
    await this.gate('logout');
    this.signedIn = false;
  }
  async currentUser() {
    await this.gate('currentUser');
    return { name: 'ada', userid: 'u1' };
  }
  async listTodos(url?: string) {
    await this.gate(`list ${url ?? ''}`);
    const all = [...this.todos.values()].sort((a, b) => a.id.localeCompare(b.id));
    const after = url ? new URL(url, 'http://x').searchParams.get('cursor') : null;
    const start = after ? all.findIndex((t) => t.id === after) + 1 : 0;
    const page = all.slice(start, start + this.pageSize);
    const last = page.at(-1);
    return { todos: page, next: start + this.pageSize < all.length && last ? `/api/todos?cursor=${last.id}` : null };
  }
  async createTodo(input: { title: string; description?: string }) {
    await this.gate(`create ${input.title}`);
    return this.seed(input.title, input.description ? { description: input.description } : {});
  }
  async getTodo(id: string) {
    await this.gate(`get ${id}`);
    const todo = this.todos.get(id);
    if (!todo) throw new ApiError(404, 'NotFound', 'Not found');
    return todo;
  }
  async patchTodo(id: string, patch: TodoPatch, version: number) {
    await this.gate(`patch ${id} v${version}`);
    const todo = this.todos.get(id);
    if (!todo) throw new ApiError(404, 'NotFound', 'Not found');
    if (todo.version !== version) throw new ApiError(409, 'Conflict', 'stale');
    const next = { ...todo, ...patch, version: todo.version + 1 };
    this.todos.set(id, next);
    return next;
  }
  async deleteTodo(id: string) {
    await this.gate(`delete ${id}`);
    if (!this.todos.delete(id)) throw new ApiError(404, 'NotFound', 'Not found');
  }
  async replication() {
    await this.gate('replication');
    return [];
  }

  async recentChanges() {
    return null;
  }

  async trace(): Promise<never> {
    throw new ApiError(404, 'NotFound', 'no trace');
  }
}

async function signedInStore(api: MemoryApi) {
  const store = createStore(api);
  await store.start();
  return store;
}

const titles = (store: ReturnType<typeof createStore>) => viewsOf(store.getState().entries).map((v) => v.title);

describe('store: session', () => {
  it('starts signed in when the cookie is valid and follows the cursor through every page', async () => {
    // Prepare
    const api = new MemoryApi();
    for (const t of ['a', 'b', 'c', 'd', 'e']) api.seed(t);

    // Act
    const store = await signedInStore(api);

    // Assess
    expect(store.getState()).toMatchObject({ session: 'signed-in', list: 'loaded', user: { name: 'ada' } });
    expect(titles(store)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(api.calls.filter((c) => c.startsWith('list'))).toHaveLength(3);
  });

  it('lets the first page decide the session and asks for the user name only after it', async () => {
    // Prepare
    const api = new MemoryApi();
    api.seed('a');
    api.hold = true;

    // Act
    const started = createStore(api).start();
    await new Promise((resolve) => setTimeout(resolve, 0));

    // Assess
    expect(api.calls).toEqual(['list ']);
    await api.release();
    await started;
    expect(api.calls).toEqual(['list ', 'currentUser']);
  });

  it('asks /api/currentUser whether the session is valid when the first page fails otherwise', async () => {
    // Prepare
    const api = new MemoryApi();
    api.failNext = new ApiError(503, 'ServiceUnavailable', 'Try again later.');

    // Act
    const store = createStore(api);
    await store.start();
    await new Promise((resolve) => setTimeout(resolve, 0));

    // Assess
    expect(api.calls).toEqual(['list ', 'currentUser']);
    expect(store.getState()).toMatchObject({ session: 'signed-in', list: 'error', user: { name: 'ada' } });
    expect(store.getState().notice?.text).toMatch(/Could not load your todos: Try again later/);
  });

  it('shows the first page without waiting for the user name, which follows', async () => {
    // Prepare
    const api = new MemoryApi();
    api.seed('a');
    let answerUser = () => {};
    const userAsked = new Promise<void>((resolve) => (answerUser = resolve));
    const currentUser = api.currentUser.bind(api);
    api.currentUser = async () => {
      await userAsked;
      return currentUser();
    };

    // Act
    const store = createStore(api);
    await store.start();

    // Assess
    expect(store.getState()).toMatchObject({ session: 'signed-in', list: 'loaded', user: null });
    expect(titles(store)).toEqual(['a']);
    answerUser();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(store.getState().user).toEqual({ name: 'ada', userid: 'u1' });
  });

  it('keeps the list when only the user name cannot be loaded', async () => {
    // Prepare
    const api = new MemoryApi();
    api.seed('a');
    api.currentUser = async () => {
      throw new ApiError(500, 'InternalError', 'Internal Server Error');
    };

    // Act
    const store = createStore(api);
    await store.start();
    await new Promise((resolve) => setTimeout(resolve, 0));

    // Assess
    expect(store.getState()).toMatchObject({ session: 'signed-in', list: 'loaded', user: null });
    expect(store.getState().notice?.text).toMatch(/account details: Internal Server Error/);
  });

  it('reports a failed session check that was not a 401 on the sign-in screen', async () => {
    // Prepare
    const api = new MemoryApi();
    const offline = new ApiError(0, 'NetworkError', 'Cannot reach the server.');
    api.currentUser = async () => {
      throw offline;
    };
    api.listTodos = async () => {
      throw offline;
    };

    // Act
    const store = createStore(api);
    await store.start();

    // Assess
    expect(store.getState()).toMatchObject({ session: 'signed-out', signInError: 'Could not check your session: Cannot reach the server.' });
  });

  it('shows the sign-in screen without an error when there is no session', async () => {
    const api = new MemoryApi();
    api.signedIn = false;
    const store = await signedInStore(api);
    expect(store.getState()).toMatchObject({ session: 'signed-out', signInError: null });
  });

  it('keeps a wrong password on the sign-in screen with the message', async () => {
    const api = new MemoryApi();
    api.signedIn = false;
    const store = await signedInStore(api);
    await store.signIn('ada', 'wrong');
    expect(store.getState()).toMatchObject({ session: 'signed-out', signInError: 'Wrong user name or password.', signInBusy: false });
    await store.signIn(' ada ', 'right');
    expect(store.getState().session).toBe('signed-in');
    expect(api.calls).toContain('login ada');
  });

  it('shows a taken user name from the server', async () => {
    const api = new MemoryApi();
    api.signedIn = false;
    const store = await signedInStore(api);
    api.failNext = new ApiError(409, 'UserNameTaken', 'That user name is taken.');
    await store.register('ada', 'right');
    expect(store.getState().signInError).toBe('That user name is taken.');
  });

  it('sends the user back to sign in when the session expires during a write', async () => {
    // Prepare
    const api = new MemoryApi();
    api.seed('a');
    const store = await signedInStore(api);
    api.signedIn = false;

    // Act
    await store.toggle('t0001');

    // Assess
    expect(store.getState()).toMatchObject({ session: 'signed-out', entries: [], signInError: expect.stringMatching(/session has expired/) });
  });
});

describe('store: optimistic todo writes', () => {
  it('shows a new todo at once and confirms it with the server id', async () => {
    // Prepare
    const api = new MemoryApi();
    const store = await signedInStore(api);
    api.hold = true;

    // Act
    const done = store.add('  milk  ');

    // Assess
    expect(viewsOf(store.getState().entries)).toMatchObject([{ title: 'milk', id: null, saving: true }]);
    await api.release();
    await done;
    expect(viewsOf(store.getState().entries)).toMatchObject([{ title: 'milk', id: 't0001', saving: false }]);
  });

  it('ignores a blank new todo', async () => {
    const api = new MemoryApi();
    const store = await signedInStore(api);
    await store.add('   ');
    expect(store.getState().entries).toEqual([]);
    expect(api.calls.some((c) => c.startsWith('create'))).toBe(false);
  });

  it('serializes writes to one todo so each carries the version the previous one produced', async () => {
    // Prepare
    const api = new MemoryApi();
    api.seed('a');
    const store = await signedInStore(api);

    // Act
    await Promise.all([store.toggle('t0001'), store.editTitle('t0001', 'renamed'), store.toggle('t0001')]);

    // Assess
    expect(api.calls.filter((c) => c.startsWith('patch'))).toEqual(['patch t0001 v1', 'patch t0001 v2', 'patch t0001 v3']);
    expect(api.todos.get('t0001')).toMatchObject({ title: 'renamed', completed: false, version: 4 });
    expect(store.getState().notice).toBeNull();
  });

  it('queues a write made before the create was confirmed behind it', async () => {
    const api = new MemoryApi();
    const store = await signedInStore(api);
    api.hold = true;
    const created = store.add('milk');
    const key = store.getState().entries[0]!.key;
    const toggled = store.toggle(key);
    await api.release();
    await Promise.all([created, toggled]);
    expect(api.todos.get('t0001')).toMatchObject({ completed: true, version: 2 });
  });

  it('rolls back a stale edit (409), says so, and shows the server version', async () => {
    // Prepare: someone else changed the todo after this page loaded it.
    const api = new MemoryApi();
    api.seed('original');
    const store = await signedInStore(api);
    api.todos.set('t0001', { ...api.todos.get('t0001')!, title: 'changed elsewhere', version: 2 });
    api.hold = true;

    // Act
    const edit = store.editTitle('t0001', 'mine');
    expect(titles(store)).toEqual(['mine']);
    await api.release();
    await edit;

    // Assess
    expect(titles(store)).toEqual(['changed elsewhere']);
    expect(store.getState().notice?.text).toMatch(/changed elsewhere, so your change was undone/);
    await store.toggle('t0001');
    expect(api.todos.get('t0001')).toMatchObject({ completed: true, version: 3 });
  });

  it('rolls back on a network failure with a message', async () => {
    const api = new MemoryApi();
    api.seed('a');
    const store = await signedInStore(api);
    api.failNext = new ApiError(0, 'NetworkError', 'Cannot reach the server.');
    await store.toggle('t0001');
    expect(viewsOf(store.getState().entries)[0]).toMatchObject({ completed: false, saving: false });
    expect(store.getState().notice?.text).toMatch(/Cannot reach the server/);
  });

  it('drops a todo another device deleted (404)', async () => {
    const api = new MemoryApi();
    api.seed('a');
    const store = await signedInStore(api);
    api.todos.clear();
    await store.toggle('t0001');
    expect(store.getState().entries).toEqual([]);
    expect(store.getState().notice?.text).toMatch(/no longer exists/);
  });

  it('removes a refused create and reports it', async () => {
    const api = new MemoryApi();
    const store = await signedInStore(api);
    api.failNext = new ApiError(400, 'BadRequest', 'title: too long');
    await store.add('x');
    expect(store.getState().entries).toEqual([]);
    expect(store.getState().notice?.text).toBe('Could not add “x”: title: too long');
  });

  it('deletes on a blank edit, keeps an unchanged one as is', async () => {
    const api = new MemoryApi();
    api.seed('a');
    api.seed('b');
    const store = await signedInStore(api);
    await store.editTitle('t0001', ' a ');
    expect(api.calls.some((c) => c.startsWith('patch'))).toBe(false);
    await store.editTitle('t0001', '   ');
    expect(titles(store)).toEqual(['b']);
    expect(api.todos.has('t0001')).toBe(false);
  });

  it('toggles all and clears completed with per-id deletes', async () => {
    // Prepare
    const api = new MemoryApi();
    api.seed('a');
    api.seed('b', { completed: true });
    api.seed('c');
    const store = await signedInStore(api);

    // Act
    await store.toggleAll(true);
    expect(viewsOf(store.getState().entries).every((v) => v.completed)).toBe(true);
    await store.toggle('t0002');
    await store.clearCompleted();

    // Assess
    expect(titles(store)).toEqual(['b']);
    expect([...api.todos.keys()]).toEqual(['t0002']);
    expect(api.calls.filter((c) => c.startsWith('delete'))).toEqual(['delete t0001', 'delete t0003']);
  });

  it('saves the description and status from the details form', async () => {
    const api = new MemoryApi();
    api.seed('a');
    const store = await signedInStore(api);
    await store.update('t0001', { description: 'two litres', completed: true });
    expect(viewsOf(store.getState().entries)[0]).toMatchObject({ description: 'two litres', completed: true, saving: false });
  });

  it('ignores answers that arrive after signing out', async () => {
    const api = new MemoryApi();
    api.seed('a');
    const store = await signedInStore(api);
    api.hold = true;
    const toggled = store.toggle('t0001');
    api.hold = false;
    await store.signOut();
    await api.release();
    await toggled;
    expect(store.getState()).toMatchObject({ session: 'signed-out', entries: [], notice: null });
  });
});
