import { emfValues, STANDARD_KEYS, type Level, type LogEvent, type ParsedLine } from './log-event';

export interface FormatOptions {
  color: boolean;
  /** `time` (HH:MM:SS.mmm, for the live view) or `datetime` (with the date, for history). */
  clock: 'time' | 'datetime';
  /** Width the function column is padded to. */
  functionWidth?: number;
  /** Longest an extra field's value may get before it is cut. */
  maxValueLength?: number;
}

const ESC = '\u001b[';
const paint = (code: string) => (on: boolean, text: string) => (on ? `${ESC}${code}m${text}${ESC}0m` : text);
const dim = paint('2');
const bold = paint('1');
const LEVEL_COLOR: Record<Level, (on: boolean, text: string) => string> = {
  TRACE: paint('90'),
  DEBUG: paint('90'),
  INFO: paint('32'),
  WARN: paint('33'),
  ERROR: paint('31'),
  CRITICAL: paint('1;31'),
};
const FUNCTION_COLORS = ['36', '35', '34', '33', '32', '96', '95', '94'];

/** A stable colour per function name, so each function keeps its colour across runs. */
function functionColor(name: string): (on: boolean, text: string) => string {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return paint(FUNCTION_COLORS[hash % FUNCTION_COLORS.length]!);
}

/** Colour only for a terminal, never when NO_COLOR is set (https://no-color.org), FORCE_COLOR forces it. */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true;
}

export function formatTimestamp(ms: number, clock: FormatOptions['clock']): string {
  const iso = new Date(ms).toISOString();
  return clock === 'time' ? iso.slice(11, 23) : `${iso.slice(0, 10)} ${iso.slice(11, 23)}Z`;
}

/** One readable line for one event: time, function, level, message, extras, request ids. */
export function formatEvent(event: LogEvent, parsed: ParsedLine, options: FormatOptions): string {
  const c = options.color;
  const time = dim(c, formatTimestamp(event.timestamp, options.clock));
  const fn = functionColor(event.function)(c, event.function.padEnd(options.functionWidth ?? 10));
  return `${time}  ${fn}  ${body(parsed, options)}`;
}

function body(parsed: ParsedLine, options: FormatOptions): string {
  const c = options.color;
  switch (parsed.kind) {
    case 'start':
      return dim(c, `${'START'.padEnd(5)}  inv=${parsed.lambdaRequestId}`);
    case 'end':
      return dim(c, `${'END'.padEnd(5)}  inv=${parsed.lambdaRequestId}`);
    case 'report': {
      const s = parsed.stats;
      const init = s.initDurationMs !== undefined ? `  init ${s.initDurationMs} ms (cold start)` : '';
      return dim(c, `REPORT inv=${parsed.lambdaRequestId}  ${s.durationMs} ms (billed ${s.billedDurationMs} ms)  memory ${s.maxMemoryUsedMb}/${s.memorySizeMb} MB${init}`);
    }
    case 'metrics': {
      const values = Object.entries(emfValues(parsed.metrics)).map(([k, v]) => `${k}=${value(v, 80)}`);
      return `${paint('35')(c, 'METRIC')}  ${values.join(' ')}${ids(undefined, parsed.lambdaRequestId, c)}`;
    }
    case 'json': {
      const level = parsed.level ?? 'INFO';
      const extras = Object.entries(parsed.fields)
        .filter(([key]) => !STANDARD_KEYS.has(key))
        .map(([key, v]) => `${dim(c, `${key}=`)}${value(v, options.maxValueLength ?? 300)}`);
      const cold = parsed.fields.cold_start === true ? dim(c, ' cold') : '';
      return `${LEVEL_COLOR[level](c, level.padEnd(5))}  ${bold(c, parsed.text)}${extras.length ? `  ${extras.join(' ')}` : ''}${ids(parsed.apiRequestId, parsed.lambdaRequestId, c)}${cold}`;
    }
    case 'text': {
      const level = parsed.level ? LEVEL_COLOR[parsed.level](c, parsed.level.padEnd(5)) : dim(c, '-'.padEnd(5));
      return `${level}  ${parsed.text}${ids(undefined, parsed.lambdaRequestId, c)}`;
    }
  }
}

function ids(api: string | undefined, lambda: string | undefined, c: boolean): string {
  const parts = [api ? `req=${api}` : '', lambda ? `inv=${lambda.slice(0, 8)}` : ''].filter(Boolean);
  return parts.length ? dim(c, `  ${parts.join(' ')}`) : '';
}

function value(v: unknown, max: number): string {
  let text: string;
  if (typeof v === 'string') text = /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  else if (v && typeof v === 'object' && 'message' in v && 'name' in v) {
    // Powertools serialises errors as { name, location, message, stack }: name and message are the story.
    const err = v as { name: unknown; message: unknown; location?: unknown };
    text = `${String(err.name)}: ${String(err.message)}${err.location ? ` (${String(err.location)})` : ''}`;
    text = JSON.stringify(text);
  } else text = JSON.stringify(v) ?? String(v);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Heading of one invocation when output is grouped by request. */
export function formatGroupHeader(group: { function: string; invocation?: string; items: ReadonlyArray<{ event: LogEvent; parsed: ParsedLine }> }, color: boolean): string {
  const first = group.items[0]?.event.timestamp ?? 0;
  const report = group.items.find((item) => item.parsed.kind === 'report');
  const took = report?.parsed.kind === 'report' ? `, ${report.parsed.stats.durationMs} ms` : '';
  const who = functionColor(group.function)(color, group.function);
  const inv = group.invocation ? `invocation ${group.invocation}` : 'outside any invocation';
  return bold(color, `── ${who} ${inv} (${formatTimestamp(first, 'datetime')}, ${group.items.length} lines${took})`);
}

/** `--json`: the event exactly as stored, one object per line. */
export function formatJson(event: LogEvent): string {
  return JSON.stringify(event);
}
