import { UsageError } from './errors';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Reads `--since` / `--until`: a relative duration back from now (`30s`, `15m`, `2h`, `1d`, `1w`,
 * combinations like `1h30m`), `now`, epoch milliseconds, or an ISO-8601 date/time (a date alone is
 * midnight UTC; a time without a zone is taken as UTC, as CloudWatch does).
 */
export function parseTime(input: string, now: number = Date.now()): number {
  const value = input.trim();
  if (value === 'now') return now;
  const duration = parseDuration(value);
  if (duration !== undefined) return now - duration;
  if (/^\d{12,}$/.test(value)) return Number(value);
  const iso = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$/.exec(value);
  if (iso) {
    const normalized = value.replace(' ', 'T');
    const withZone = iso[1] || !normalized.includes('T') ? normalized : `${normalized}Z`;
    const ms = Date.parse(withZone);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(`cannot read time "${input}": use a duration like 15m, 2h, 1d or an ISO time like 2026-01-31T09:00:00Z`);
}

/** `1h30m` → 5_400_000; undefined when the text is not a duration. */
export function parseDuration(value: string): number | undefined {
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}
