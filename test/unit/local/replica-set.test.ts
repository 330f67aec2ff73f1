import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadReplicas, replicasFilePath } from '../../../local/replica-set';
import { replicas } from '../../../topology/index';
import { replicaEntry } from '../../../topology/replica-config';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'replica-set-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const todos = { name: 'todos-for-static', source: 'rules', reader: 'static', envVar: 'TODOS_TABLE', attributes: ['name', 'status'] };

describe('the replicas a local stack starts with', () => {
  it('are topology\'s in memory and in a data dir without replicas.json', async () => {
    expect(await loadReplicas(undefined)).toEqual(replicas);
    expect(await loadReplicas(dir)).toEqual(replicas);
  });

  it('are those replicas.json lists, in the stack config\'s format, read models typed from the source', async () => {
    // Prepare
    await writeFile(replicasFilePath(dir), JSON.stringify([...replicas.map(replicaEntry), todos]));
    // Act
    const loaded = await loadReplicas(dir);
    // Assess
    expect(loaded.map((r) => r.name)).toEqual(['rules-replica-for-user', 'users-replica-for-rule', 'todos-for-static']);
    expect(loaded[2]).toEqual({ name: 'todos-for-static', source: 'rules', reader: 'static', envVar: 'TODOS_TABLE', readModel: { name: 'S', status: 'N' } });
  });

  it('refuse a replicas.json that drops a replica the code reads, naming the file', async () => {
    // Prepare
    await writeFile(replicasFilePath(dir), JSON.stringify([replicaEntry(replicas[0]!), todos]));
    // Act, Assess
    await expect(loadReplicas(dir)).rejects.toThrow(`${replicasFilePath(dir)}: replicas: lacks users-replica-for-rule (read by the rule service's code, which cannot start without USERS_REPLICA_TABLE): keep it in the list`);
  });
});
