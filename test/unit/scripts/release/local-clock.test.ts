import { describe, expect, it } from 'vitest';
import { compressedClock } from '../../../../scripts/release/local';

describe('the rehearsal clock', () => {
  it('runs simulated time `speed` times faster than real time', () => {
    let real = 1_000;
    const clock = compressedClock(60, () => real);
    real += 1_000;
    expect(clock.now()).toBe(1_000 + 60_000);
  });
});
