import autocannon from 'autocannon';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { percentile } from '../lib/stats';
import type { DynamoOp, HttpTarget, LoadResult, LoadSpec } from './spec';

/**
 * The load generator runs in its own process so that it never shares an event loop with the stack
 * under test (or with dynalite, which the bench process hosts).
 */
let seq = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

function fill(value: unknown, pick: () => string): unknown {
  if (typeof value === 'string') return value.includes('{{') ? value.replace(/\{\{seq\}\}/g, unique).replace(/\{\{pick\}\}/g, pick) : value;
  if (Array.isArray(value)) return value.map((v) => fill(v, pick));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, pick)]));
  return value;
}

function summary(latencies: number[], seconds: number, errors: number, non2xx = 0): LoadResult {
  return {
    requestsPerSec: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    non2xx,
    total: latencies.length + errors + non2xx,
  };
}

async function runAutocannon(spec: Extract<LoadSpec, { kind: 'autocannon' }>): Promise<LoadResult> {
  const { target } = spec;
  let i = 0;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSec,
    timeout: 10,
    requests: [
      {
        method: target.method,
        headers: target.headers ?? {},
        setupRequest: (req) => ({
          ...req,
          path: target.paths[i++ % target.paths.length] as string,
          ...(target.body ? { body: target.body.replace(/\{\{seq\}\}/g, unique) } : {}),
        }),
      },
    ],
  });
  return {
    requestsPerSec: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result['2xx'] + result.non2xx + result.errors + result.timeouts,
  };
}

async function runSdk(spec: Extract<LoadSpec, { kind: 'sdk' }>): Promise<LoadResult> {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = spec.endpoint;
  // The same client settings the functions use (keep-alive, retries), so only the hop differs.
  const { createDocumentClient } = await import('../../lambdas/shared/clients');
  const lib = await import('@aws-sdk/lib-dynamodb');
  const client = createDocumentClient();
  const commands = { Query: lib.QueryCommand, Get: lib.GetCommand, Put: lib.PutCommand, Update: lib.UpdateCommand, Delete: lib.DeleteCommand };
  const picks = spec.picks ?? [''];
  let p = 0;
  const pick = () => picks[p++ % picks.length] as string;
  const run = async (op: DynamoOp) => {
    const Command = commands[op.command] as new (input: unknown) => Parameters<typeof client.send>[0];
    await client.send(new Command(fill(op.input, pick)));
  };
  for (const op of spec.ops) await run(op).catch(() => undefined); // warm the connection
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + spec.durationSec * 1000;
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          for (const op of spec.ops) await run(op);
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  client.destroy();
  return summary(latencies, (performance.now() - started) / 1000, errors);
}

/** Sequential requests timed with sub-millisecond resolution (autocannon rounds latencies to 1 ms). */
async function runSequential(url: string, target: HttpTarget, count: number, warmup: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const body = target.body?.replace(/\{\{seq\}\}/g, unique);
      const req = http.request(new URL(target.paths[i % target.paths.length] as string, url), { method: target.method, headers: target.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < warmup; i++) await once(i);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    try {
      const status = await once(i);
      if (status >= 200 && status < 300) latencies.push(performance.now() - t0);
      else non2xx++;
    } catch {
      errors++;
    }
  }
  agent.destroy();
  return summary(latencies, (performance.now() - started) / 1000, errors, non2xx);
}

async function runHandler(spec: Extract<LoadSpec, { kind: 'handler' }>): Promise<LoadResult> {
  Object.assign(process.env, spec.env);
  const mod = (await import(pathToFileURL(spec.bundle).href)) as { handler: (e: unknown, c: unknown) => Promise<{ statusCode?: number }> };
  const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 10_000 };
  for (let i = 0; i < spec.warmup; i++) await mod.handler(structuredClone(spec.event), context);
  const latencies: number[] = [];
  let non2xx = 0;
  const started = performance.now();
  for (let i = 0; i < spec.count; i++) {
    const t0 = performance.now();
    const result = await mod.handler(structuredClone(spec.event), context);
    if ((result.statusCode ?? 200) < 300) latencies.push(performance.now() - t0);
    else non2xx++;
  }
  return summary(latencies, (performance.now() - started) / 1000, 0, non2xx);
}

async function runBaseline(spec: Extract<LoadSpec, { kind: 'http-baseline' }>): Promise<LoadResult> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await runSequential(`http://127.0.0.1:${port}`, { method: 'GET', paths: ['/'] }, spec.count, spec.warmup);
  } finally {
    server.close();
  }
}

async function runReplication(spec: Extract<LoadSpec, { kind: 'replication-lag' | 'replication-burst' }>): Promise<unknown> {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = spec.endpoint;
  const { createDocumentClient } = await import('../../lambdas/shared/clients');
  const { runBurst, runLag } = await import('./replication');
  const db = createDocumentClient();
  return spec.kind === 'replication-lag' ? runLag(db, spec) : runBurst(db, spec);
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const spec = JSON.parse(Buffer.concat(chunks).toString('utf8')) as LoadSpec;
  const result =
    spec.kind === 'autocannon' ? await runAutocannon(spec)
    : spec.kind === 'sdk' ? await runSdk(spec)
    : spec.kind === 'http-seq' ? await runSequential(spec.url, spec.target, spec.count, spec.warmup)
    : spec.kind === 'handler' ? await runHandler(spec)
    : spec.kind === 'http-baseline' ? await runBaseline(spec)
    : await runReplication(spec);
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
  // Keep-alive sockets and imported bundles may hold the loop open.
  process.exit(0);
}

await main();
