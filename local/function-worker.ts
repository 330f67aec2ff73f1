import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SYNC_MARK, type InvokeMessage, type WorkerMessage } from './worker-protocol';

export interface WorkerOptions {
  id: string;
  functionName: string;
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
  line: [WorkerLine];
  message: [WorkerMessage];
  /** After the process exited and all of its output was read. */
  close: [{ code: number | null; signal: NodeJS.Signals | null }];
};

// CloudWatch Logs caps an event at 256 KB; a longer line without a newline is cut there.
const MAX_LINE_CHARS = 256 * 1024;

/**
 * One function instance: a child process running local/worker.ts on one bundle. It turns the output
 * pipes into lines and orders worker messages after the lines written before them (see SYNC_MARK).
 */
export class FunctionWorker extends EventEmitter<WorkerEvents> {
  readonly id: string;
  /** Lambda's stream naming: `2024/05/01/[$LATEST]<32 hex>`; one per instance. */
  readonly logStream: string;
  private readonly child: ChildProcess;
  private readonly synced = { stdout: 0, stderr: 0 };
  private readonly pending: WorkerMessage[] = [];
  private exited = false;
  private closed = false;
  private readonly pipesEnded: Promise<unknown>;

  constructor(options: WorkerOptions) {
    super();
    this.id = options.id;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    this.logStream = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    this.child = fork(options.entry, [options.bundle], {
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
    this.child.on('message', (message: WorkerMessage) => {
      this.pending.push(message);
      this.flush();
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
    // All output has been read: anything still waiting for its marks can go now.
    this.flush(true);
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

  private onLine(raw: string, stream: 'stdout' | 'stderr'): void {
    const mark = raw.indexOf(SYNC_MARK);
    // A handler's unterminated write can share a line with the mark that follows it.
    const line = mark === -1 ? raw : raw.slice(0, mark);
    if (line) this.emit('line', { line, stream, timestamp: Date.now() });
    if (mark !== -1) {
      this.synced[stream] = Number(raw.slice(mark + SYNC_MARK.length)) || this.synced[stream];
      this.flush();
    }
  }

  private flush(all = false): void {
    while (this.pending.length) {
      const next = this.pending[0] as WorkerMessage;
      if (!all && (this.synced.stdout < next.sync || this.synced.stderr < next.sync)) return;
      this.pending.shift();
      this.emit('message', next);
    }
  }
}
