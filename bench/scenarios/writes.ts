import { progress } from '../lib/log';
import { batchWrite, documentClient, todoItems } from '../lib/seed';
import { signIn, startBenchStack, type Session } from '../lib/stack';
import { formatStat, ratioStat, round, stat } from '../lib/stats';
import { emptyResult, target, type BenchOptions, type ScenarioResult } from '../lib/types';
import { runLoad } from '../load/run';
import type { LoadResult } from '../load/spec';

const SIZES = [100, 1_000, 10_000] as const;

/**
 * POST and PATCH latency with 100, 1,000 and 10,000 todos already in the account: writes touch one
 * item, so list size should not matter (unlike the lesson's whole-list JSON blob).
 */
export async function writes({ options }: { options: BenchOptions }): Promise<ScenarioResult> {
  const result = emptyResult('writes', '2. Write cost versus list size');
  const sizes = options.quick ? [10, 100] : [...SIZES];
  const stack = await startBenchStack({ quick: options.quick });
  const db = documentClient(stack.dynamoEndpoint);
  try {
    const accounts: Array<{ size: number; session: Session; ids: string[] }> = [];
    for (const size of sizes) {
      const session = await signIn(stack.url, `bench-writes-${size}-${Date.now()}`);
      const items = todoItems(session.userId, size);
      progress(`writes: seeding ${size} todos`);
      await batchWrite(db, stack.tableName('rules'), items);
      accounts.push({ size, session, ids: items.map((i) => i.key as string) });
    }
    // Seeded straight into dynalite, not through the streaming destination: no replication work overlaps the timing.
    const count = options.quick ? 10 : 150;
    const samples: Record<string, { post: LoadResult[]; patch: LoadResult[] }> = {};
    for (let r = 0; r < options.repeats; r++) {
      for (const { size, session, ids } of accounts) {
        progress(`writes: ${size} todos, repeat ${r + 1}/${options.repeats}`);
        const s = (samples[size] ??= { post: [], patch: [] });
        s.post.push(await runLoad({ kind: 'http-seq', url: stack.url, target: { method: 'POST', paths: ['/api/todos'], headers: session.headers, body: '{"title":"bench {{seq}}"}' }, count, warmup: 5 }));
        s.patch.push(await runLoad({ kind: 'http-seq', url: stack.url, target: { method: 'PATCH', paths: ids.slice(0, 200).map((id) => `/api/todos/${id}`), headers: session.headers, body: '{"title":"patched {{seq}}"}' }, count, warmup: 5 }));
      }
    }
    const smallest = samples[sizes[0]!]!;
    const rows = sizes.map((size) => {
      const s = samples[size]!;
      return [size, formatStat(stat(s.post.map((x) => x.p50)), 2), formatStat(stat(s.post.map((x) => x.p99)), 2), formatStat(ratioStat(s.post.map((x) => x.p50), smallest.post.map((x) => x.p50)), 2), formatStat(stat(s.patch.map((x) => x.p50)), 2), formatStat(stat(s.patch.map((x) => x.p99)), 2), formatStat(ratioStat(s.patch.map((x) => x.p50), smallest.patch.map((x) => x.p50)), 2), s.post.reduce((n, x) => n + x.errors + x.non2xx, 0) + s.patch.reduce((n, x) => n + x.errors + x.non2xx, 0)];
    });
    result.tables.push({ title: `Sequential write latency (ms) by todos in the account (${count} requests per repeat)`, columns: ['todos', 'POST p50', 'POST p99', `POST p50 / ${sizes[0]}`, 'PATCH p50', 'PATCH p99', `PATCH p50 / ${sizes[0]}`, 'errors + non-2xx'], rows });
    result.charts.push({
      id: 'writes',
      title: 'Write latency p50 by todos in the account',
      unit: 'ms',
      groups: sizes.map((size) => ({ label: `${size} todos`, bars: [{ series: 'POST', value: stat(samples[size]!.post.map((x) => x.p50)) }, { series: 'PATCH', value: stat(samples[size]!.patch.map((x) => x.p50)) }] })),
    });
    const biggest = samples[sizes[sizes.length - 1]!]!;
    for (const kind of ['post', 'patch'] as const) {
      const ratio = ratioStat(biggest[kind].map((x) => x.p50), smallest[kind].map((x) => x.p50));
      result.targets.push(target(`writes-${kind}`, `${kind.toUpperCase()} p50 at ${sizes[sizes.length - 1]} todos / at ${sizes[0]}`, '<=', 1.25, 'x', round(ratio.median, 2)));
    }
    result.data = { samples };
  } finally {
    db.destroy();
    await stack.stop();
  }
  return result;
}
