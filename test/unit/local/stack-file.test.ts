import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStackDir, runningStacks, writeStackFile, type StackFile } from '../../../local/stack-file';

/** A pid no process has: above Linux's pid_max limit (2^22). */
const DEAD_PID = 2 ** 22 + 1;

function stackFile(overrides: Partial<StackFile>): StackFile {
  return {
    url: 'http://127.0.0.1:3000', dynamoEndpoint: '', kinesisEndpoint: '', streamName: 'changes', tables: {}, replicas: [],
    memory: true, logsDir: '', functionsNode: { version: 'v24.22.3', execPath: '/n', source: 'PATH' },
    pid: process.pid, startedAt: '2026-12-01T10:00:00.000Z', ...overrides,
  };
}

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'stack-file-'));
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

describe('runningStacks', () => {
  it('lists the data dir\'s stack and every in-memory stack, latest started first, skipping dead processes', async () => {
    // Prepare
    const dataDir = path.join(tmp, '.local');
    await writeStackFile(dataDir, stackFile({ memory: false, url: 'http://127.0.0.1:3000', startedAt: '2026-12-01T10:00:00.000Z' }));
    const early = await memoryStackDir(tmp);
    await writeStackFile(early.dir, stackFile({ url: 'http://127.0.0.1:3001', startedAt: '2026-12-01T09:00:00.000Z' }));
    const late = await memoryStackDir(tmp);
    await writeStackFile(late.dir, stackFile({ url: 'http://127.0.0.1:3002', startedAt: '2026-12-01T11:00:00.000Z' }));
    const dead = await memoryStackDir(tmp);
    await writeStackFile(dead.dir, stackFile({ url: 'http://127.0.0.1:3003', pid: DEAD_PID, startedAt: '2026-12-01T12:00:00.000Z' }));
    await mkdir(path.join(tmp, 'noops-todo-memory-without-file'));
    // Act
    const running = await runningStacks(dataDir, tmp);
    // Assess
    expect(running.map((s) => s.file.url)).toEqual(['http://127.0.0.1:3002', 'http://127.0.0.1:3000', 'http://127.0.0.1:3001']);
    expect(running.map((s) => s.dir)).toEqual([late.dir, dataDir, early.dir]);
  });

  it('removes the folders of in-memory stacks that died without stopping when a new one starts', async () => {
    const dead = await memoryStackDir(tmp);
    await writeStackFile(dead.dir, stackFile({ pid: DEAD_PID }));
    const alive = await memoryStackDir(tmp);
    await writeStackFile(alive.dir, stackFile({}));
    const next = await memoryStackDir(tmp);
    expect(existsSync(dead.dir)).toBe(false);
    expect(existsSync(alive.dir)).toBe(true);
    await next.remove();
    expect(existsSync(next.dir)).toBe(false);
  });
});
