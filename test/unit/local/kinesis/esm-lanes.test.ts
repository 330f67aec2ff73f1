import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { donePrefix, laneOf, plan, type BatchLimits, type Entry } from '../../../../local/kinesis/esm-lanes';

interface Rec {
  seq: number;
  key: string;
  bytes?: number;
}

const limits = (over: Partial<BatchLimits<Rec>> = {}): BatchLimits<Rec> => ({ batchSize: 3, maxBytes: 1_000, sizeOf: (r) => r.bytes ?? 1, windowMs: 0, ...over });

/** A window of queued records, each key on the lane `lanes[key]`. */
function windowOf(keys: string[], lanes: Record<string, number>, fetchedAt = 0): Entry<Rec>[] {
  return keys.map((key, seq) => ({ record: { seq, key }, lane: lanes[key] ?? 0, fetchedAt, state: 'queued' as const }));
}

const seqs = (entries: Entry<Rec>[]) => entries.map((e) => e.record.seq);

describe('laneOf', () => {
  it('puts every key on lane 0 at factor 1, and a key always on the same lane within the factor', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `rules|user-${i}|todo-${i}`);
    expect(new Set(keys.map((k) => laneOf(k, 1)))).toEqual(new Set([0]));
    for (const factor of [2, 4, 10]) {
      const lanes = keys.map((k) => laneOf(k, factor));
      expect(keys.map((k) => laneOf(k, factor))).toEqual(lanes);
      expect(lanes.every((l) => Number.isInteger(l) && l >= 0 && l < factor)).toBe(true);
      // Spread: 200 keys use every lane (a hash that ignored the low bits would put a shard's keys on one lane).
      expect(new Set(lanes).size).toBe(factor);
    }
  });
});

describe('plan', () => {
  it('starts one batch per idle lane, each with its own lane\'s oldest records in shard order, up to batchSize', () => {
    const window = windowOf(['a', 'b', 'a', 'c', 'a', 'a', 'b'], { a: 0, b: 1, c: 1 });
    const { start } = plan(window, new Map(), limits(), 0, true);
    expect(start.map((b) => ({ lane: b.lane, seqs: seqs(b.entries) }))).toEqual([
      { lane: 0, seqs: [0, 2, 4] },
      { lane: 1, seqs: [1, 3, 6] },
    ]);
  });

  it('starts nothing on a lane that has a batch running, so a key is never in two batches at once', () => {
    const window = windowOf(['a', 'b', 'a', 'b'], { a: 0, b: 1 });
    window[0]!.state = 'running';
    const { start } = plan(window, new Map(), limits(), 0, true);
    expect(start.map((b) => [b.lane, seqs(b.entries)])).toEqual([[1, [1, 3]]]);
  });

  it('ends a batch before it would exceed the payload limit', () => {
    const window = windowOf(['a', 'a', 'a'], { a: 0 });
    window.forEach((e) => (e.record.bytes = 400));
    expect(seqs(plan(window, new Map(), limits(), 0, true).start[0]!.entries)).toEqual([0, 1]);
  });

  it('gathers a lane\'s batch for the batching window, counted from its last batch\'s end if later, unless it is full or the shard has ended', () => {
    const window = windowOf(['a', 'b'], { a: 0, b: 1 }, 1_000);
    const freeSince = new Map([[1, 1_200]]);
    const gathering = plan(window, freeSince, limits({ windowMs: 500 }), 1_300, true);
    expect(gathering.start).toEqual([]);
    expect(gathering.waitMs).toBe(200);
    expect(plan(window, freeSince, limits({ windowMs: 500 }), 1_500, true).start.map((b) => b.lane)).toEqual([0]);
    expect(plan(window, freeSince, limits({ windowMs: 500 }), 1_300, false).start.map((b) => b.lane)).toEqual([0, 1]);
    expect(plan(window, freeSince, limits({ windowMs: 500, batchSize: 1 }), 1_300, true).start.map((b) => b.lane)).toEqual([0, 1]);
  });
});

describe('donePrefix', () => {
  it('counts the finished records at the head only: the checkpoint never passes an unfinished one', () => {
    const states = (s: string) => [...s].map((c) => ({ state: c === 'd' ? ('done' as const) : c === 'r' ? ('running' as const) : ('queued' as const) }));
    expect(donePrefix(states('ddrdd'))).toBe(2);
    expect(donePrefix(states('qddd'))).toBe(0);
    expect(donePrefix(states('ddd'))).toBe(3);
    expect(donePrefix([])).toBe(0);
  });
});

describe('a shard run on lanes (model of the poller over plan and donePrefix)', () => {
  it('for any records, factor, batch size and completion order: per-key order kept, at most factor batches at once, no key in two, the checkpoint never skips an unfinished record, and everything finishes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 5 }),
        // Which running batch makes progress next, and how many of its records it finishes (a partial
        // batch response or a bisected half); the rest stay on the lane to retry.
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 200, maxLength: 200 }),
        (keys, factor, batchSize, steps) => {
          // Prepare
          let window: Entry<Rec>[] = keys.map((key, seq) => ({ record: { seq, key }, lane: laneOf(key, factor), fetchedAt: 0, state: 'queued' }));
          const running: Entry<Rec>[][] = [];
          const delivered = new Map<string, number[]>();
          let checkpoint = -1;
          const finished = new Set<number>();
          // Act
          for (let i = 0; window.length > 0; i++) {
            expect(i).toBeLessThan(10_000);
            for (const batch of plan(window, new Map(), limits({ batchSize }), 0, true).start) {
              for (const e of batch.entries) {
                e.state = 'running';
                delivered.set(e.record.key, [...(delivered.get(e.record.key) ?? []), e.record.seq]);
              }
              running.push(batch.entries);
            }
            // Assess (while running)
            expect(running.length).toBeLessThanOrEqual(factor);
            const inFlight = running.flatMap((b) => b.map((e) => e.record.key));
            const perBatch = running.map((b) => new Set(b.map((e) => e.record.key)));
            expect(perBatch.reduce((n, s) => n + s.size, 0)).toBe(new Set(inFlight).size);
            // Act: one batch finishes some of its records, in shard order
            const [pick, count] = steps[i % steps.length]!;
            const b = pick % running.length;
            const batch = running[b]!;
            const n = 1 + (count % batch.length);
            for (const e of batch.splice(0, n)) {
              e.state = 'done';
              finished.add(e.record.seq);
            }
            if (batch.length === 0) running.splice(b, 1);
            const prefix = donePrefix(window);
            if (prefix > 0) checkpoint = window[prefix - 1]!.record.seq;
            window = window.slice(prefix);
            // Assess: every record up to the checkpoint is finished
            for (let seq = 0; seq <= checkpoint; seq++) expect(finished.has(seq)).toBe(true);
          }
          // Assess
          expect(checkpoint).toBe(keys.length - 1);
          for (const [key, order] of delivered) {
            expect(order).toEqual(keys.flatMap((k, seq) => (k === key ? [seq] : [])));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
