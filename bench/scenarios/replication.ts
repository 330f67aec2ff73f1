import { progress } from '../lib/log';
import { signIn, startBenchStack, type BenchStack } from '../lib/stack';
import { formatStat, round, stat } from '../lib/stats';
import { emptyResult, target, type BenchOptions, type ScenarioResult } from '../lib/types';
import type { BurstResult, LagResult } from '../load/replication';
import { runLoad } from '../load/run';
import { directConditionalPut, replicationBurst } from '../lib/replication-burst';
import type { LoadResult } from '../load/spec';

const RATES = [50, 200] as const;
const BATCH_SIZES = [10, 100, 500] as const;

/** Starts a stack whose event source mapping uses `batchSize` (StackOptions.changeConsumer; default: topology's). */
async function stackWith(options: BenchOptions, batchSize?: number): Promise<BenchStack> {
  return startBenchStack({ quick: options.quick, ...(batchSize ? { changeConsumer: { batchSize } } : {}) });
}

export async function replication({ options }: { options: BenchOptions }): Promise<ScenarioResult> {
  const result = emptyResult('replication', '3. Replication: lag and sustained changes/s');
  const durationSec = options.quick ? 1 : 8;
  const lag: Record<number, LagResult[]> = {};
  const stack = await stackWith(options);
  try {
    for (let r = 0; r < options.repeats; r++) {
      for (const rate of RATES) {
        progress(`replication lag at ${rate} writes/s, repeat ${r + 1}/${options.repeats}`);
        const session = await signIn(stack.url, `bench-lag-${rate}-${r}-${Date.now()}`);
        (lag[rate] ??= []).push(
          await runLoad<LagResult>({ kind: 'replication-lag', endpoint: stack.dynamoEndpoint, url: stack.url, headers: session.headers, replica: stack.tableName('rules-replica-for-user'), userId: session.userId, rate, durationSec, pollMs: 5 }),
        );
      }
    }
  } finally {
    await stack.stop();
  }
  // A full run puts 4,000 records (2 shards: several batches each even at batch size 500); a quick one 400.
  const count = options.quick ? 400 : 4000;
  const bursts: Record<number, BurstResult[]> = {};
  const direct: Record<number, LoadResult[]> = {};
  for (const batchSize of BATCH_SIZES) {
    const s = await stackWith(options, batchSize);
    try {
      const used = s.replication.status().settings.batchSize;
      if (used !== batchSize) throw new Error(`asked for batch size ${batchSize}, the event source mapping uses ${used}`);
      for (let r = 0; r < options.repeats; r++) {
        progress(`replication burst of ${count} changes, batch size ${batchSize}, repeat ${r + 1}/${options.repeats}`);
        (bursts[batchSize] ??= []).push(await replicationBurst(s, { userPrefix: 'bench-burst', count, timeoutSec: options.quick ? 20 : 60 }, 90_000));
        (direct[batchSize] ??= []).push(await directConditionalPut(s, options.quick));
      }
    } finally {
      await s.stop();
    }
  }
  const lagRows = RATES.map((rate) => {
    const runs = lag[rate] ?? [];
    return [`${rate}/s`, formatStat(stat(runs.map((x) => x.achievedRate)), 0), formatStat(stat(runs.map((x) => x.p50)), 1), formatStat(stat(runs.map((x) => x.p99)), 1), formatStat(stat(runs.map((x) => x.max)), 0), `${runs.reduce((n, x) => n + x.seen, 0)} / ${runs.reduce((n, x) => n + x.writes, 0)}`];
  });
  result.tables.push({ title: `Lag from the owner's write to the replica (ms), ${durationSec} s of steady writes`, columns: ['offered', 'achieved writes/s', 'p50', 'p99', 'max', 'seen / written'], rows: lagRows });
  const sizes = Object.keys(bursts).map(Number);
  const ratio = (b: number) => stat((bursts[b] ?? []).map((x, i) => x.replicatedPerSec / (direct[b]?.[i]?.requestsPerSec ?? Number.NaN)));
  result.tables.push({
    title: `Sustained replication: ${count} change records put on the stream at once, until all are in the replica`,
    columns: ['batch size', 'records put on the stream/s', 'replicated changes/s', 'direct conditional PutItem/s', 'replicated / direct', 'complete'],
    rows: sizes.map((b) => [b, formatStat(stat(bursts[b]!.map((x) => x.writesPerSec)), 0), formatStat(stat(bursts[b]!.map((x) => x.replicatedPerSec)), 0), formatStat(stat(direct[b]!.map((x) => x.requestsPerSec)), 0), formatStat(ratio(b), 2), bursts[b]!.every((x) => x.complete) ? 'yes' : 'NO']),
  });
  result.charts.push({ id: 'replication-lag', title: 'Replication lag by write rate', unit: 'ms', groups: RATES.map((rate) => ({ label: `${rate} writes/s`, bars: [{ series: 'p50', value: stat((lag[rate] ?? []).map((x) => x.p50)) }, { series: 'p99', value: stat((lag[rate] ?? []).map((x) => x.p99)) }] })) });
  result.charts.push({ id: 'replication-throughput', title: 'Replicated changes/s vs direct conditional PutItem/s', unit: 'changes/s', groups: sizes.map((b) => ({ label: `batch ${b}`, bars: [{ series: 'replicated', value: stat(bursts[b]!.map((x) => x.replicatedPerSec)) }, { series: 'direct PutItem', value: stat(direct[b]!.map((x) => x.requestsPerSec)) }] })) });
  result.targets.push(target('replication-lag-p99', 'replication lag p99 at 50 writes/s', '<=', 250, 'ms', round(stat((lag[50] ?? []).map((x) => x.p99)).median, 1)));
  const best = Math.max(...sizes.map((b) => ratio(b).median).filter(Number.isFinite));
  result.targets.push(target('replication-throughput', 'sustained replication / direct conditional PutItem (best batch size)', '>=', 0.7, 'ratio', round(best, 2)));
  result.notes.push('Lag: todos created through the API at a steady rate (open loop), so each change takes the real path: rule function, streaming-destination proxy, Kinesis, event source mapping, replicator. Lag runs from the 201 to the first replica poll (every 5 ms, BatchGetItem of the outstanding keys) that sees the item.');
  result.notes.push(`Batch size: each row runs its own stack with StackOptions.changeConsumer.batchSize set (checked in the mapping's status); other event source mapping settings are topology's CHANGE_CONSUMER.`);
  result.notes.push('Throughput: change records in the streaming destination\'s exact format are put on the stream in PutRecords batches (much faster than the replicator drains them), so the figure is what the event source mapping and the replicator sustain; the reference is conditional PutItem straight into dynalite at concurrency 16.');
  result.data = { lag, bursts, direct };
  return result;
}
