import { parseLine, type LogEvent } from '../../local/logs/log-event';
import type { Annotated } from './filter';

/**
 * "What happened to request X": X may be the API request id (the `x-request-id` a user quotes) or a
 * Lambda request id. Every invocation that logged X is included whole, START to REPORT, from every
 * function.
 */
export function selectRequest(items: readonly Annotated[], id: string): Annotated[] {
  const invocations = new Set<string>([id]);
  const traces = new Set<string>([id]);
  for (const item of items) {
    if (!directMatch(item, id)) continue;
    if (item.invocation) invocations.add(item.invocation);
    const trace = traceIdOf(item);
    if (trace) traces.add(trace);
  }
  return items.filter((item) => directMatch(item, id) || (item.invocation !== undefined && invocations.has(item.invocation)) || traces.has(traceIdOf(item) ?? ''));
}

/**
 * The trace id every function line carries (`traceId`). It links a request to the replicator lines that
 * applied its changes: the replicator runs in another invocation, but continues the request's trace.
 */
function traceIdOf(item: Annotated): string | undefined {
  const value = item.parsed.kind === 'json' ? item.parsed.fields.traceId : undefined;
  return typeof value === 'string' ? value : undefined;
}

function directMatch(item: Annotated, id: string): boolean {
  const { parsed } = item;
  if (parsed.kind === 'json' && parsed.apiRequestId === id) return true;
  return item.invocation === id;
}

export interface InvocationGroup {
  function: string;
  invocation?: string;
  items: Annotated[];
}

/** Groups by function invocation, groups ordered by their first line. */
export function groupByInvocation(items: readonly Annotated[]): InvocationGroup[] {
  const groups = new Map<string, InvocationGroup>();
  for (const item of items) {
    const key = `${item.event.function}\u0000${item.invocation ?? ''}`;
    let group = groups.get(key);
    if (!group) {
      group = { function: item.event.function, invocation: item.invocation, items: [] };
      groups.set(key, group);
    }
    group.items.push(item);
  }
  return [...groups.values()];
}

const MAX_BUFFERED_PER_STREAM = 2_000;

/**
 * The streaming form of selectRequest for `--follow`: lines of an invocation are held until the
 * invocation turns out to concern the request (its START comes before the line naming the request),
 * then released; later lines of a matched invocation pass straight through.
 */
export class RequestFollower {
  private readonly matched = new Set<string>();
  private readonly traces = new Set<string>();
  private readonly streams = new Map<string, { current?: string; buffer: Annotated[] }>();

  constructor(private readonly id: string) {
    this.matched.add(id);
  }

  push(event: LogEvent): Annotated[] {
    const parsed = parseLine(event.message);
    const key = `${event.logGroup ?? event.function}\u0000${event.logStream}`;
    let state = this.streams.get(key);
    if (!state) {
      state = { buffer: [] };
      this.streams.set(key, state);
    }
    if (parsed.kind === 'start') {
      state.current = parsed.lambdaRequestId;
      state.buffer = [];
    }
    const item: Annotated = { event, parsed, invocation: parsed.lambdaRequestId ?? state.current };
    if (parsed.kind === 'report' && state.current === parsed.lambdaRequestId) state.current = undefined;

    let out: Annotated[] = [];
    const trace = traceIdOf(item);
    if (directMatch(item, this.id)) {
      if (trace) this.traces.add(trace);
      if (item.invocation) {
        this.matched.add(item.invocation);
        out = state.buffer.filter((held) => held.invocation === item.invocation);
        state.buffer = state.buffer.filter((held) => held.invocation !== item.invocation);
      }
      out.push(item);
    } else if ((item.invocation && this.matched.has(item.invocation)) || (trace && this.traces.has(trace))) {
      out.push(item);
    } else if (item.invocation) {
      state.buffer.push(item);
      if (state.buffer.length > MAX_BUFFERED_PER_STREAM) state.buffer.shift();
    }
    if (parsed.kind === 'report' && !this.matched.has(parsed.lambdaRequestId)) {
      state.buffer = state.buffer.filter((held) => held.invocation !== parsed.lambdaRequestId);
    }
    return out;
  }
}
