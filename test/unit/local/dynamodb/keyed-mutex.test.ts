import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../../../local/dynamodb/keyed-mutex';

describe('KeyedMutex (serialises the streaming destination per item)', () => {
  it('runs holders of one key one at a time, in call order, and other keys alongside', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const hold = async (keys: string[], name: string, ms: number) => {
      const release = await mutex.lock(keys);
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
      release();
    };
    await Promise.all([hold(['a'], 'A1', 20), hold(['a'], 'A2', 1), hold(['b'], 'B', 1), hold(['b', 'a'], 'AB', 1)]);
    expect(log.indexOf('A1-')).toBeLessThan(log.indexOf('A2+'));
    expect(log.indexOf('A2-')).toBeLessThan(log.indexOf('AB+'));
    expect(log.indexOf('B-')).toBeLessThan(log.indexOf('A1-'));
    expect(mutex.size).toBe(0);
  });
});
