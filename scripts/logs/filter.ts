import { LEVEL_ORDER, parseLine, type Level, type LogEvent, type ParsedLine } from '../../local/logs/log-event';

export interface EventFilter {
  level?: Level;
  grep?: string;
  since?: number;
  until?: number;
}

/** A raw event with its parsed line and the Lambda invocation it belongs to. */
export interface Annotated {
  event: LogEvent;
  parsed: ParsedLine;
  invocation?: string;
}

export function matchesFilter(item: Annotated, filter: EventFilter): boolean {
  const { event, parsed } = item;
  if (filter.since !== undefined && event.timestamp < filter.since) return false;
  if (filter.until !== undefined && event.timestamp > filter.until) return false;
  if (filter.grep !== undefined && !event.message.includes(filter.grep)) return false;
  if (filter.level !== undefined) {
    // Lines without a level (START/END/REPORT, plain text) are not warnings or errors.
    const level = 'level' in parsed ? parsed.level : undefined;
    if (!level || LEVEL_ORDER[level] < LEVEL_ORDER[filter.level]) return false;
  }
  return true;
}

/**
 * Attributes every event to a Lambda invocation. Explicit ids win (function_request_id, the
 * START/END/REPORT id); otherwise position decides: a Lambda instance (one log stream) runs one
 * invocation at a time, so a line between START x and REPORT x belongs to x.
 */
export function annotate(events: readonly LogEvent[]): Annotated[] {
  const current = new Map<string, string | undefined>();
  return events.map((event) => {
    const parsed = parseLine(event.message);
    const streamKey = `${event.logGroup ?? event.function}\u0000${event.logStream}`;
    if (parsed.kind === 'start') current.set(streamKey, parsed.lambdaRequestId);
    const invocation = parsed.lambdaRequestId ?? current.get(streamKey);
    if (parsed.kind === 'report') current.delete(streamKey);
    return { event, parsed, invocation };
  });
}
