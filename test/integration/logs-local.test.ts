import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../scripts/logs/errors';
import { runLogs } from '../../scripts/logs/run';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

/**
 * Requests against the local stack, then `npm run logs` finding their lines in the CloudWatch-like
 * files the runtime writes under <dataDir>/logs: by request id, level, grep, and in follow mode.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct-horse-battery-staple-7731';
const USER = `logs-${Date.now().toString(36)}`;

let stack: LocalStack;
let dataDir: string;
let cookie: string;
let sessionToken: string;
let loginRequestId: string;
let createRequestId: string;

async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${route}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), origin: stack.url, ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { res, requestId: res.headers.get('x-request-id') ?? '', body: await res.text() };
}

async function logs(argv: string[], signal?: AbortSignal) {
  let stdout = '';
  let stderr = '';
  const code = await runLogs([...argv, '--data-dir', dataDir, '--no-color'], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    cwd: ROOT,
    signal,
  });
  return { code, stdout, stderr, lines: stdout.trim().split('\n').filter(Boolean) };
}

/** Log files are written asynchronously after the response: poll (bounded) until the lines are there. */
async function logsUntil(argv: string[], done: (r: Awaited<ReturnType<typeof logs>>) => boolean) {
  let result = await logs(argv);
  for (let i = 0; i < 50 && !done(result); i++) {
    await new Promise((r) => setTimeout(r, 100));
    result = await logs(argv);
  }
  return result;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'logs-local-'));
  stack = await startLocalStack({ dataDir, env: { SCRYPT_N: '1024' } });
  expect((await call('POST', '/api/register', { userName: USER, password: PASSWORD })).res.status).toBe(201);
  const login = await call('POST', '/api/login/account', { userName: USER, password: PASSWORD, type: 'account' });
  expect(login.res.status).toBe(200);
  const setCookie = login.res.headers.get('set-cookie') ?? '';
  cookie = setCookie.split(';')[0]!;
  sessionToken = cookie.slice(cookie.indexOf('=') + 1);
  loginRequestId = login.requestId;
  const created = await call('POST', '/api/todos', { title: 'read the logs' }, { cookie });
  expect(created.res.status).toBe(201);
  createRequestId = created.requestId;
  expect(createRequestId).not.toBe('');
  await call('POST', '/api/login/account', { userName: USER, password: 'wrong-password-123', type: 'account' });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('local log streams', () => {
  it('--request also finds the replicator lines that applied the request\'s change, by its trace id', async () => {
    // Act
    const result = await logsUntil(['all', '--request', createRequestId, '--json'], (r) => r.stdout.includes('change applied'));
    // Assess
    const records = result.lines.map((l) => JSON.parse(l)).filter((e) => e.message.startsWith('{')).map((e) => ({ fn: e.function, ...JSON.parse(e.message) }));
    const handled = records.find((r) => r.message === 'request handled');
    const applied = records.filter((r) => r.message === 'change applied');
    expect(handled.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.every((r) => r.fn === 'replicator' && r.traceId === handled.traceId && r.outcome === 'applied')).toBe(true);
    // Only this request's changes: the registration's replication ran in the same stack
    expect(records.every((r) => r.fn !== 'replicator' || r.traceId === handled.traceId)).toBe(true);
  });

  it('writes one file per instance with START, JSON lines and REPORT (init duration on a cold start), named after the version the live alias ran', async () => {
    const result = await logsUntil(['rule', '--request', createRequestId], (r) => r.stdout.includes('REPORT'));
    expect(result.code).toBe(EXIT.ok);
    const files = await readdir(path.join(dataDir, 'logs', 'rule'));
    expect(files.every((f) => /^\d{4}-\d\d-\d\d-\[1\][0-9a-f]+\.jsonl$/.test(f))).toBe(true);
    const events = (await readFile(path.join(dataDir, 'logs', 'rule', files[0]!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].message).toMatch(/^START RequestId: [0-9a-f-]{36} Version: 1$/);
    const report = events.find((e) => e.message.startsWith('REPORT'));
    expect(report.message).toMatch(/^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms\t$/);
    expect(events[0]).toMatchObject({ timestamp: expect.any(Number), logStream: expect.stringMatching(/^\d{4}\/\d\d\/\d\d\/\[1\]/), function: 'rule' });
  });

  it('logs the documented keys on every function line', async () => {
    const result = await logsUntil(['rule', '--request', createRequestId, '--json'], (r) => r.stdout.includes('request handled'));
    const records = result.lines.map((l) => JSON.parse(l).message).filter((m: string) => m.startsWith('{')).map((m: string) => JSON.parse(m));
    const handled = records.find((r: { message: string }) => r.message === 'request handled');
    expect(handled).not.toHaveProperty('xray_trace_id');
    expect(handled).toMatchObject({
      level: 'INFO',
      service: 'rule',
      function_name: 'rule',
      cold_start: expect.any(Boolean),
      function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      requestId: createRequestId,
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
      userId: expect.any(String),
    });
  });
  it('counts business metrics as EMF lines inside the invocation that produced them', async () => {
    const created = await logsUntil(['rule', '--request', createRequestId, '--json'], (r) => r.stdout.includes('REPORT'));
    // EMF lines carry no request id: they belong to the invocation by position in the stream.
    const messages = created.lines.map((l) => JSON.parse(l).message as string);
    const emf = JSON.parse(messages.find((m) => m.includes('"_aws"')) ?? '{}');
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'noops-todo', Metrics: [{ Name: 'TodosCreated', Unit: 'Count' }] });
    expect(emf.TodosCreated).toBe(1);
    const failed = await logsUntil(['user', '--grep', 'LoginsFailed'], (r) => r.code === EXIT.ok);
    expect(failed.lines[0]).toMatch(/user\s+METRIC\s+LoginsFailed=1/);
  });

  it('marks the first invocation of an instance as a cold start', async () => {
    const result = await logsUntil(['rule', '--request', createRequestId, '--json'], (r) => r.stdout.includes('request handled'));
    const handled = result.lines.map((l) => JSON.parse(l).message).find((m: string) => m.includes('"request handled"'));
    expect(JSON.parse(handled).cold_start).toBe(true);
  });
});

describe('npm run logs on the local runtime', () => {
  it('finds every line of one request by its x-request-id, grouped by invocation', async () => {
    const result = await logsUntil(['all', '--request', createRequestId], (r) => r.stdout.includes('REPORT'));
    expect(result.code).toBe(EXIT.ok);
    expect(result.lines[0]).toMatch(/^── rule invocation [0-9a-f-]{36} \(.*, \d+ lines, [\d.]+ ms\)$/);
    // The rule invocation's group; the replicator's lines for this request follow in their own group.
    const next = result.lines.findIndex((l, i) => i > 0 && l.startsWith('── '));
    const kinds = result.lines.slice(1, next < 0 ? undefined : next).map((l) => l.split(/\s{2,}/)[2]!.split(' ')[0]);
    expect(kinds[0]).toBe('START');
    expect(kinds).toContain('INFO');
    expect(kinds.at(-2)).toBe('END');
    expect(kinds.at(-1)).toBe('REPORT');
    expect(result.stdout).toContain(`req=${createRequestId}`);
    expect(result.stdout).not.toContain(`req=${loginRequestId}`);
  });

  it('filters by level', async () => {
    const result = await logsUntil(['user', '--level', 'warn'], (r) => r.stdout.includes('login failed'));
    expect(result.code).toBe(EXIT.ok);
    expect(result.lines.length).toBeGreaterThan(0);
    for (const line of result.lines) expect(line.split(/\s{2,}/)[2]).toMatch(/^(WARN|ERROR|CRITICAL)$/);
  });

  it('filters by grep', async () => {
    const result = await logsUntil(['all', '--grep', 'todo created'], (r) => r.code === EXIT.ok);
    expect(result.code).toBe(EXIT.ok);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toContain(`req=${createRequestId}`);
  });

  it('prints exact JSON events', async () => {
    const result = await logsUntil(['user', '--request', loginRequestId, '--json'], (r) => r.stdout.includes('REPORT'));
    for (const line of result.lines) expect(Object.keys(JSON.parse(line)).sort()).toEqual(['function', 'logStream', 'message', 'timestamp']);
  });

  it('answers an unknown function, an empty result and a missing data dir with their exit codes', async () => {
    const unknown = await logs(['billing']);
    expect(unknown.code).toBe(EXIT.unknownFunction);
    expect(unknown.stderr).toContain('unknown function "billing": choose one of replicator, rule, static, user or all');
    const empty = await logs(['all', '--request', 'no-such-request']);
    expect(empty.code).toBe(EXIT.noEvents);
    expect(empty.stderr).toContain('no log events for request no-such-request');
    let stderr = '';
    const missing = await runLogs(['all', '--data-dir', path.join(dataDir, 'absent')], { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, env: {}, cwd: ROOT });
    expect(missing).toBe(EXIT.noSource);
    expect(stderr).toContain('no local runtime data in');
  });

  it('follows new lines of a request as they are written (spawned CLI, stopped with Ctrl-C)', async () => {
    // Prepare: the follower starts before the request exists, so it must find it by the id the response returns.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/logs.ts', 'all', '--follow', '--since', '1s', '--data-dir', dataDir], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    await waitFor(() => stderr.includes('following'), 15_000);
    // Act
    const listed = await call('GET', '/api/todos', undefined, { cookie });
    await waitFor(() => stdout.includes(`req=${listed.requestId}`) && /REPORT/.test(stdout), 10_000);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    // Assess
    expect(await exited).toBe(0);
    expect(stdout).toMatch(new RegExp(`rule\\s+INFO\\s+request handled .*req=${listed.requestId}`));
  });
});

describe('secrets stay out of the logs', () => {
  it('a login logs neither the password nor the session token', async () => {
    await logsUntil(['user', '--request', loginRequestId], (r) => r.stdout.includes('REPORT'));
    const files = await collectFiles(path.join(dataDir, 'logs'));
    const text = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
    // The scan is not vacuous: the login itself is in the logs.
    expect(text).toContain('login succeeded');
    expect(text).toContain(loginRequestId);
    expect(sessionToken.length).toBeGreaterThan(40);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('wrong-password-123');
    expect(text).not.toContain(sessionToken);
    // A JWT's signature alone would identify the token too.
    expect(text).not.toContain(sessionToken.split('.')[2]!);
  });
});

async function collectFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? collectFiles(path.join(dir, e.name)) : [path.join(dir, e.name)])));
  return nested.flat();
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
