import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { appendFile, copyFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { functionDir } from '../../bundle';
import { parseReleaseArgs } from '../../scripts/release/args';
import { EXIT } from '../../scripts/release/errors';
import { runLocalRelease } from '../../scripts/release/local';
import { compare, namedReplicaFeed } from '../../scripts/replicas/sync';
import type { FunctionSpec } from '../../topology/index';
import { replicas } from '../../topology/index';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';
import { ApiClient } from './replication-api-client';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const env = { SCRYPT_N: '1024', LOG_LEVEL: 'ERROR', LOGIN_MAX_FAILURES: '1000' };

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** A "build" of the working tree for the release: the current bundle with a marker (new code), or a broken one. */
const builds = {
  changed: (marker: string) => async (spec: FunctionSpec, outdir: string) => {
    await cp(functionDir(spec.name), outdir, { recursive: true });
    await appendFile(path.join(outdir, 'index.mjs'), `\n// ${marker}\n`);
    return path.join(outdir, 'index.mjs');
  },
  broken: async (_spec: FunctionSpec, outdir: string) => {
    await copyFile(path.join(FIXTURES, 'broken-function.mjs'), path.join(outdir, 'index.mjs'));
    return path.join(outdir, 'index.mjs');
  },
};

async function release(s: LocalStack, argv: string[], build?: (spec: FunctionSpec, outdir: string) => Promise<string>) {
  const lines: string[] = [];
  const code = await runLocalRelease(parseReleaseArgs(['--local', '--no-color', ...argv]), {
    control: s.control,
    stackDir: path.dirname(s.logsDir),
    io: { write: (line) => void lines.push(line), color: false },
    ...(build ? { build } : {}),
  });
  return { code, lines };
}

/** `concurrency` callers sending requests back to back until `done()` (at most `max` each): each answer's status (0: no answer). */
async function load(url: string, concurrency: number, done: () => boolean, max = 5_000): Promise<number[]> {
  const statuses: number[] = [];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = 0; i < max && !done(); i++) {
      statuses.push(await fetch(url, { signal: AbortSignal.timeout(15_000) }).then(async (r) => (await r.arrayBuffer(), r.status), () => 0));
    }
  }));
  return statuses;
}

async function aliasOf(s: LocalStack, fn: string) {
  const res = await fetch(`${s.control.url}/functions/${fn}/alias`, { headers: { authorization: `Bearer ${s.control.token}` } });
  return (await res.json()) as { version: string; weights: Record<string, number>; versions: string[] };
}

/** The versions of `fn` that ran invocations, from the stack's own metric samples. */
async function answeredBy(s: LocalStack, fn: string): Promise<string[]> {
  const res = await fetch(`${s.control.url}/metrics`, { headers: { authorization: `Bearer ${s.control.token}` } });
  const { samples } = (await res.json()) as { samples: Array<{ kind: string; function?: string; version?: string }> };
  return [...new Set(samples.filter((x) => x.kind === 'invocation' && x.function === fn).map((x) => x.version!))].sort();
}

describe('npm run release -- --local', () => {
  it('rolls a broken version back on its own alarms, with failed requests bounded by its 10 % share', async () => {
    // Prepare: the rule function under steady load (unauthenticated: version 1 answers 401)
    stack = await startLocalStack({ env });
    await stack.pool.prewarm('rule', 2);
    let releasing = true;
    const concurrency = 4;
    const traffic = load(`${stack.url}/api/todos`, concurrency, () => !releasing);
    // Act: a canary of 10 % for 5 minutes, 60 times faster
    const result = await release(stack, ['--function', 'rule', '--config', 'CodeDeployDefault.LambdaCanary10Percent5Minutes', '--speed', '60'], builds.broken);
    releasing = false;
    const statuses = await traffic;
    // Assess
    expect(result.code).toBe(EXIT.rolledBack);
    expect(result.lines.join('\n')).toMatch(/rule .*Stopped .*ALARM noops-todo-local-rule-version-errors/);
    expect(await aliasOf(stack, 'rule')).toMatchObject({ version: '1', weights: {}, versions: ['1', '2'] });
    const failures = statuses.filter((s) => s >= 500 || s === 0).length;
    expect(statuses.filter((s) => s !== 401 && s < 500)).toEqual([]);
    // The alarm fired on real failures; each failure is a request the alias gave version 2, at 10 %:
    // at most its share of what was sent (with a four-sigma binomial margin) plus those in flight when it fired.
    const share = 0.1;
    const bound = share * statuses.length + 4 * Math.sqrt(statuses.length * share * (1 - share)) + concurrency;
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThanOrEqual(bound);
    // After the rollback every request is answered by version 1 again.
    expect(await load(`${stack.url}/api/todos`, 2, () => false, 10)).toEqual(Array(20).fill(401));
  });

  it('promotes a good version to 100 % step by step while every request in flight succeeds', async () => {
    // Prepare
    stack = await startLocalStack({ env });
    await stack.pool.prewarm('static', 2);
    let releasing = true;
    const traffic = load(`${stack.url}/`, 6, () => !releasing);
    // Act: linear 10 % a minute, 600 times faster: ten shifts in about a second
    const result = await release(stack, ['--function', 'static', '--config', 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute', '--speed', '600'], builds.changed('good v2'));
    releasing = false;
    const statuses = await traffic;
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(result.lines.at(-1)).toMatch(/^static +\[█{20}\] +100% on v2 \(from v1\)  Succeeded  alarms ok$/);
    expect(await aliasOf(stack, 'static')).toMatchObject({ version: '2', weights: {} });
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await answeredBy(stack, 'static')).toEqual(['1', '2']);
    // A second release of the same tree publishes nothing and leaves the alias alone.
    const again = await release(stack, ['--function', 'static', '--speed', '600'], builds.changed('good v2'));
    expect(again.code).toBe(EXIT.ok);
    expect(again.lines).toContain('static      already live on v2');
    // And rollback takes it back to the version that release replaced, at once.
    const back = await release(stack, ['rollback', '--function', 'static']);
    expect(back.code).toBe(EXIT.ok);
    expect(await aliasOf(stack, 'static')).toMatchObject({ version: '1', weights: {} });
  });

  it('keeps the replicas converging while the replicator switches versions (nothing lost, nothing applied twice)', async () => {
    // Prepare: a user writing todos the whole time
    stack = await startLocalStack({ env });
    const api = new ApiClient(stack.url);
    await api.signUp('rehearsal');
    let releasing = true;
    const written: string[] = [];
    const writes = (async () => {
      for (let i = 0; i < 500 && (releasing || i < 20); i++) {
        const created = await api.request('POST', '/api/todos', { title: `todo ${i}` });
        expect(created.status).toBe(201);
        written.push(created.json.id);
        if (i % 3 === 0) expect((await api.request('PATCH', `/api/todos/${created.json.id}`, { completed: true })).status).toBe(200);
        if (i % 5 === 0) expect((await api.request('DELETE', `/api/todos/${created.json.id}`)).status).toBe(204);
      }
    })();
    // Act: the stack canaries, so the replicator switches at once and is watched for the canary's 5 minutes
    const result = await release(stack, ['--function', 'replicator', '--speed', '300'], builds.changed('replicator v2'));
    releasing = false;
    await writes;
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(result.lines.join('\n')).toMatch(/replicator .* with CodeDeployDefault\.LambdaAllAtOnce, then 5 min watching its alarms/);
    expect(await aliasOf(stack, 'replicator')).toMatchObject({ version: '2', weights: {} });
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    const db = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
    try {
      for (const replica of replicas) {
        expect(await compare(db, namedReplicaFeed(replica, stack.tableName, stack.tableName('replication-state')))).toEqual([]);
      }
    } finally {
      db.destroy();
    }
    expect(written.length).toBeGreaterThanOrEqual(20);
    // Both versions applied batches: the switch happened while changes were flowing.
    expect(await answeredBy(stack, 'replicator')).toEqual(['1', '2']);
  });

  it('answers the control endpoint only with the stack file\'s token', async () => {
    // Prepare
    stack = await startLocalStack({ env });
    // Act
    const anonymous = await fetch(`${stack.control.url}/functions/rule/alias`, { method: 'PUT', body: JSON.stringify({ version: '1', weights: {} }) });
    const wrong = await fetch(`${stack.control.url}/functions/rule/alias`, { headers: { authorization: 'Bearer nope' } });
    const bad = await fetch(`${stack.control.url}/functions/rule/alias`, { method: 'PUT', headers: { authorization: `Bearer ${stack.control.token}` }, body: JSON.stringify({ version: '7', weights: {} }) });
    // Assess
    expect([anonymous.status, wrong.status]).toEqual([401, 401]);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'BadRequest', message: 'rule:live: version 7 does not exist' } });
    expect(new URL(stack.control.url).hostname).toBe('127.0.0.1');
  });
});
