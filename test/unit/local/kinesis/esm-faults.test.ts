import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { withFaults } from '../../../../local/kinesis/esm-faults';

const event = (...ids: string[]): KinesisStreamEvent => ({ Records: ids.map((id) => ({ eventID: id }) as KinesisStreamRecord) });
const ids = (e: KinesisStreamEvent) => e.Records.map((r) => r.eventID);

/** A deterministic "random": the values in turn, then 0.99. */
const sequence = (...values: number[]) => () => values.shift() ?? 0.99;

describe('withFaults', () => {
  it('passes the real invoke through untouched when no fault is set', () => {
    const invoke = async () => 'ok';
    expect(withFaults(invoke, {}).invoke).toBe(invoke);
  });

  it('duplicates the records the random draw picks, and counts them', async () => {
    const seen: string[][] = [];
    const faulty = withFaults(async (e) => void seen.push(ids(e)), { duplicateRate: 0.5 }, sequence(0.1, 0.9, 0.2));
    await faulty.invoke(event('a', 'b', 'c'));
    expect(seen).toEqual([['a', 'a', 'b', 'c', 'c']]);
    expect(faulty.injected).toEqual({ duplicates: 2, reorders: 0, failures: 0 });
  });

  it('reorders a batch of two or more', async () => {
    const seen: string[][] = [];
    const faulty = withFaults(async (e) => void seen.push(ids(e)), { reorder: true }, () => 0);
    await faulty.invoke(event('a', 'b', 'c'));
    await faulty.invoke(event('x'));
    expect(seen[0]).toEqual(['b', 'c', 'a']);
    expect(seen[1]).toEqual(['x']);
    expect(faulty.injected.reorders).toBe(1);
  });

  it('reports a failure only after the function ran', async () => {
    let ran = 0;
    const faulty = withFaults(async () => (ran++, { batchItemFailures: [] }), { failRate: 0.5 }, sequence(0.1, 0.9));
    await expect(faulty.invoke(event('a'))).rejects.toThrow('injected failure after the function ran');
    await expect(faulty.invoke(event('a'))).resolves.toEqual({ batchItemFailures: [] });
    expect(ran).toBe(2);
    expect(faulty.injected.failures).toBe(1);
  });
});
