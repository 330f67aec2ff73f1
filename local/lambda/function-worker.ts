import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SYNC_MARK, type InvokeMessage, type OutputMarks, type SpansMessage, type WorkerMessage } from './worker-protocol';

export interface WorkerOptions {
  id: string;
  functionName: string;
  /** The function version it runs (`$LATEST` if unset): Lambda names its log streams after it. */
  version?: string;
  /** The Node binary to run. */
  execPath: string;
  entry: string;
  bundle: string;
  memoryMb: number;
  env: Record<string, string>;
}

export interface WorkerLine {
  line: string;
  stream: 'stdout' | 'stderr';
  timestamp: number;
}

type WorkerEvents = {
  /** In log order: see `inLogOrder`. */
  line: [WorkerLine];
  /** As soon as it arrives, possibly before the lines written before it. */
  message: [WorkerMessage];
  /** What its telemetry extension forwards, on a message of their own or on an invocation's result. */
  spans: [SpansMessage];
  /** After the process exited and all of its output was read. */
  close: [{ code: number | null; signal: NodeJS.Signals | null }];
};

/** Log-order entries waiting for a mark: a barrier stands where a message was sent in the output. */
type Pending = { barrier: OutputMarks } | { line: WorkerLine } | { run: () => void };

// CloudWatch Logs caps an event at 256 KB; a longer line without a newline is cut there.
const MAX_LINE_CHARS = 256 * 1024;
/** A barrier that only the end of the output passes. */
const AT_EXIT: OutputMarks = { stdout: Infinity, stderr: Infinity };

/**
 * One function instance: a child process running local/lambda/worker.ts on one bundle. It turns the output
 * pipes into lines, hands messages on as they arrive, and keeps a log order in which each message
 * stands after the lines written before it (see OutputMarks), for the pool's START/END events.
 */
export class FunctionWorker extends EventEmitter<WorkerEvents> {
  readonly id: string;
  /** Lambda's stream naming: `2024/05/01/[<version>]<32 hex>` (`[$LATEST]`, `[3]`); one per instance. */
  readonly logStream: string;
  private readonly child: ChildProcess;
  private readonly synced: OutputMarks = { stdout: 0, stderr: 0 };
  private readonly pending: Pending[] = [];
  private exited = false;
  private closed = false;
  private readonly pipesEnded: Promise<unknown>;

  constructor(options: WorkerOptions) {
    super();
    this.id = options.id;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    this.logStream = `${day}/[${options.version ?? '$LATEST'}]${randomBytes(16).toString('hex')}`;
    this.child = fork(options.entry, [options.bundle], {
      execPath: options.execPath,
      cwd: path.dirname(options.bundle),
      env: { ...options.env, AWS_LAMBDA_LOG_STREAM_NAME: this.logStream },
      // Like Lambda's memory setting: a function that outgrows it dies instead of swapping the laptop.
      execArgv: [`--max-old-space-size=${options.memoryMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: a terminal's Ctrl-C reaches the runtime, which then stops instances in
      // order, instead of killing them mid-invocation. A worker still exits when its parent dies (IPC).
      detached: true,
    });
    this.pipesEnded = Promise.all([this.readLines(this.child.stdout, 'stdout'), this.readLines(this.child.stderr, 'stderr')]);
    this.child.on('message', (message: WorkerMessage | SpansMessage) => {
      if (message.type === 'spans') return void this.emit('spans', message);
      if (!this.closed && !this.passed(message.marks)) this.pending.push({ barrier: message.marks });
      this.emit('message', message);
      // Spans that rode on a result: handed on once the answer is on its way (storing them is not the caller's wait).
      const spans = 'spans' in message ? message.spans : undefined;
      if (spans) setImmediate(() => this.emit('spans', { type: 'spans', ...spans }));
    });
    // Node's own 'close' never fires once the IPC channel was disconnected, so closing is tracked here:
    // after the exit and the end of both pipes (bounded, in case a grandchild holds them open).
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      const finish = () => this.closeOnce(code, signal);
      this.pipesEnded.then(finish, finish);
      setTimeout(finish, 500).unref();
    });
    this.child.on('error', (err) => this.emit('line', { line: `worker error: ${err.message}`, stream: 'stderr', timestamp: Date.now() }));
  }

  /** The instance's process id (tests kill it to simulate a crashed execution environment). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  send(message: InvokeMessage): void {
    this.child.send(message);
  }

  /**
   * Runs `fn` in log order: after every line written before the last message received (or, with
   * `atExit`, after all output of the process), and before the lines that follow.
   */
  inLogOrder(fn: () => void, options: { atExit?: boolean } = {}): void {
    if (options.atExit && !this.closed) this.pending.push({ barrier: AT_EXIT });
    if (this.pending.length) this.pending.push({ run: fn });
    else fn();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** Closes the IPC channel (the worker exits on its own), and kills it if it has not after `graceMs`. */
  async stop(graceMs = 1000): Promise<void> {
    if (this.closed) return;
    const closed = new Promise<void>((resolve) => this.once('close', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.kill(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private closeOnce(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    this.closed = true;
    // All output has been read: whatever still waits for a mark can go now.
    this.drain();
    this.emit('close', { code, signal });
  }

  /** Resolves when the pipe ends. */
  private readLines(stream: Readable | null, name: 'stdout' | 'stderr'): Promise<void> {
    if (!stream) return Promise.resolve();
    stream.setEncoding('utf8');
    let buffer = '';
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        this.onLine(buffer.slice(0, newline), name);
        buffer = buffer.slice(newline + 1);
      }
      while (buffer.length > MAX_LINE_CHARS) {
        this.onLine(buffer.slice(0, MAX_LINE_CHARS), name);
        buffer = buffer.slice(MAX_LINE_CHARS);
      }
    });
    return new Promise((resolve) => {
      stream.on('close', () => {
        if (buffer) this.onLine(buffer, name);
        buffer = '';
        resolve();
      });
    });
  }

  private onLine(raw: string, stream: keyof OutputMarks): void {
    const mark = raw.indexOf(SYNC_MARK);
    // A handler's unterminated write can share a line with the mark that follows it.
    const line = mark === -1 ? raw : raw.slice(0, mark);
    if (line) this.place({ line, stream, timestamp: Date.now() });
    if (mark !== -1) {
      this.synced[stream] = Number(raw.slice(mark + SYNC_MARK.length)) || this.synced[stream];
      this.drain();
    }
  }

  /** A line goes before the first barrier whose mark on its stream is still to come, else last. */
  private place(line: WorkerLine): void {
    const before = this.pending.findIndex((p) => 'barrier' in p && this.synced[line.stream] < p.barrier[line.stream]);
    if (before === 0 || !this.pending.length) this.emit('line', line);
    else if (before === -1) this.pending.push({ line });
    else this.pending.splice(before, 0, { line });
  }

  private passed(marks: OutputMarks): boolean {
    return this.synced.stdout >= marks.stdout && this.synced.stderr >= marks.stderr;
  }

  private drain(): void {
    while (this.pending.length) {
      const next = this.pending[0] as Pending;
      if ('barrier' in next && !this.closed && !this.passed(next.barrier)) return;
      this.pending.shift();
      if ('line' in next) this.emit('line', next.line);
      else if ('run' in next) next.run();
    }
  }
}
