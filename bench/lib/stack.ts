// Loaded lazily: scenarios that need no stack (bundle sizes, cold start) run without the local runtime.
import type { startStack } from '../../local/index';

export type BenchStack = Awaited<ReturnType<typeof startStack>>;

export interface Session {
  userName: string;
  userId: string;
  /** The session JWT; sent as the `session` cookie, as the browser does. */
  token: string;
  /** Headers a same-origin browser request carries (the CSRF check wants Sec-Fetch-Site). */
  headers: Record<string, string>;
}

export const BENCH_PASSWORD = 'bench-Password-1234';

/** The local stack in memory on a free port, quiet, as the integration tests start it. */
export async function startBenchStack(options: NonNullable<Parameters<typeof startStack>[0]> & { quick?: boolean } = {}): Promise<BenchStack> {
  const local = await import('../../local/index');
  const { quick, ...rest } = options;
  // A smoke run cheapens the password hash (stored per hash, so verification still works) and polls an
  // idle shard every 250 ms instead of 50 (an idle stack then costs 0.06 of a core, not 0.2); real runs keep both.
  const env = { ...(quick ? { SCRYPT_N: '1024' } : {}), ...rest.env };
  const changeConsumer = { ...(quick ? { pollingIntervalMs: 250 } : {}), ...rest.changeConsumer };
  return local.startStack({ memory: true, port: 0, quiet: true, ...rest, env, changeConsumer });
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', ...headers },
    body: JSON.stringify(body),
  });
}

/** Registers a user (if new) and signs in; returns what load generators need to act as that user. */
export async function signIn(url: string, userName: string): Promise<Session> {
  const registered = await post(url, '/api/register', { userName, password: BENCH_PASSWORD });
  if (!registered.ok && registered.status !== 409) throw new Error(`register ${userName}: ${registered.status} ${await registered.text()}`);
  const login = await post(url, '/api/login/account', { userName, password: BENCH_PASSWORD, type: 'account' });
  const cookie = login.headers.getSetCookie().find((c) => /^(__Host-)?session=/.test(c));
  const token = cookie?.split(';')[0]?.split('=')[1];
  if (!login.ok || !token) throw new Error(`login ${userName}: ${login.status} ${await login.text()}`);
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string };
  return {
    userName,
    userId: claims.sub,
    token,
    headers: { cookie: `session=${token}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
  };
}

/** Creates todos through the API (the realistic path, with version and timestamps as the service writes them). */
export async function createTodos(url: string, session: Session, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await post(url, '/api/todos', { title: `bench todo ${i}` }, session.headers);
    if (res.status !== 201) throw new Error(`POST /api/todos: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}
