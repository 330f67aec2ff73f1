/**
 * Typed client for the noops-todo HTTP API. Every call is same-origin JSON with the session cookie;
 * failures become an `ApiError` carrying the status and the server's `{ error: { code, message } }`.
 */

export interface Todo {
  id: string;
  url: string;
  title: string;
  completed: boolean;
  order: number;
  description?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type TodoPatch = Partial<Pick<Todo, 'title' | 'completed' | 'description' | 'order'>>;

export interface NewTodo {
  title: string;
  description?: string;
  order?: number;
}

export interface CurrentUser {
  name: string;
  userid: string;
  /** Open todos, counted from the rules replica. */
  notifyCount?: number;
  /** All todos. */
  unreadCount?: number;
  avatar?: string;
}

export interface ReplicaStatus {
  name: string;
  source?: string;
  items?: number;
  tombstones?: number;
  lagMs?: number | null;
  lastAppliedAt?: string | null;
  state?: 'backfilling' | 'catching-up' | 'in-sync' | 'stale';
  applied?: number;
  sourceItems?: number | null;
  sourceCountedAt?: string | null;
  backfill?: { phase: string; done: number; total: number } | null;
}

/** A change the replicator processed, as the local runtime's trace API lists it. */
export interface RecentChange {
  traceId: string;
  at: string;
  table: string;
  operation: string;
  request?: string;
  requestId?: string;
}

/** One row of a trace's waterfall: offsets from the trace's start, in ms. */
export interface TraceRow {
  depth: number;
  service: string;
  operation: string;
  offsetMs: number;
  durationMs: number;
  status: string;
  /** The replication lag (publication → replicator), drawn as its own segment. */
  lag?: boolean;
}

export interface TraceView {
  traceId: string;
  totalMs: number;
  spans: number;
  rows: TraceRow[];
}

/**
 * Served only by the local runtime's gateway (no deployed route): on AWS the spans are in CloudWatch
 * and the web app is given no read access to them, so this path answers 404 there.
 */
export const TRACE_API_URL = '/api/local/traces';

export interface TodoPage {
  todos: Todo[];
  /** Absolute or root-relative URL of the next page, from the `Link: <…>; rel="next"` header. */
  next: string | null;
}

/** Status 0 means the request never got an answer (offline, DNS, connection reset). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
}

/** Small first page: it is what the first render waits for. */
export const FIRST_PAGE_SIZE = 50;
/** Later pages load in the background, so fewer, larger requests finish sooner. */
export const NEXT_PAGE_SIZE = 250;
export const FIRST_PAGE_URL = `/api/todos?limit=${FIRST_PAGE_SIZE}`;
export const CURRENT_USER_URL = '/api/currentUser';
/**
 * What a visit asks for first: the first page of todos, which also proves the session. index.html
 * preloads it (`<link rel="preload" as="fetch" crossorigin>`) so it is in flight while the script
 * loads; Chromium hands a preload to a `fetch()` only when URL, mode (`cors`) and credentials
 * (`same-origin`, which `crossorigin` means) match what `request` sends.
 */
export const STARTUP_URLS = [FIRST_PAGE_URL] as const;

async function request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      // Must stay as the preloads in index.html ask (see STARTUP_URLS), or the first requests go twice.
      mode: 'cors',
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NetworkError', 'Cannot reach the server. Check your connection and try again.');
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const fallback = `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(res.status, body.error?.code ?? 'HttpError', body.error?.message ?? fallback);
  } catch {
    return new ApiError(res.status, 'HttpError', fallback);
  }
}

async function json<T>(res: Response): Promise<T> {
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Extracts the `rel="next"` target from an RFC 8288 Link header. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const link of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/s.exec(link);
    if (!match) continue;
    const [, url, params = ''] = match;
    const rel = params.split(';').map((p) => /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
    if (url !== undefined && rel?.toLowerCase().split(/\s+/).includes('next')) return url;
  }
  return null;
}

/** `limit` is a documented query parameter beside the opaque cursor, so a next link may ask for more. */
export function withLimit(url: string, limit: number): string {
  const parsed = new URL(url, 'http://relative.invalid');
  if (!parsed.searchParams.has('limit')) return url;
  parsed.searchParams.set('limit', String(limit));
  return parsed.origin === 'http://relative.invalid' ? `${parsed.pathname}${parsed.search}` : parsed.href;
}

/** The replication endpoint's shape is tolerated as a bare array or `{ replicas: [...] }`. */
export function replicasFrom(body: unknown): ReplicaStatus[] {
  const list = Array.isArray(body) ? body : (body as { replicas?: unknown } | null)?.replicas;
  return Array.isArray(list) ? list.filter((r): r is ReplicaStatus => typeof r?.name === 'string') : [];
}

export const api = {
  async register(userName: string, password: string): Promise<void> {
    await request('POST', '/api/register', { userName, password });
  },

  async login(userName: string, password: string): Promise<void> {
    const res = await request('POST', '/api/login/account', { userName, password, type: 'account' });
    // The seed protocol answers a wrong password with 200 and `status: "error"`.
    const body = await json<{ status?: string; error?: { code?: string; message?: string } }>(res);
    if (body?.status !== 'ok') {
      throw new ApiError(401, body?.error?.code ?? 'InvalidCredentials', body?.error?.message ?? 'Wrong user name or password.');
    }
  },

  async logout(): Promise<void> {
    await request('POST', '/api/login/outLogin', {});
  },

  async currentUser(): Promise<CurrentUser> {
    return json<CurrentUser>(await request('GET', CURRENT_USER_URL));
  },

  async listTodos(url: string = FIRST_PAGE_URL): Promise<TodoPage> {
    const res = await request('GET', url);
    const next = nextLink(res.headers.get('link'));
    return { todos: await json<Todo[]>(res), next: next && withLimit(next, NEXT_PAGE_SIZE) };
  },

  async createTodo(todo: NewTodo): Promise<Todo> {
    return json<Todo>(await request('POST', '/api/todos', todo));
  },

  async getTodo(id: string): Promise<Todo> {
    return json<Todo>(await request('GET', `/api/todos/${encodeURIComponent(id)}`));
  },

  /** `If-Match` makes a stale write fail with 409 instead of overwriting someone else's change. */
  async patchTodo(id: string, patch: TodoPatch, version: number): Promise<Todo> {
    return json<Todo>(await request('PATCH', `/api/todos/${encodeURIComponent(id)}`, patch, { 'if-match': String(version) }));
  },

  async deleteTodo(id: string): Promise<void> {
    await request('DELETE', `/api/todos/${encodeURIComponent(id)}`);
  },

  async replication(): Promise<ReplicaStatus[]> {
    return replicasFrom(await json<unknown>(await request('GET', '/api/replication')));
  },

  /** Null where no trace API exists (a deployed stack answers 404). */
  async recentChanges(): Promise<RecentChange[] | null> {
    try {
      const body = await json<{ changes?: RecentChange[] }>(await request('GET', TRACE_API_URL));
      return Array.isArray(body?.changes) ? body.changes : [];
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  },

  async trace(id: string): Promise<TraceView> {
    return json<TraceView>(await request('GET', `${TRACE_API_URL}/${encodeURIComponent(id)}`));
  },
};

export type Api = typeof api;
