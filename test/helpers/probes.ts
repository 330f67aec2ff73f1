import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { Stack } from '../../local/index';
import type { InvocationEvent } from '../../local/lambda';

/**
 * Clients and probes for a running stack (start one with local-stack.ts): a cookie-jar client, raw sockets for bytes fetch refuses to send, table fingerprints read
 * straight from dynalite (never through the capturing proxy), and a watch on the function pool.
 */

export const PASSWORD = 'correct horse battery staple';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

/** A browser-like client: a cookie jar, and writes from the site's own origin unless told otherwise. */
export class Client {
  cookie: string | undefined;

  constructor(readonly base: string) {}

  async send<T = any>(
    method: string,
    path: string,
    options: { json?: unknown; body?: string; headers?: Record<string, string>; origin?: string | null; cookie?: boolean } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie && options.cookie !== false) headers.cookie = this.cookie;
    if (method !== 'GET' && method !== 'HEAD' && options.origin !== null) headers.origin = options.origin ?? this.base;
    Object.assign(headers, options.headers);
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: options.body ?? (options.json === undefined ? undefined : JSON.stringify(options.json)),
      signal: AbortSignal.timeout(30_000),
    });
    for (const set of res.headers.getSetCookie()) {
      const pair = set.split(';')[0]!;
      if (/^(__Host-)?session=/.test(pair)) this.cookie = pair.endsWith('=') ? undefined : pair;
    }
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: parseJson(text) as T };
  }

  get<T = any>(path: string): Promise<Answer<T>> {
    return this.send<T>('GET', path);
  }

  /** The session token itself (for bearer use and tampering). */
  get token(): string {
    return this.cookie?.split('=')[1] ?? '';
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function signedIn(base: string, userName: string, password = PASSWORD): Promise<Client> {
  const client = new Client(base);
  const registered = await client.send('POST', '/api/register', { json: { userName, password } });
  if (registered.status !== 201) throw new Error(`register ${userName}: ${registered.status} ${registered.text}`);
  const login = await client.send('POST', '/api/login/account', { json: { userName, password, type: 'account' } });
  if (login.json?.status !== 'ok' || !client.cookie) throw new Error(`login ${userName}: ${login.status} ${login.text}`);
  return client;
}

/** A Node stack frame (`at fn (file:line:col)`) or an internal error name leaking into a response. */
const STACK_TRACE = /\bat\s+\S*\s*\(?(?:file:\/\/|\/|node:)[^)\s]*:\d+:\d+|ValidationException|SerializationException|TypeError:|ReferenceError:/;

/** Why an API answer breaks the contract (a 5xx, a stack trace, a 4xx that is not `{ error: { code, message } }`), or undefined. */
export function contractViolation(res: { status: number; text: string; headers: Headers | Record<string, string | undefined> }, path: string): string | undefined {
  const get = (name: string) => (res.headers instanceof Headers ? res.headers.get(name) : res.headers[name]) ?? '';
  if (res.status >= 500) return `status ${res.status}: ${res.text.slice(0, 300)}`;
  if (STACK_TRACE.test(res.text)) return `stack trace or internal error in body: ${res.text.slice(0, 300)}`;
  const api = path === '/api' || path.startsWith('/api/');
  if (res.status >= 400 && (api || /json/.test(get('content-type')))) {
    const body = parseJson(res.text) as { error?: { code?: unknown; message?: unknown } } | undefined;
    if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string') return `status ${res.status} without the error contract: ${res.text.slice(0, 300)}`;
    if (!/json/.test(get('content-type'))) return `status ${res.status} error body is not labelled JSON (${get('content-type')})`;
  }
  return undefined;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes exact bytes to the gateway and reads one response (the server closes or answers with a length).
 * fetch and node:http refuse invalid header bytes and normalise paths; attackers do not.
 */
export function rawRequest(port: number, bytes: Buffer | string, timeoutMs = 15_000): Promise<RawAnswer> {
  // A HEAD answer announces a Content-Length but carries no body.
  const head = (typeof bytes === 'string' ? bytes : bytes.toString('latin1')).startsWith('HEAD ');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      const data = Buffer.concat(chunks);
      const parsed = parseRawResponse(data, head);
      if (parsed) {
        settled = true;
        socket.destroy();
        resolve(parsed);
      } else if (err || socket.destroyed || socket.readableEnded) {
        settled = true;
        socket.destroy();
        reject(err ?? new Error(`incomplete response: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`));
      }
    };
    socket.setTimeout(timeoutMs, () => finish(new Error('raw request timed out')));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      finish();
    });
    socket.on('end', () => finish(new Error('connection closed before a full response')));
    socket.on('close', () => finish(new Error('connection closed before a full response')));
    socket.on('error', (err) => finish(err));
    socket.write(bytes);
  });
}

function parseRawResponse(data: Buffer, head: boolean): RawAnswer | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = data.subarray(end + 4);
  if (head) return { status, headers, body: '' };
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  if (length !== undefined && body.length < length) return undefined;
  if (length === undefined && headers['transfer-encoding'] === 'chunked') return undefined;
  return { status, headers, body: body.subarray(0, length ?? body.length).toString('utf8') };
}

export function dynamoClient(stack: Pick<Stack, 'dynamoEndpoint'>): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: stack.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({ requestTimeout: 10_000 }),
  });
}

export type Item = Record<string, AttributeValue>;

/** Every item of a table, read straight from dynalite (bounded). */
export async function scanTable(db: DynamoDBClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  for (let page = 0; page < 10_000; page++) {
    const out = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
    if (!start) return items;
  }
  throw new Error(`${table}: more than 10000 scan pages`);
}

/** Attribute order in dynalite's answers is not guaranteed: sort keys before hashing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A fingerprint of the owned tables a rejected request must not touch. */
export async function fingerprint(db: DynamoDBClient, tables: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const table of tables) {
    const items = (await scanTable(db, table)).map(canonicalJson).sort();
    hash.update(`${table}:${items.length}\n${items.join('\n')}\n`);
  }
  return hash.digest('hex');
}

/** Records every invocation that ended in a crash, timeout or unhandled function error. */
export function watchPool(stack: Pick<Stack, 'pool'>) {
  const failures: InvocationEvent[] = [];
  const listener = (event: InvocationEvent) => {
    if (event.phase === 'end' && event.error) failures.push(event);
  };
  stack.pool.on('invocation', listener);
  return {
    failures,
    describe: () => failures.map((f) => `${f.function} ${f.error?.code} ${f.error?.errorType}: ${f.error?.errorMessage}`).join('\n'),
    stop: () => stack.pool.off('invocation', listener),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` passes; false when it never did within `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 15_000, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}
