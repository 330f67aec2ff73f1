import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../local/index';
import { dynamoClient, sleep } from '../helpers/probes';
import { startLocalStack } from '../helpers/local-stack';
import { formatFigures, SoakRun } from '../helpers/soak-workload';

/**
 * The whole local stack stopped and started again on the same data dir while virtual users keep
 * writing. Requests during the outage may fail; what was acknowledged must survive, and the replicator
 * must resume from its persisted checkpoints without skipping a change (replicas end equal to sources).
 */
let dataDir: string;
let stack: Stack | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'noops-todo-restart-'));
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** About what 4 s of the workload acknowledged on a loaded 2-core machine (each side of the restart). */
const WRITES = 60;
const checkpoints = (s: Stack) => Object.fromEntries(s.replication.status().shards.map((shard) => [shard.shardId, shard.checkpoint]));

describe('stop and restart in the middle of a write workload', () => {
  it('keeps every acknowledged write and the replicator position, and replication resumes without a gap', async () => {
    // Prepare
    const first = await startLocalStack({ load: true,  dataDir });
    stack = first;
    const soak = new SoakRun(first.url);
    await soak.signUp(8, 'restart');
    // Sized by acknowledged writes, not seconds: WRITES before the stop, WRITES more after the restart.
    const enough = new AbortController();
    const workload = soak.run({ durationMs: 60_000, signal: enough.signal });
    await soak.acknowledged(WRITES, 30_000);
    const writesBeforeStop = soak.figures.acknowledgedWrites;
    // Act: stop with requests in flight, then start on the same port and data dir.
    await first.stop();
    stack = undefined;
    const persisted = JSON.parse(await readFile(path.join(dataDir, 'esm-checkpoints.json'), 'utf8')).changes as Record<string, string>;
    await sleep(500);
    const second = await startLocalStack({ load: true,  dataDir, port: first.port });
    stack = second;
    const resumedFrom = checkpoints(second);
    await soak.acknowledged(writesBeforeStop + WRITES, 30_000);
    enough.abort();
    await workload;
    const db = dynamoClient(second);
    try {
      await soak.checkWrites(db, second.tableName('rules'));
      await soak.checkReplicas(second, db);
    } finally {
      db.destroy();
    }
    const figures = soak.summary();
    const status = second.replication.status();
    // Assess
    console.log(`restart mid-workload\n${formatFigures(figures)}\nresumed from ${JSON.stringify(resumedFrom)}\n${figures.samples.join('\n')}`);
    expect(writesBeforeStop).toBeGreaterThan(0);
    expect(figures.acknowledgedWrites).toBeGreaterThan(writesBeforeStop);
    expect(figures.missingWrites).toBe(0);
    expect(figures.replicaDifferences).toBe(0);
    // The mapping starts where the stopped one left off: the persisted checkpoint, not the stream's start.
    expect(Object.keys(persisted).length).toBeGreaterThan(0);
    for (const [shardId, sequenceNumber] of Object.entries(persisted)) {
      expect(resumedFrom[shardId], shardId).toBeDefined();
      expect(BigInt(resumedFrom[shardId]!) >= BigInt(sequenceNumber)).toBe(true);
    }
    expect(status.onFailureRecords).toBe(0);
    // Only the outage may fail requests: 5xx/no answer are possible then, never a wrong answer to an acknowledged state.
    for (const code of Object.keys(figures.byStatus).map(Number)) expect([0, 200, 201, 204, 502, 503]).toContain(code);
  }, 120_000);
});
