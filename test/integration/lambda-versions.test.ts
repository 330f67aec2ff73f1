import { appendFile, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type Gateway, type RequestInfo } from '../../local/gateway';
import { FunctionPool, type InvocationEvent } from '../../local/lambda';
import { startLine } from '../../local/logs/platform-lines';
import { requestLine } from '../../local/logs/view';

const probe = path.join(import.meta.dirname, 'fixtures/probe-function.mjs');
const routes = [{ routeKey: 'GET /api/rule', function: 'rule' }];

let dir: string;
let pool: FunctionPool;
let gateway: Gateway;
const requests: RequestInfo[] = [];
const invocations: InvocationEvent[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lambda-versions-'));
  pool = new FunctionPool({ functions: [{ name: 'rule', bundle: probe, timeoutMs: 5000, memoryMb: 128, env: { PATH: process.env.PATH ?? '', AWS_LAMBDA_FUNCTION_NAME: 'rule' } }], maxWorkersPerFunction: 2 });
  pool.on('invocation', (e) => void invocations.push(e));
  gateway = await startGateway({ port: 0, routes, onRequest: (r) => void requests.push(r) });
  gateway.serve(pool);
});
afterEach(async () => {
  await gateway.stop();
  await pool.stop();
  await rm(dir, { recursive: true, force: true });
  requests.length = 0;
  invocations.length = 0;
});

/** The probe with a marker appended (new code, so PublishVersion makes a new version), in folder `folder`. */
async function newCode(marker: string, folder = marker): Promise<string> {
  const file = path.join(dir, folder, 'index.mjs');
  await mkdir(path.dirname(file), { recursive: true });
  await copyFile(probe, file);
  await appendFile(file, `\n// ${marker}\n`);
  return file;
}

describe('function versions behind the live alias', () => {
  it('publishes numbered versions, only for new code, and routes by the alias weights', async () => {
    // Act
    const v2 = await pool.publishVersion('rule', await newCode('v2'));
    const same = await pool.publishVersion('rule', await newCode('v2', 'v2-again'));
    // Another file of the package (the static function's web app) is new code too.
    const withAsset = await newCode('v2', 'v2-asset');
    await writeFile(path.join(path.dirname(withAsset), 'index.html'), '<p>changed</p>');
    const v3 = await pool.publishVersion('rule', withAsset);
    // Assess
    expect([v2, same, v3]).toEqual(['2', '2', '3']);
    expect(pool.alias('rule')).toEqual({ version: '1', weights: {}, versions: ['1', '2', '3'] });
    expect((await pool.invokeVersioned('rule', {})).executedVersion).toBe('1');
    pool.updateAlias('rule', { version: '1', weights: { '2': 1 } });
    expect((await pool.invokeVersioned('rule', {})).executedVersion).toBe('2');
    expect((await pool.invokeVersioned('rule', {}, { qualifier: '1' })).executedVersion).toBe('1');
    expect(() => pool.updateAlias('rule', { version: '4', weights: {} })).toThrow(/version 4 does not exist/);
  });

  it('tells the instance its version (environment, context, log stream) and reports it in START and the gateway line', async () => {
    // Prepare
    await pool.publishVersion('rule', await newCode('v2'));
    pool.updateAlias('rule', { version: '2', weights: {} });
    // Act
    const res = await fetch(`${gateway.url}/api/rule`);
    const answer = (await res.json()) as { env: Record<string, string>; context: { functionVersion: string; logStreamName: string } };
    // Assess
    expect(answer.env.AWS_LAMBDA_FUNCTION_VERSION).toBe('2');
    expect(answer.context.functionVersion).toBe('2');
    expect(answer.context.logStreamName).toMatch(/^\d{4}\/\d\d\/\d\d\/\[2\][0-9a-f]{32}$/);
    expect(requests).toEqual([expect.objectContaining({ method: 'GET', path: '/api/rule', function: 'rule', version: '2', statusCode: 200 })]);
    expect(JSON.parse(requestLine(requests[0]!))).toMatchObject({ level: 'INFO', message: 'GET /api/rule 200 → rule:2' });
    const start = invocations.find((e) => e.phase === 'start')!;
    expect(startLine(start.awsRequestId, start.version)).toMatch(/^START RequestId: [0-9a-f-]{36} Version: 2$/);
  });

  it('lets invocations in flight finish on the version they started on when the alias moves', async () => {
    // Prepare
    await pool.publishVersion('rule', await newCode('v2'));
    const slow = fetch(`${gateway.url}/api/rule?sleep=300`).then(async (r) => ({ status: r.status, body: (await r.json()) as { env: Record<string, string> } }));
    for (let i = 0; i < 100 && pool.workers('rule').busy === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    // Act
    pool.updateAlias('rule', { version: '2', weights: {} });
    const after = (await (await fetch(`${gateway.url}/api/rule`)).json()) as { env: Record<string, string> };
    // Assess
    const before = await slow;
    expect(before.status).toBe(200);
    expect(before.body.env.AWS_LAMBDA_FUNCTION_VERSION).toBe('1');
    expect(after.env.AWS_LAMBDA_FUNCTION_VERSION).toBe('2');
  });
});
