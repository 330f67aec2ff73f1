import { describe, expect, it } from 'vitest';
import { parseLine, type LogEvent } from '../../../../local/logs/log-event';
import { formatEvent, formatGroupHeader, formatJson, shouldColor } from '../../../../local/logs/format';
import { annotate } from '../../../../scripts/logs/filter';
import { groupByInvocation } from '../../../../scripts/logs/request';

const T = Date.parse('2026-03-10T09:15:02.345Z');
const INV = '6f1c2d3e-0000-4000-8000-000000000001';

function event(message: string, overrides: Partial<LogEvent> = {}): LogEvent {
  return { timestamp: T, message, function: 'user', logStream: '2026/03/10/[$LATEST]w1', ...overrides };
}

const powertoolsLine = JSON.stringify({
  level: 'INFO',
  message: 'request handled',
  timestamp: '2026-03-10T09:15:02.344Z',
  service: 'user',
  cold_start: true,
  function_name: 'user',
  function_memory_size: '1024',
  function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:user',
  function_request_id: INV,
  xray_trace_id: '1-65f00000-000000000000000000000001',
  requestId: 'req-42',
  routeKey: 'POST /api/login/account',
  statusCode: 200,
});

describe('parseLine', () => {
  it('reads a Powertools record: level, message, both request ids', () => {
    expect(parseLine(powertoolsLine)).toMatchObject({ kind: 'json', level: 'INFO', text: 'request handled', apiRequestId: 'req-42', lambdaRequestId: INV });
  });

  it("reads Lambda's START, END and REPORT lines", () => {
    expect(parseLine(`START RequestId: ${INV} Version: $LATEST`)).toEqual({ kind: 'start', text: `START RequestId: ${INV} Version: $LATEST`, lambdaRequestId: INV });
    expect(parseLine(`END RequestId: ${INV}`)).toMatchObject({ kind: 'end', lambdaRequestId: INV });
    const report = parseLine(`REPORT RequestId: ${INV}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 81 MB\tInit Duration: 150.50 ms\t`);
    expect(report).toMatchObject({
      kind: 'report',
      lambdaRequestId: INV,
      stats: { durationMs: 12.34, billedDurationMs: 13, memorySizeMb: 1024, maxMemoryUsedMb: 81, initDurationMs: 150.5 },
    });
  });

  it("reads the runtime's tab-separated console format, with and without JSON inside", () => {
    expect(parseLine(`2026-03-10T09:15:02.345Z\t${INV}\tERROR\tInvoke Error \t{"errorType":"TypeError"}`)).toMatchObject({
      kind: 'text',
      level: 'ERROR',
      lambdaRequestId: INV,
      text: 'Invoke Error \t{"errorType":"TypeError"}',
    });
    expect(parseLine(`2026-03-10T09:15:02.345Z\t${INV}\tINFO\t{"level":"WARN","message":"slow"}`)).toMatchObject({ kind: 'json', level: 'WARN', lambdaRequestId: INV });
  });

  it('tells EMF metric records apart from log records', () => {
    const emf = JSON.stringify({
      _aws: { Timestamp: T, CloudWatchMetrics: [{ Namespace: 'noops-todo', Dimensions: [['service']], Metrics: [{ Name: 'TodosCreated', Unit: 'Count' }] }] },
      service: 'rule',
      TodosCreated: 1,
    });
    expect(parseLine(emf)).toMatchObject({ kind: 'metrics' });
  });

  it('keeps anything else as plain text', () => {
    expect(parseLine('    at Object.<anonymous> (index.mjs:1:2)')).toEqual({ kind: 'text', text: '    at Object.<anonymous> (index.mjs:1:2)' });
    expect(parseLine('{not json')).toMatchObject({ kind: 'text' });
  });
});

describe('formatEvent', () => {
  const plain = { color: false, clock: 'datetime' as const, functionWidth: 10 };

  it('prints one readable line: time, function, level, message, extras, request ids', () => {
    const e = event(powertoolsLine);
    expect(formatEvent(e, parseLine(e.message), plain)).toBe(
      '2026-03-10 09:15:02.345Z  user        INFO   request handled  statusCode=200  req=req-42 inv=6f1c2d3e cold',
    );
  });

  it('prints only the time of day in the live view', () => {
    const e = event(powertoolsLine);
    expect(formatEvent(e, parseLine(e.message), { ...plain, clock: 'time' })).toMatch(/^09:15:02\.345  user /);
  });

  it('summarises a REPORT line and marks cold starts', () => {
    const e = event(`REPORT RequestId: ${INV}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 81 MB\tInit Duration: 150.50 ms\t`);
    expect(formatEvent(e, parseLine(e.message), plain)).toBe(
      `2026-03-10 09:15:02.345Z  user        REPORT inv=${INV}  12.34 ms (billed 13 ms)  memory 81/1024 MB  init 150.5 ms (cold start)`,
    );
  });

  it('shows an error object as its name and message', () => {
    const e = event(JSON.stringify({ level: 'ERROR', message: 'unexpected error', error: { name: 'TypeError', location: 'index.mjs:3', message: 'x is undefined', stack: 'TypeError: …' } }));
    expect(formatEvent(e, parseLine(e.message), plain)).toContain('ERROR  unexpected error  error="TypeError: x is undefined (index.mjs:3)"');
  });

  it('shows metric values instead of the EMF document', () => {
    const emf = JSON.stringify({ _aws: { Timestamp: T, CloudWatchMetrics: [{ Namespace: 'noops-todo', Dimensions: [['service']], Metrics: [{ Name: 'LoginsFailed', Unit: 'Count' }] }] }, service: 'user', LoginsFailed: 1 });
    expect(formatEvent(event(emf), parseLine(emf), plain)).toMatch(/METRIC  LoginsFailed=1$/);
  });

  it('colours levels only when asked', () => {
    const e = event(JSON.stringify({ level: 'ERROR', message: 'boom' }));
    expect(formatEvent(e, parseLine(e.message), { ...plain, color: true })).toContain('\u001b[31mERROR');
    expect(formatEvent(e, parseLine(e.message), plain)).not.toContain('\u001b[');
  });

  it('cuts very long field values', () => {
    const e = event(JSON.stringify({ level: 'INFO', message: 'big', blob: 'x'.repeat(1000) }));
    const line = formatEvent(e, parseLine(e.message), { ...plain, maxValueLength: 20 });
    expect(line).toContain(`blob=${'x'.repeat(19)}…`);
  });
});

describe('formatJson and grouping', () => {
  it('prints the stored event exactly', () => {
    const e = event(powertoolsLine, { logGroup: '/aws/lambda/user', eventId: '1' });
    expect(JSON.parse(formatJson(e))).toEqual(e);
  });

  it('heads each invocation group with function, invocation, line count and duration', () => {
    const items = annotate([
      event(`START RequestId: ${INV} Version: $LATEST`),
      event(powertoolsLine),
      event(`REPORT RequestId: ${INV}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB\t`),
    ]);
    const [group] = groupByInvocation(items);
    expect(formatGroupHeader(group!, false)).toBe(`── user invocation ${INV} (2026-03-10 09:15:02.345Z, 3 lines, 5 ms)`);
  });
});

describe('shouldColor', () => {
  it('follows NO_COLOR, FORCE_COLOR and the terminal', () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });
});
