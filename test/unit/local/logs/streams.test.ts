import { EventEmitter } from 'node:events';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachLogStreams } from '../../../../local/logs/streams';
import { attachLogView } from '../../../../local/logs/view';
import { localSource } from '../../../../scripts/logs/sources/local';

const STREAM = '2026/03/10/[$LATEST]w1';
const INV = 'aaaaaaaa-0000-4000-8000-000000000001';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'logs-streams-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function invocation(pool: EventEmitter, line: string, extra: Record<string, unknown> = {}) {
  pool.emit('invocation', { phase: 'start', function: 'rule', workerId: 'w1', logStream: STREAM, awsRequestId: INV });
  pool.emit('log', { function: 'rule', workerId: 'w1', logStream: STREAM, line, timestamp: Date.now() });
  pool.emit('invocation', {
    phase: 'end', function: 'rule', workerId: 'w1', logStream: STREAM, awsRequestId: INV,
    durationMs: 12.345, billedDurationMs: 13, maxMemoryUsedMb: 81, ...extra,
  });
}

describe('attachLogStreams', () => {
  it('writes one CloudWatch-like file per worker with START, the lines, END and REPORT', async () => {
    // Prepare
    const pool = new EventEmitter();
    const streams = attachLogStreams(pool, { dataDir });
    // Act
    invocation(pool, '{"level":"INFO","message":"todo created"}', { initDurationMs: 150.5 });
    await streams.close();
    // Assess
    const files = await readdir(path.join(dataDir, 'logs', 'rule'));
    expect(files).toEqual(['2026-03-10-[$LATEST]w1.jsonl']);
    const events = (await readFile(path.join(dataDir, 'logs', 'rule', files[0]!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.message)).toEqual([
      `START RequestId: ${INV} Version: $LATEST`,
      '{"level":"INFO","message":"todo created"}',
      `END RequestId: ${INV}`,
      `REPORT RequestId: ${INV}\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 81 MB\tInit Duration: 150.50 ms\t`,
    ]);
    for (const e of events) expect(e).toMatchObject({ logStream: STREAM, function: 'rule', timestamp: expect.any(Number) });
  });

  it('stops listening on close', async () => {
    const pool = new EventEmitter();
    await attachLogStreams(pool, { dataDir }).close();
    expect(pool.listenerCount('log') + pool.listenerCount('invocation')).toBe(0);
  });
});

describe('localSource', () => {
  it('reads what the writer wrote, and in follow mode only complete new lines', async () => {
    // Prepare
    const pool = new EventEmitter();
    const streams = attachLogStreams(pool, { dataDir });
    invocation(pool, '{"level":"INFO","message":"first"}');
    await streams.flush();
    const source = localSource(dataDir, 20);
    const since = Date.now() - 60_000;
    // Act
    const history = await source.history({ functions: ['rule'], since });
    const seen: string[] = [];
    const controller = new AbortController();
    const following = source.follow({ functions: ['rule'], since }, (events) => seen.push(...events.map((e) => e.message)), controller.signal);
    const file = path.join(dataDir, 'logs', 'rule', '2026-03-10-[$LATEST]w1.jsonl');
    const half = JSON.stringify({ timestamp: Date.now(), message: 'second', logStream: STREAM, function: 'rule' });
    await appendFile(file, half.slice(0, 20));
    await new Promise((r) => setTimeout(r, 80));
    const beforeCompletion = seen.length;
    await appendFile(file, `${half.slice(20)}\n`);
    for (let i = 0; i < 50 && !seen.includes('second'); i++) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await following;
    await streams.close();
    // Assess
    expect(history.map((e) => e.message)).toContain('{"level":"INFO","message":"first"}');
    expect(history).toHaveLength(4);
    expect(beforeCompletion).toBe(4);
    expect(seen.slice(4)).toEqual(['second']);
  });

  it('lists the topology functions even before they have logged', async () => {
    expect(await localSource(dataDir).functions()).toEqual(['replicator', 'rule', 'static', 'user']);
  });
});

describe('attachLogView', () => {
  it('prints readable lines, flags cold starts and failures, and respects the colour choice', () => {
    const pool = new EventEmitter();
    let out = '';
    const detach = attachLogView(pool, { stream: { write: (t: string) => (out += t) }, color: false });
    invocation(pool, JSON.stringify({ level: 'WARN', message: 'login failed', requestId: 'req-7', function_request_id: INV }), { initDurationMs: 99 });
    invocation(pool, 'raw text', { error: { errorType: 'TypeError', errorMessage: 'boom' } });
    detach();
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}  rule        WARN   login failed  req=req-7 inv=aaaaaaaa$/);
    expect(lines[1]).toContain('REPORT inv=');
    expect(lines[1]).toContain('init 99 ms (cold start)');
    expect(lines[2]).toMatch(/rule {8}-      raw text$/);
    expect(lines[3]).toMatch(/ERROR  invocation failed: TypeError: boom  inv=aaaaaaaa$/);
    expect(out).not.toContain('\u001b[');
    expect(pool.listenerCount('log')).toBe(0);
  });

  it('uses colour for a terminal unless NO_COLOR is set', () => {
    const run = (env: NodeJS.ProcessEnv) => {
      const pool = new EventEmitter();
      let out = '';
      attachLogView(pool, { stream: { isTTY: true, write: (t: string) => (out += t) }, env });
      pool.emit('log', { function: 'user', workerId: 'w', logStream: 's', line: '{"level":"ERROR","message":"x"}', timestamp: 0 });
      return out;
    };
    expect(run({})).toContain('\u001b[31mERROR');
    expect(run({ NO_COLOR: '1' })).not.toContain('\u001b[');
  });
});

describe('log stream retention', () => {
  it('deletes stream files older than the retention at start, keeps recent ones', async () => {
    // Prepare
    const { mkdir, writeFile, utimes } = await import('node:fs/promises');
    const dir = path.join(dataDir, 'logs', 'user');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'old.jsonl'), '');
    await writeFile(path.join(dir, 'new.jsonl'), '');
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    await utimes(path.join(dir, 'old.jsonl'), tenDaysAgo, tenDaysAgo);
    // Act
    await attachLogStreams(new EventEmitter(), { dataDir, retentionDays: 7 }).close();
    // Assess
    expect(await readdir(dir)).toEqual(['new.jsonl']);
  });
});
