import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CHANGE_STREAM, functionSpec } from '../topology/index';
import { fitReplicatorTiming, loadStep, QUOTAS, type LoadInput, type LoadStep } from './cost-model';
import { measuredDurations, MIX } from './cost-report';
import type { BenchRun } from './lib/types';

/**
 * `npx tsx bench/capacity-report.ts [results.json]`: the tables of docs/capacity.md, from bench/cost-model.ts's
 * loadStep() fed with the latest bench run's handler durations and replicator timing.
 */
const dir = path.join(import.meta.dirname, 'results');
const file = process.argv[2] ?? path.join(dir, readdirSync(dir).filter((f) => f.endsWith('.json')).sort().at(-1)!);
const run = JSON.parse(readFileSync(file, 'utf8')) as BenchRun;
const bursts = (run.scenarios.find((s) => s.id === 'replication')?.data as { bursts: Record<string, Array<{ replicatedPerSec: number }>> }).bursts;
const timing = fitReplicatorTiming(bursts, CHANGE_STREAM.localShardCount);
const durations = measuredDurations(run);
const postShare = MIX['POST /api/todos']! / (MIX['POST /api/todos']! + MIX['PATCH /api/todos/{id}']!);

const base = (writesPerSec: number, parallelizationFactor = 1): LoadInput => ({
  writesPerSec,
  readsPerWrite: 10,
  durationsMs: { 'GET /api/todos': durations['GET /api/todos']!, 'POST /api/todos': durations['POST /api/todos']!, 'PATCH /api/todos/{id}': durations['PATCH /api/todos/{id}']! },
  postShare,
  timing,
  batchSize: 100,
  parallelizationFactor,
  memoryMb: { rule: functionSpec('rule').memoryMb, replicator: functionSpec('replicator').memoryMb },
});

const r = (v: number, digits = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '∞');
const usd = (v: number) => `$${v.toLocaleString('en-US', { maximumFractionDigits: v < 10 ? 2 : 0, minimumFractionDigits: v < 10 ? 2 : 0 })}`;
const flag = (v: number, limit: number) => `${r(v)}${v > limit ? ' **over**' : ''}`;

function table(steps: LoadStep[], title: string): string {
  const rows: Array<[string, (s: LoadStep) => string]> = [
    ['API requests/s (writes + 10× GET /api/todos)', (s) => flag(s.apiRps, QUOTAS.apiGatewayRps)],
    ['change records/s; MB/s on the stream', (s) => `${r(s.stream.recordsPerSec)}; ${r(s.stream.bytesPerSec / 2 ** 20, 2)}`],
    ['Kinesis shards (on-demand; what sets them)', (s) => `${s.stream.shards} (${s.stream.shardsBy})`],
    ['ESM concurrency = shards × factor', (s) => `${s.replicator.concurrency} = ${s.stream.shards} × ${s.input.parallelizationFactor}`],
    ['changes/s per batch lane', (s) => r(s.replicator.perLaneChangesPerSec)],
    ['records per batch; replicator ms per batch', (s) => `${r(s.replicator.recordsPerBatch)}; ${r(s.replicator.batchMs)}`],
    ['replicator invocations/s', (s) => r(s.replicator.invocationsPerSec)],
    ['replication capacity (changes/s, full batches); utilisation', (s) => `${r(s.replicator.capacityPerSec)}; ${r(s.replicator.utilisation * 100)} %`],
    ['expected mean lag, ms', (s) => r(s.replicator.lagMs)],
    ['Lambda concurrency rule + replicator', (s) => `${flag(s.lambdaConcurrency.total, QUOTAS.lambdaConcurrency)} (${r(s.lambdaConcurrency.rule)} + ${r(s.lambdaConcurrency.replicator)})`],
    ['rules table WRU/s; RRU/s', (s) => `${flag(s.dynamo.rulesWru, QUOTAS.dynamoNewTableWru)}; ${flag(s.dynamo.rulesRru, QUOTAS.dynamoTableMaxRru)}`],
    ['users-replica-for-rule RRU/s', (s) => flag(s.dynamo.usersReplicaRru, QUOTAS.dynamoTableMaxRru)],
    ['rules-replica-for-user WRU/s', (s) => flag(s.dynamo.rulesReplicaWru, QUOTAS.dynamoNewTableWru)],
    ['**monthly cost**', (s) => `**${usd(s.monthly.reduce((t, i) => t + i.usd, 0))}**`],
  ];
  return [`**${title}**`, '', `| | ${steps.map((s) => `${r(s.input.writesPerSec)} writes/s`).join(' | ')} |`, `| --- |${steps.map(() => ' --- |').join('')}`, ...rows.map(([label, f]) => `| ${label} | ${steps.map(f).join(' | ')} |`)].join('\n');
}

function bill(steps: LoadStep[]): string {
  const services = steps[0]!.monthly.map((i) => i.service);
  return [
    `| monthly, USD | ${steps.map((s) => `${r(s.input.writesPerSec)} writes/s`).join(' | ')} |`,
    `| --- |${steps.map(() => ' --- |').join('')}`,
    ...services.map((name, k) => `| ${name} | ${steps.map((s) => usd(s.monthly[k]!.usd)).join(' | ')} |`),
    `| **total** | ${steps.map((s) => `**${usd(s.monthly.reduce((t, i) => t + i.usd, 0))}**`).join(' | ')} |`,
    '',
    `Arithmetic at ${r(steps.at(-1)!.input.writesPerSec)} writes/s:`,
    '',
    ...steps.at(-1)!.monthly.map((i) => `- ${i.service}: ${i.arithmetic}`),
  ].join('\n');
}

const steps = [100, 1_000, 10_000].map((w) => loadStep(base(w)));
const changed = [loadStep(base(100)), loadStep(base(1_000, 2)), loadStep(base(10_000, 4))];
console.log(
  [
    `From ${path.basename(file)} (${run.startedAt}): handler ms GET ${r(durations['GET /api/todos']!)}, POST ${r(durations['POST /api/todos']!)}, PATCH ${r(durations['PATCH /api/todos/{id}']!)}; replicator batch = ${r(timing.baseMs, 1)} ms + ${r(timing.perRecordMs, 2)} ms × records; POST share of writes ${r(postShare * 100)} %.`,
    '',
    table(steps, 'Defaults (parallelization factor 1, batch size 100)'),
    '',
    table(changed, 'With the parallelization factor raised (1, 2, 4)'),
    '',
    bill(changed),
  ].join('\n'),
);
