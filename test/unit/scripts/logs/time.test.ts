import { describe, expect, it } from 'vitest';
import { parseDuration, parseTime } from '../../../../scripts/logs/time';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');

describe('parseTime', () => {
  it.each([
    ['15m', NOW - 15 * 60_000],
    ['2h', NOW - 2 * 3_600_000],
    ['1d', NOW - 86_400_000],
    ['30s', NOW - 30_000],
    ['1w', NOW - 7 * 86_400_000],
    ['1h30m', NOW - 90 * 60_000],
    ['now', NOW],
  ])('reads the duration %s back from now', (input, expected) => {
    expect(parseTime(input, NOW)).toBe(expected);
  });

  it.each([
    ['2026-03-10T09:30:00Z', Date.parse('2026-03-10T09:30:00Z')],
    ['2026-03-10T09:30:00.250Z', Date.parse('2026-03-10T09:30:00.250Z')],
    ['2026-03-10T09:30:00+02:00', Date.parse('2026-03-10T07:30:00Z')],
    ['2026-03-10T09:30', Date.parse('2026-03-10T09:30:00Z')],
    ['2026-03-10 09:30:00', Date.parse('2026-03-10T09:30:00Z')],
    ['2026-03-10', Date.parse('2026-03-10T00:00:00Z')],
    ['1773144000000', 1773144000000],
  ])('reads the absolute time %s (UTC when no zone is given)', (input, expected) => {
    expect(parseTime(input, NOW)).toBe(expected);
  });

  it.each(['yesterday', '15 minutes', '-5m', '2026-13-45T99:00', 'm', ''])('rejects %j with a usage error naming the forms', (input) => {
    expect(() => parseTime(input, NOW)).toThrowError(/cannot read time .*15m, 2h, 1d/);
  });
});

describe('parseDuration', () => {
  it('returns undefined for text that is not a duration', () => {
    expect(parseDuration('2026-01-01')).toBeUndefined();
    expect(parseDuration('5')).toBeUndefined();
  });

  it('accepts fractions', () => {
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });
});
