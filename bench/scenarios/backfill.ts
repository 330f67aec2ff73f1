import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { backfill, compare, recheck, namedReplicaFeed, type BackfillProgress, type Difference, type NamedReplicaFeed } from '../../scripts/replicas/sync';
import { replicas } from '../../topology/index';
import { progress } from '../lib/log';
import { batchWrite, documentClient, todoItems } from '../lib/seed';
import { signIn, startBenchStack } from '../lib/stack';
import { formatStat, round, stat } from '../lib/stats';
import { emptyResult, target, type BenchOptions, type ScenarioResult } from '../lib/types';
import type { LagResult } from '../load/replication';
import { runLoad } from '../load/run';
import type { LoadResult } from '../load/spec';

const REPLICA = 'rules-replica-for-user';
const RATE = 50;

interface Run {
  mode: 'idle' | 'writes';
  items: number;
  /** From the backfill call to the end of its pass. */
  backfillMs: number;
  /** From the backfill call until verify found no difference (re-reading differences, as `verify` does). */
  verifiedMs: number;
  itemsPerSec: number;
  result: BackfillProgress;
  /** Writes achieved by the concurrent load (writes mode). */
  achievedRate?: number;
}

/**
 * A new replica online: 3,000 todos seeded straight into the source (so the stream never carried them,
 * as for a replica added to a running stack), then `backfill` + `verify`, once on an idle stack and once
 * while todos are created through the API at 50/s. The reference is conditional PutItem straight into
 * dynalite at concurrency 16, the same write a backfill makes per item.
 */
export async function backfillScenario({ options }: { options: BenchOptions }): Promise<ScenarioResult> {
  const result = emptyResult('backfill', '7. Backfill: a new replica verified clean after the command');
  const count = options.quick ? 300 : 3000;
  const runs: Run[] = [];
  const direct: LoadResult[] = [];
  for (let r = 0; r < options.repeats; r++) {
    for (const mode of ['idle', 'writes'] as const) {
      progress(`backfill of ${count} items, ${mode === 'idle' ? 'idle stack' : `${RATE} writes/s`}, repeat ${r + 1}/${options.repeats}`);
      const stack = await startBenchStack({ quick: options.quick });
      const doc = documentClient(stack.dynamoEndpoint);
      const db = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      try {
        const pair = namedReplicaFeed(replicas.find((x) => x.name === REPLICA)!, (logical) => stack.tableName(logical as never), stack.tableName('replication-state'));
        await batchWrite(doc, stack.tableName('rules'), todoItems(`bench-backfill-${randomUUID()}`, count));
        let load: Promise<LagResult> | undefined;
        if (mode === 'writes') {
          const session = await signIn(stack.url, `bench-backfill-load-${r}-${Date.now()}`);
          load = runLoad<LagResult>({ kind: 'replication-lag', endpoint: stack.dynamoEndpoint, url: stack.url, headers: session.headers, replica: stack.tableName(REPLICA), userId: session.userId, rate: RATE, durationSec: options.quick ? 2 : 8, pollMs: 20 });
          // Let the writes reach their rate before the backfill starts.
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        const t0 = performance.now();
        const done = await backfill(db, pair);
        const backfillMs = performance.now() - t0;
        const verifiedMs = (await verifiedClean(db, pair, 20_000)) - t0;
        const achievedRate = load ? (await load).achievedRate : undefined;
        const items = done.scanned;
        runs.push({ mode, items, backfillMs, verifiedMs, itemsPerSec: (items * 1000) / backfillMs, result: done, ...(achievedRate !== undefined ? { achievedRate } : {}) });
        if (mode === 'idle') {
          direct.push(
            await runLoad({
              kind: 'sdk',
              endpoint: stack.dynamoEndpoint,
              ops: [{ command: 'Put', input: { TableName: stack.tableName(REPLICA), Item: { userId: `bench-direct-${randomUUID()}`, key: 'direct-{{seq}}', status: 1, version: 1 }, ConditionExpression: 'attribute_not_exists(#v) OR #v < :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': 1 } } }],
              connections: 16,
              durationSec: options.quick ? 1 : 3,
            }),
          );
        }
      } finally {
        db.destroy();
        doc.destroy();
        await stack.stop();
      }
    }
  }
  const of = (mode: Run['mode']) => runs.filter((x) => x.mode === mode);
  const directRate = stat(direct.map((d) => d.requestsPerSec));
  result.tables.push({
    title: `Backfill of a replica of ${count} items, from the call to verify clean (ms)`,
    columns: ['stack', 'backfill pass', 'verified clean', 'items/s', 'direct conditional PutItem/s', 'items/s / direct', 'concurrent writes/s'],
    rows: (['idle', 'writes'] as const).map((mode) => {
      const rs = of(mode);
      return [
        mode === 'idle' ? 'idle' : `${RATE} writes/s through the API`,
        formatStat(stat(rs.map((x) => x.backfillMs)), 0),
        formatStat(stat(rs.map((x) => x.verifiedMs)), 0),
        formatStat(stat(rs.map((x) => x.itemsPerSec)), 0),
        formatStat(directRate, 0),
        formatStat(stat(rs.map((x) => x.itemsPerSec / directRate.median)), 2),
        mode === 'idle' ? '—' : formatStat(stat(rs.map((x) => x.achievedRate ?? Number.NaN)), 0),
      ];
    }),
  });
  result.charts.push({
    id: 'backfill',
    title: `Backfill of ${count} items: from the call to verify clean`,
    unit: 'ms',
    groups: (['idle', 'writes'] as const).map((mode) => ({ label: mode === 'idle' ? 'idle' : `${RATE} writes/s`, bars: [{ series: 'backfill pass', value: stat(of(mode).map((x) => x.backfillMs)) }, { series: 'verified clean', value: stat(of(mode).map((x) => x.verifiedMs)) }] })),
  });
  result.targets.push(target('backfill-idle', `${count} items verified clean after backfill, idle stack`, '<=', 2000, 'ms', round(stat(of('idle').map((x) => x.verifiedMs)).median, 0)));
  result.targets.push(target('backfill-writes', `${count} items verified clean after backfill, ${RATE} writes/s`, '<=', 5000, 'ms', round(stat(of('writes').map((x) => x.verifiedMs)).median, 0)));
  result.notes.push('In-process: the figures are those of `backfill()` and `compare()`/`recheck()` from scripts/replicas/sync.ts, which `npm run replicas` calls after starting (add the CLI\'s own start, about 1–2 s of tsx on this machine).');
  result.notes.push('Each run uses a fresh in-memory stack; the todos are written with BatchWriteItem straight into dynalite, so no change record carries them and only the backfill can copy them. Verify clean: a full compare, then the differing items re-read until none remain (writes in flight settle), as `replicas verify` does.');
  result.data = { runs, direct };
  return result;
}

/** The time (performance.now) at which source and replica compare equal, re-reading differences as verify does. */
async function verifiedClean(db: DynamoDBClient, pair: NamedReplicaFeed, limitMs: number): Promise<number> {
  const deadline = performance.now() + limitMs;
  let differences: Difference[] = await compare(db, pair);
  while (differences.length > 0) {
    if (performance.now() > deadline) throw new Error(`${differences.length} difference(s) left after ${limitMs} ms: ${JSON.stringify(differences.slice(0, 3))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    differences = await recheck(db, [pair], differences);
  }
  return performance.now();
}
