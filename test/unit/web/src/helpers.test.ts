import { describe, expect, it } from 'vitest';
import { nextLink, replicasFrom, withLimit } from '../../../../web/src/api';
import { formatAgo, formatCount, formatLag } from '../../../../web/src/state/format';
import { parseRoute } from '../../../../web/src/state/route';

describe('nextLink', () => {
  it('finds rel="next" among several links', () => {
    const header = '<http://h/api/todos?limit=2>; rel="first", <http://h/api/todos?limit=2&cursor=abc%3D>; rel="next"';
    expect(nextLink(header)).toBe('http://h/api/todos?limit=2&cursor=abc%3D');
  });

  it('accepts an unquoted rel and a rel list', () => {
    expect(nextLink('</api/todos?cursor=x>; rel=next')).toBe('/api/todos?cursor=x');
    expect(nextLink('</api/todos?cursor=x>; title="more"; rel="prefetch next"')).toBe('/api/todos?cursor=x');
  });

  it('returns null without a next link', () => {
    expect(nextLink(null)).toBeNull();
    expect(nextLink('</api/todos>; rel="prev"')).toBeNull();
  });
});

describe('withLimit', () => {
  it('changes only the limit of a next link, absolute or relative', () => {
    expect(withLimit('http://h:3000/api/todos?limit=50&cursor=a%2Bb', 250)).toBe('http://h:3000/api/todos?limit=250&cursor=a%2Bb');
    expect(withLimit('/api/todos?cursor=x&limit=50', 250)).toBe('/api/todos?cursor=x&limit=250');
    expect(withLimit('/api/todos?cursor=x', 250)).toBe('/api/todos?cursor=x');
  });
});

describe('replicasFrom', () => {
  it('reads { replicas } and bare arrays, skipping malformed rows', () => {
    expect(replicasFrom({ replicas: [{ name: 'r', items: 1 }, { items: 2 }] })).toEqual([{ name: 'r', items: 1 }]);
    expect(replicasFrom([{ name: 'r' }])).toEqual([{ name: 'r' }]);
    expect(replicasFrom(null)).toEqual([]);
  });
});

describe('parseRoute', () => {
  it('maps the TodoMVC hash routes and the replication view', () => {
    expect(parseRoute('')).toEqual({ view: 'todos', filter: 'all' });
    expect(parseRoute('#/')).toEqual({ view: 'todos', filter: 'all' });
    expect(parseRoute('#/active')).toEqual({ view: 'todos', filter: 'active' });
    expect(parseRoute('#/completed/')).toEqual({ view: 'todos', filter: 'completed' });
    expect(parseRoute('#/replication')).toEqual({ view: 'replication' });
    expect(parseRoute('#/nonsense')).toEqual({ view: 'todos', filter: 'all' });
  });
});

describe('replication formatting', () => {
  it('formats lag', () => {
    expect(formatLag(null)).toBe('—');
    expect(formatLag(42.4)).toBe('42 ms');
    expect(formatLag(1520)).toBe('1.5 s');
    expect(formatLag(180_000)).toBe('3 min');
  });

  it('formats the last applied time relative to now', () => {
    const now = Date.parse('2026-01-01T00:10:00.000Z');
    expect(formatAgo(null, now)).toBe('never');
    expect(formatAgo('2026-01-01T00:10:00.000Z', now)).toBe('just now');
    expect(formatAgo('2026-01-01T00:09:30.000Z', now)).toBe('30 s ago');
    expect(formatAgo('2026-01-01T00:05:00.000Z', now)).toBe('5 min ago');
    expect(formatAgo('garbage', now)).toBe('unknown');
  });

  it('formats counts', () => {
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(undefined)).toBe('—');
  });
});
