import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseIfMatch } from '../../../../lambdas/rule/cursor';
import { ruleDelete, ruleQuery, ruleUpdate, todoCreate, todoListQuery, todoPatch } from '../../../../lambdas/rule/schemas';
import { queryRules, toTodo } from '../../../../lambdas/rule/views';
import { BadRequest } from '../../../../lambdas/shared/errors';
import { validate } from '../../../../lambdas/shared/http';
import { todo } from '../../../helpers/factories';

describe('seed rule list', () => {
  const userId = 'u1';
  const rows = [
    todo({ userId, key: 'k1', name: 'Alpha', status: 1, progress: 30 }),
    todo({ userId, key: 'k2', name: 'beta', status: 2, progress: 10 }),
    todo({ userId, key: 'k3', name: 'Gamma alpha', status: 0, progress: 90 }),
    todo({ userId, key: 'k4', name: 'delta', status: 2, progress: 50 }),
  ];

  it('filters by status list and name, sorts and paginates', () => {
    // Prepare
    const query = validate(ruleQuery, { status: '0,1,2', name: 'A', sorter: 'progress_descend', current: '1', pageSize: '2' });

    // Act
    const page = queryRules(rows, query, 'Alice');

    // Assess
    expect(page).toMatchObject({ total: 4, success: true, pageSize: 2, current: 1 });
    expect(page.data.map((r) => r.key)).toEqual(['k3', 'k4']);
    expect(page.data[0]).toMatchObject({ owner: 'Alice', name: 'Gamma alpha', desc: '' });
  });

  it('accepts the ProTable JSON sorter and defaults paging', () => {
    // Prepare
    const query = validate(ruleQuery, { sorter: '{"name":"ascend"}' });

    // Act
    const page = queryRules(rows, query, 'Alice');

    // Assess
    expect(page.pageSize).toBe(20);
    expect(page.current).toBe(1);
    expect(page.data.map((r) => r.name)).toEqual(['Alpha', 'Gamma alpha', 'beta', 'delta']);
  });

  it('names the offending query fields', () => {
    // Prepare
    const bad = { current: '0', pageSize: 'ten', sorter: 'password_ascend', status: '7' };

    // Act
    const act = () => validate(ruleQuery, bad);

    // Assess
    expect(act).toThrow(BadRequest);
    expect(act).toThrow(/current.*pageSize.*status.*sorter/s);
  });
});

describe('request bodies', () => {
  it('accepts the seed UI status string and ignores method and unknown fields', () => {
    // Prepare
    const body = { key: 'k1', status: '2', method: 'update', hacker: true, name: '  Trimmed  ' };

    // Act
    const parsed = validate(ruleUpdate, body);

    // Assess
    expect(parsed).toEqual({ key: 'k1', status: 2, name: 'Trimmed' });
  });

  it.each([
    [{ title: '' }, 'title'],
    [{ title: 42 }, 'title'],
    [{ title: 'ok', completed: 'yes' }, 'completed'],
    [{ title: 'ok', order: 1e300 }, 'order'],
    [{ title: 'ok', status: 4 }, 'status'],
    [{ title: '\ud800 broken' }, 'title'],
    [{}, 'title'],
  ])('rejects %j naming %s', (body, field) => {
    // Prepare
    const act = () => validate(todoCreate, body);

    // Act + Assess
    expect(act).toThrow(new RegExp(`^Invalid request: ${field}`));
  });

  it('accepts a single key or a list for the seed bulk delete', () => {
    // Prepare
    const single = { key: 'k1', method: 'delete' };
    const many = { key: ['k1', 'k2'] };

    // Act
    const a = validate(ruleDelete, single);
    const b = validate(ruleDelete, many);

    // Assess
    expect(a.key).toEqual(['k1']);
    expect(b.key).toEqual(['k1', 'k2']);
  });

  it('lets a patch carry any subset plus a version', () => {
    // Prepare
    const body = { completed: true, version: '3' };

    // Act
    const parsed = validate(todoPatch, body);

    // Assess
    expect(parsed).toEqual({ completed: true, version: 3 });
  });

  it('parses the todo list query', () => {
    // Prepare
    const query = { completed: 'false', limit: '10' };

    // Act
    const parsed = validate(todoListQuery, query);

    // Assess
    expect(parsed).toEqual({ completed: false, limit: 10 });
    expect(() => validate(todoListQuery, { limit: '0' })).toThrow(/limit/);
  });
});

describe('cursors and If-Match', () => {
  it('round-trips a cursor for its own user only', () => {
    // Prepare
    const cursor = encodeCursor('alice', 'k9');

    // Act
    const key = decodeCursor(cursor, 'alice');

    // Assess
    expect(key).toBe('k9');
    expect(() => decodeCursor(cursor, 'bob')).toThrow(BadRequest);
    expect(() => decodeCursor('%%%', 'alice')).toThrow(BadRequest);
  });

  it('reads plain, quoted and weak versions', () => {
    // Prepare
    const values = ['3', '"3"', 'W/"3"'];

    // Act
    const versions = values.map(parseIfMatch);

    // Assess
    expect(versions).toEqual([3, 3, 3]);
    expect(parseIfMatch('*')).toBeUndefined();
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(() => parseIfMatch('abc')).toThrow(BadRequest);
  });
});

describe('Todo-Backend view', () => {
  it('has an absolute url and maps status 2 to completed', () => {
    // Prepare
    const stored = todo({ key: 'k1', name: 'Ship it', status: 2, desc: 'soon', order: 3 });

    // Act
    const view = toTodo(stored, 'Alice', 'https://todo.example.com');

    // Assess
    expect(view).toMatchObject({ id: 'k1', url: 'https://todo.example.com/api/todos/k1', title: 'Ship it', completed: true, order: 3, description: 'soon', owner: 'Alice' });
  });
});
