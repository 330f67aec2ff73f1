import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../../../local/gateway/routes';
import { routes } from '../../../../topology/index';

describe('matchRoute', () => {
  it('matches an exact route of the topology', () => {
    expect(matchRoute('GET', '/api/todos', routes)).toEqual({ routeKey: 'GET /api/todos', function: 'rule' });
  });

  it('fills {param} segments, percent-decoded', () => {
    expect(matchRoute('PATCH', '/api/todos/a%20b', routes)).toEqual({ routeKey: 'PATCH /api/todos/{id}', function: 'rule', pathParameters: { id: 'a b' } });
  });

  it('falls back to $default for unknown paths and for methods without a route', () => {
    expect(matchRoute('GET', '/login', routes)).toEqual({ routeKey: '$default', function: 'static' });
    expect(matchRoute('PUT', '/api/todos', routes)?.routeKey).toBe('$default');
    expect(matchRoute('HEAD', '/api/todos', routes)?.routeKey).toBe('$default');
  });

  it('does not match a parameter against an empty segment or extra segments', () => {
    expect(matchRoute('GET', '/api/todos/', routes)?.routeKey).toBe('$default');
    expect(matchRoute('GET', '/api/todos/1/2', routes)?.routeKey).toBe('$default');
  });

  it('prefers exact segments over parameters, parameters over greedy, methods over ANY', () => {
    const table = [
      { routeKey: 'ANY /things/{proxy+}', function: 'greedy' },
      { routeKey: 'GET /things/{id}', function: 'param' },
      { routeKey: 'GET /things/special', function: 'exact' },
      { routeKey: 'ANY /things/{id}', function: 'any' },
    ];
    expect(matchRoute('GET', '/things/special', table)?.function).toBe('exact');
    expect(matchRoute('GET', '/things/7', table)?.function).toBe('param');
    expect(matchRoute('POST', '/things/7', table)?.function).toBe('any');
    expect(matchRoute('GET', '/things/a/b', table)).toEqual({ routeKey: 'ANY /things/{proxy+}', function: 'greedy', pathParameters: { proxy: 'a/b' } });
  });

  it('answers undefined when nothing matches and there is no $default', () => {
    expect(matchRoute('GET', '/nope', [{ routeKey: 'GET /yes', function: 'f' }])).toBeUndefined();
  });
});
