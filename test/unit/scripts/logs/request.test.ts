import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../../local/logs/log-event';
import { annotate, matchesFilter } from '../../../../scripts/logs/filter';
import { groupByInvocation, RequestFollower, selectRequest } from '../../../../scripts/logs/request';

const API = 'api-req-1';
const USER_INV = 'aaaaaaaa-0000-4000-8000-000000000001';
const RULE_INV = 'bbbbbbbb-0000-4000-8000-000000000002';
const OTHER_INV = 'cccccccc-0000-4000-8000-000000000003';

let clock = Date.parse('2026-03-10T09:00:00Z');
function ev(fn: string, stream: string, message: string): LogEvent {
  clock += 1;
  return { timestamp: clock, message, function: fn, logStream: stream };
}
const json = (fields: Record<string, unknown>) => JSON.stringify(fields);

/** Two functions each handle one invocation for the request; another request interleaves in the user stream. */
function scenario(): LogEvent[] {
  return [
    ev('user', 'u1', `START RequestId: ${USER_INV} Version: $LATEST`),
    ev('user', 'u1', '2026-03-10T09:00:00.002Z\tundefined\tINFO\tplain console line'),
    ev('user', 'u1', json({ level: 'DEBUG', message: 'looking up user', function_request_id: USER_INV })),
    ev('user', 'u1', json({ level: 'INFO', message: 'request handled', requestId: API, function_request_id: USER_INV })),
    ev('user', 'u1', `END RequestId: ${USER_INV}`),
    ev('user', 'u1', `REPORT RequestId: ${USER_INV}\tDuration: 3.00 ms\tBilled Duration: 3 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB\t`),
    ev('user', 'u1', `START RequestId: ${OTHER_INV} Version: $LATEST`),
    ev('user', 'u1', json({ level: 'WARN', message: 'login failed', requestId: 'api-req-2', function_request_id: OTHER_INV })),
    ev('user', 'u1', `END RequestId: ${OTHER_INV}`),
    ev('rule', 'r1', `START RequestId: ${RULE_INV} Version: $LATEST`),
    ev('rule', 'r1', json({ level: 'ERROR', message: 'unexpected error', requestId: API, function_request_id: RULE_INV })),
    ev('rule', 'r1', `END RequestId: ${RULE_INV}`),
  ];
}

describe('selectRequest', () => {
  it('returns every line of every invocation that logged the API request id, from every function', () => {
    const picked = selectRequest(annotate(scenario()), API).map((i) => i.event.message);
    expect(picked).toHaveLength(9);
    expect(picked.join('\n')).toContain('plain console line');
    expect(picked.join('\n')).not.toContain('login failed');
    expect(picked.join('\n')).not.toContain(OTHER_INV);
  });

  it('accepts a Lambda request id too', () => {
    const picked = selectRequest(annotate(scenario()), OTHER_INV);
    expect(picked.map((i) => i.parsed.kind)).toEqual(['start', 'json', 'end']);
  });

  it('groups the result by function invocation, in time order', () => {
    const groups = groupByInvocation(selectRequest(annotate(scenario()), API));
    expect(groups.map((g) => [g.function, g.invocation, g.items.length])).toEqual([
      ['user', USER_INV, 6],
      ['rule', RULE_INV, 3],
    ]);
  });

  it('finds nothing for an unknown id', () => {
    expect(selectRequest(annotate(scenario()), 'nope')).toEqual([]);
  });
});

describe('matchesFilter', () => {
  const items = annotate(scenario());

  it('keeps the level and above; lines without a level are not warnings', () => {
    const warn = items.filter((i) => matchesFilter(i, { level: 'WARN' })).map((i) => i.parsed.text);
    expect(warn).toEqual(['login failed', 'unexpected error']);
    const debug = items.filter((i) => matchesFilter(i, { level: 'DEBUG' }));
    expect(debug).toHaveLength(5);
  });

  it('greps the raw line, case-sensitively', () => {
    expect(items.filter((i) => matchesFilter(i, { grep: 'login failed' }))).toHaveLength(1);
    expect(items.filter((i) => matchesFilter(i, { grep: 'LOGIN FAILED' }))).toHaveLength(0);
  });

  it('applies the time window', () => {
    const first = items[0]!.event.timestamp;
    expect(items.filter((i) => matchesFilter(i, { since: first + 10 }))).toHaveLength(2);
    expect(items.filter((i) => matchesFilter(i, { until: first + 1 }))).toHaveLength(2);
  });
});

describe('RequestFollower', () => {
  it('releases held lines once their invocation names the request, then streams the rest', () => {
    const follower = new RequestFollower(API);
    const emitted = scenario().map((e) => follower.push(e).map((i) => i.parsed.kind));
    // START, console line and debug are held until "request handled" names the request.
    expect(emitted.slice(0, 3)).toEqual([[], [], []]);
    expect(emitted[3]).toEqual(['start', 'text', 'json', 'json']);
    expect(emitted[4]).toEqual(['end']);
    expect(emitted[5]).toEqual(['report']);
    expect(emitted.slice(6, 9)).toEqual([[], [], []]);
    expect(emitted[10]).toEqual(['start', 'json']);
    expect(emitted[11]).toEqual(['end']);
  });

  it('selects the same lines as the history form', () => {
    const follower = new RequestFollower(API);
    const streamed = scenario().flatMap((e) => follower.push(e)).map((i) => i.event.message);
    const history = selectRequest(annotate(scenario()), API).map((i) => i.event.message);
    expect(new Set(streamed)).toEqual(new Set(history));
  });
});
