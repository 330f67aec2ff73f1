import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceStore, type StoredSpan } from '../../../../local/traces/store';

const span = (i: number): StoredSpan => ({
  traceId: i.toString(16).padStart(32, '0'), spanId: i.toString(16).padStart(16, '0'), name: `span ${i}`, kind: 'server', service: 'rule',
  startMs: i, endMs: i + 1, attributes: {}, events: [], links: [], status: { code: 'unset' },
});
const names = (store: TraceStore) => store.recent(() => true, Number.MAX_SAFE_INTEGER).map((s) => s.name).reverse();

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('trace store limits', () => {
  it('keeps the newest spans in memory, trimming a tenth at a time', async () => {
    const store = await TraceStore.open(undefined, { maxSpans: 100 });
    for (let i = 0; i < 110; i++) store.add([span(i)]);
    // Up to a tenth over the limit before a trim, so a trim copies once per ten adds at most.
    expect(store.size).toBe(110);
    store.add([span(110)]);
    expect(store.size).toBe(100);
    expect(names(store)[0]).toBe('span 11');
    expect(names(store).at(-1)).toBe('span 110');
    for (let i = 111; i < 1_000; i++) store.add([span(i)]);
    expect(store.size).toBeLessThanOrEqual(110);
    expect(names(store).at(-1)).toBe('span 999');
  });

  it('cuts a data dir file that outgrew the limit to its newest spans at the next start, and skips a line cut by a crash', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'trace-store-'));
    dirs.push(dataDir);
    const file = path.join(dataDir, 'traces', 'spans.jsonl');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${Array.from({ length: 250 }, (_, i) => JSON.stringify(span(i))).join('\n')}\n{"traceId":"cut by a cra`);
    const store = await TraceStore.open(dataDir, { maxSpans: 100 });
    expect(store.size).toBe(100);
    expect(names(store)[0]).toBe('span 150');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(100);
    expect((JSON.parse(lines[0]!) as StoredSpan).name).toBe('span 150');
    // The cut file is the store: new spans append to it, and the next start reads both.
    store.add([span(250)]);
    await store.flush();
    const again = await TraceStore.open(dataDir, { maxSpans: 100 });
    expect(again.size).toBe(100);
    expect(names(again).at(-1)).toBe('span 250');
    expect(names(again)[0]).toBe('span 151');
  });
});
