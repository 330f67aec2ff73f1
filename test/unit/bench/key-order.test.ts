import { describe, expect, it } from 'vitest';
import { KeyOrder } from '../../../bench/lib/key-order';

describe('KeyOrder', () => {
  it('counts a record seen for the first time after a later record of its key, not a redelivery nor another key', () => {
    // Prepare
    const order = new KeyOrder();
    // Act
    order.see('a', '100');
    order.see('b', '150');
    order.see('a', '200');
    order.see('a', '100'); // a retry of a record already delivered
    order.see('b', '120'); // first delivery of an earlier record of b: out of order
    order.see('a', '300');
    // Assess
    expect(order.violations).toBe(1);
    expect(order.records).toBe(6);
  });

  it('compares sequence numbers as numbers, not strings', () => {
    const order = new KeyOrder();
    order.see('a', '9');
    order.see('a', '10');
    expect(order.violations).toBe(0);
  });
});
