import autocannon from 'autocannon';
import { signIn, startBenchStack } from './lib/stack';

/**
 * API throughput with tracing on (every request sampled and exported to the local collector) versus off
 * (no endpoint: spans made but nothing exported), POST /api/todos and GET /api/todos through the
 * gateway, alternating runs so drift hits both: `tsx bench/tracing-overhead.ts [seconds] [rounds]`.
 */
const seconds = Number(process.argv[2] ?? 6);
const rounds = Number(process.argv[3] ?? 2);
// "Off" sends nothing: spans are still made (they carry the context into items and logs) but not exported.
const modes = { on: {}, off: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' } };
const results: Record<string, number[]> = { 'on GET': [], 'off GET': [], 'on POST': [], 'off POST': [] };
for (let round = 0; round < rounds; round++) {
  for (const [mode, env] of Object.entries(modes)) {
    const stack = await startBenchStack({ quick: true, env });
    try {
      const session = await signIn(stack.url, `bench-${mode}-${round}`);
      const headers = { ...session.headers, cookie: `session=${session.token}`, 'content-type': 'application/json' };
      for (const [label, request] of [['POST', { method: 'POST' as const, path: '/api/todos', body: JSON.stringify({ title: 'bench' }) }], ['GET', { method: 'GET' as const, path: '/api/todos?limit=20' }]] as const) {
        const out = await autocannon({ url: stack.url, connections: 16, duration: seconds, headers, requests: [request] });
        results[`${mode} ${label}`]!.push(out.requests.average);
        if (out.non2xx) console.error(`${mode} ${label}: ${out.non2xx} non-2xx`);
      }
    } finally {
      await stack.stop();
    }
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const label of ['GET', 'POST']) {
  const on = mean(results[`on ${label}`]!);
  const off = mean(results[`off ${label}`]!);
  console.log(`${label} /api/todos: tracing off ${off.toFixed(0)} req/s, on ${on.toFixed(0)} req/s, cost ${(((off - on) / off) * 100).toFixed(1)}%  (runs: off ${results[`off ${label}`]!.map((x) => x.toFixed(0)).join(', ')}; on ${results[`on ${label}`]!.map((x) => x.toFixed(0)).join(', ')})`);
}
