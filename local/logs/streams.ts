import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { functions } from '../../topology';
import type { InvocationEvent, LogLineEvent, PoolEventSource } from '../lambda/invocation';
import { defaultLogStream, endLine, reportLine, startLine } from './platform-lines';

export interface LogStreamsOptions {
  /** The runtime's data directory (`.local`); files go under `<dataDir>/logs/<function>/`. */
  dataDir: string;
  /** Memory size for REPORT lines; defaults to the topology's setting. */
  memorySizeMb?: (fn: string) => number;
  /** Stream files not written for this many days are deleted at start, like a log group's retention. */
  retentionDays?: number;
}

export interface LogStreams {
  /** Resolves once everything received so far is on disk. */
  flush(): Promise<void>;
  /** Stops listening and closes every file. */
  close(): Promise<void>;
}

/**
 * Writes each function's output as CloudWatch would store it: one log stream per instance (worker),
 * one event per line, with Lambda's START / END / REPORT lines around every invocation, so
 * `npm run logs` reads local runs exactly like a deployed stack.
 */
export function attachLogStreams(pool: PoolEventSource, options: LogStreamsOptions): LogStreams {
  const root = path.join(options.dataDir, 'logs');
  const files = new Map<string, WriteStream>();
  const memory = options.memorySizeMb ?? ((fn: string) => functions.find((f) => f.name === fn)?.memoryMb ?? 128);
  expireOldStreams(root, options.retentionDays ?? 7);

  function write(fn: string, workerId: string, logStream: string, message: string, timestamp: number): void {
    const stream = logStream || defaultLogStream(workerId, timestamp);
    const key = `${fn}\u0000${stream}`;
    let file = files.get(key);
    if (!file) {
      const dir = path.join(root, fn);
      mkdirSync(dir, { recursive: true });
      // `2026/01/31/[$LATEST]abc` → `2026-01-31-[$LATEST]abc.jsonl`: the stream name, filename-safe.
      file = createWriteStream(path.join(dir, `${stream.replaceAll('/', '-')}.jsonl`), { flags: 'a' });
      file.on('error', (err) => process.stderr.write(`log streams: cannot write ${fn} logs: ${err.message}\n`));
      files.set(key, file);
    }
    file.write(`${JSON.stringify({ timestamp, message, logStream: stream, function: fn })}\n`);
  }

  const onLog = (e: LogLineEvent) => write(e.function, e.workerId, e.logStream, e.line, e.timestamp);
  const onInvocation = (e: InvocationEvent) => {
    const now = Date.now();
    if (e.phase === 'start') return write(e.function, e.workerId, e.logStream, startLine(e.awsRequestId, e.version), now);
    write(e.function, e.workerId, e.logStream, endLine(e.awsRequestId), now);
    write(e.function, e.workerId, e.logStream, reportLine(e, memory(e.function)), now);
  };
  pool.on('log', onLog);
  pool.on('invocation', onInvocation);

  const flush = () =>
    Promise.all([...files.values()].map((file) => new Promise<void>((resolve) => (file.writable ? file.write('', () => resolve()) : resolve())))).then(() => undefined);

  return {
    flush,
    async close() {
      pool.off('log', onLog);
      pool.off('invocation', onInvocation);
      await Promise.all([...files.values()].map((file) => new Promise<void>((resolve) => file.end(() => resolve()))));
      files.clear();
    },
  };
}

/** Runs once at start, synchronously: a local data dir holds at most a few hundred stream files. */
function expireOldStreams(root: string, retentionDays: number): void {
  const cutoff = Date.now() - retentionDays * 86_400_000;
  for (const fn of safeList(root)) {
    for (const name of safeList(path.join(root, fn))) {
      const file = path.join(root, fn, name);
      const modified = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Infinity;
      if (name.endsWith('.jsonl') && modified < cutoff) rmSync(file, { force: true });
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
