import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LIVE_ALIAS } from '../../topology/release';
import { chooseVersion, routingProblem, type AliasRouting } from './alias';
import { FunctionWorker } from './function-worker';
import { workerEntry } from './worker-entry';
import { InvocationError, lambdaErrorType, type InvocationEvent, type PoolEvents } from './invocation';
import type { WorkerMessage } from './worker-protocol';

export { InvocationError, type InvocationErrorCode, type InvocationEvent, type LogLineEvent, type PoolEvents, type PoolEventSource, type SpansEvent } from './invocation';

export interface PoolFunction {
  name: string;
  /** The bundle to run: dist/functions/<name>/index.mjs, or a test fixture. */
  bundle: string;
  timeoutMs: number;
  memoryMb: number;
  env: Record<string, string>;
}

export interface FunctionPoolOptions {
  functions: PoolFunction[];
  /** Warm instances per function, like Lambda's concurrency (default 4). */
  maxWorkersPerFunction?: number;
  /** Invocations waiting for an instance beyond that; more are throttled (default 100). */
  maxQueuedPerFunction?: number;
  /** Lambda's init phase limit (default 10 s). */
  initTimeoutMs?: number;
  /** The Node binary the instances run on (see local/lambda/node.ts); default: this process's own. */
  execPath?: string;
}

interface Invocation { awsRequestId: string; event: unknown; traceId?: string; resolve: (v: unknown, durationMs?: number) => void; reject: (e: InvocationError, durationMs?: number) => void }
interface Slot {
  worker: FunctionWorker;
  ready: boolean;
  retired?: boolean;
  initDurationMs?: number;
  current?: Invocation & { started: number; timer: NodeJS.Timeout };
  /** The invocation whose START has been emitted and END not yet: the owner of the lines in between. */
  logging?: string;
  /** Settles once the instance is ready or has failed to start. */
  started: Promise<void>;
  /** The function's configuration it was started with (`FunctionState.configuration`). */
  configuration: number;
}
interface FunctionState { spec: PoolFunction; version: string; slots: Set<Slot>; queue: Invocation[]; spawned: number; configuration: number }
/**
 * A function as Lambda keeps it after `publish: true`: numbered, immutable versions (each its own bundle
 * and instances) and the alias `live` every trigger invokes, which routes to one or two of them.
 */
interface FunctionEntry { spec: PoolFunction; versions: Map<string, FunctionState>; routing: AliasRouting }

/** What Lambda's Invoke answers: the payload and `ExecutedVersion`, the version the alias routed it to. */
export interface InvokeOutput { payload: unknown; executedVersion: string }

/**
 * Runs each function in its own warm child processes, like Lambda execution environments: one
 * invocation per instance at a time, new instances on demand up to a limit, a bounded queue beyond it.
 */
export class FunctionPool extends EventEmitter<PoolEvents> {
  private readonly fns = new Map<string, FunctionEntry>();
  private readonly maxWorkers: number;
  private readonly maxQueued: number;
  private readonly initTimeoutMs: number;
  private readonly execPath: string;
  private stopped = false;

  constructor(options: FunctionPoolOptions) {
    super();
    // Every function starts as version 1 behind `live`, as after a first `pulumi up` with `publish: true`.
    for (const spec of options.functions) this.fns.set(spec.name, { spec, versions: new Map([['1', newVersion(spec, '1')]]), routing: { version: '1', weights: {} } });
    this.maxWorkers = Math.max(1, options.maxWorkersPerFunction ?? 4);
    this.maxQueued = Math.max(0, options.maxQueuedPerFunction ?? 100);
    this.initTimeoutMs = options.initTimeoutMs ?? 10_000;
    this.execPath = options.execPath ?? process.execPath;
  }

  get functionNames(): string[] {
    return [...this.fns.keys()];
  }

  /** Runs one invocation of the `live` alias; resolves with the handler's result or rejects with an InvocationError. */
  invoke(functionName: string, event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    return this.invokeVersioned(functionName, event, options).then((output) => output.payload);
  }

  /**
   * Runs one invocation of `qualifier` (default the `live` alias, or a version number) and says which
   * version ran it; a failure's InvocationError carries `executedVersion` too.
   */
  invokeVersioned(functionName: string, event: unknown, options: InvokeOptions = {}): Promise<InvokeOutput> {
    const entry = this.fns.get(functionName);
    if (!entry) return Promise.reject(new InvocationError('UnknownFunction', `No function named "${functionName}"`));
    const qualifier = options.qualifier ?? LIVE_ALIAS;
    const version = qualifier === LIVE_ALIAS ? chooseVersion(entry.routing) : qualifier;
    const fn = entry.versions.get(version);
    if (!fn) return Promise.reject(new InvocationError('UnknownFunction', `${functionName} has no version or alias "${qualifier}"`));
    const settled = (error?: InvocationError, durationMs?: number) =>
      this.emit('result', { function: functionName, version, at: Date.now(), ...(durationMs !== undefined ? { durationMs } : {}), ...(error ? { error: error.code } : {}) });
    const failed = (error: InvocationError, durationMs?: number) => {
      settled(error, durationMs);
      return Promise.reject(Object.assign(error, { executedVersion: version }));
    };
    if (this.stopped) return failed(new InvocationError('PoolStopped', 'The local runtime is stopping'));
    if (fn.queue.length >= this.maxQueued) {
      return failed(new InvocationError('Throttled', `${functionName} has ${this.maxWorkers} busy instances and ${fn.queue.length} queued invocations`));
    }
    return new Promise<InvokeOutput>((resolve, reject) => {
      fn.queue.push({
        awsRequestId: randomUUID(), event, ...(options.traceId ? { traceId: options.traceId } : {}),
        resolve: (payload, durationMs) => {
          settled(undefined, durationMs);
          resolve({ payload, executedVersion: version });
        },
        reject: (error, durationMs) => void failed(error, durationMs).catch(reject),
      });
      this.schedule(fn);
    });
  }

  /**
   * PublishVersion from a new bundle: a version with the next number, the function's current settings
   * and its own instances; nothing invokes it until the alias routes to it. Like Lambda, code identical
   * to the newest version publishes nothing and answers that version ("Lambda doesn't publish a version
   * if the function's configuration and code haven't changed since the last version", Lambda versions,
   * https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html).
   */
  async publishVersion(functionName: string, bundle: string): Promise<string> {
    const entry = this.entry(functionName);
    const newest = [...entry.versions.values()].at(-1)!;
    const [code, newestCode] = await Promise.all([codeSha256(bundle), codeSha256(newest.spec.bundle).catch(() => '')]);
    if (code === newestCode) return newest.version;
    const version = String(Number(newest.version) + 1);
    entry.versions.set(version, newVersion({ ...entry.spec, bundle }, version));
    return version;
  }

  /** GetAlias of `live`, and the versions the function has. */
  alias(functionName: string): AliasRouting & { versions: string[] } {
    const entry = this.entry(functionName);
    return { version: entry.routing.version, weights: { ...entry.routing.weights }, versions: [...entry.versions.keys()] };
  }

  /**
   * UpdateAlias of `live`: later invocations follow the new routing at once; those already running end
   * on their version. A version the alias no longer routes to stops its idle instances.
   */
  updateAlias(functionName: string, routing: AliasRouting): void {
    const entry = this.entry(functionName);
    const problem = routingProblem(routing, [...entry.versions.keys()]);
    if (problem) throw new Error(`${functionName}:${LIVE_ALIAS}: ${problem}`);
    entry.routing = { version: routing.version, weights: Object.fromEntries(Object.entries(routing.weights).filter(([, w]) => w > 0)) };
    for (const fn of entry.versions.values()) {
      if (fn.version === entry.routing.version || fn.version in entry.routing.weights) continue;
      fn.configuration++;
      for (const slot of fn.slots) this.retireIfStale(fn, slot);
    }
  }

  /**
   * Starts instances of a function up to `count` (default: the instance limit) and resolves once they
   * are ready, like provisioned concurrency: later invocations find warm instances instead of cold starts.
   */
  async prewarm(functionName: string, count = this.maxWorkers): Promise<void> {
    const fn = this.primary(functionName);
    if (!fn) throw new InvocationError('UnknownFunction', `No function named "${functionName}"`);
    const wanted = Math.min(count, this.maxWorkers);
    while (!this.stopped && fn.slots.size < wanted) void this.spawn(fn);
    await Promise.all([...fn.slots].map((s) => s.started));
  }

  /** Instances of the version `live` mostly routes to, for status output and tests. */
  workers(functionName: string): { total: number; busy: number; queued: number } {
    const fn = this.primary(functionName);
    if (!fn) return { total: 0, busy: 0, queued: 0 };
    const busy = [...fn.slots].filter((s) => s.current).length;
    return { total: fn.slots.size, busy, queued: fn.queue.length };
  }

  /** The running instances of a function's primary version, with their process ids (fault-injection tests kill one). */
  instances(functionName: string): Array<{ id: string; pid: number | undefined; busy: boolean }> {
    const fn = this.primary(functionName);
    return fn ? [...fn.slots].filter((s) => s.worker).map((s) => ({ id: s.worker.id, pid: s.worker.pid, busy: !!s.current })) : [];
  }

  /**
   * A new environment for a function, as Lambda's UpdateFunctionConfiguration: invocations from now on
   * run in new instances; idle instances stop at once, busy ones once their invocation is answered.
   */
  reconfigure(functionName: string, env: Record<string, string>): void {
    const entry = this.entry(functionName);
    entry.spec = { ...entry.spec, env };
    // Every version: locally a reconfiguration is a rotated secret, which the versions behind the alias all need.
    for (const fn of entry.versions.values()) {
      fn.spec = { ...fn.spec, env };
      fn.configuration++;
      for (const slot of fn.slots) this.retireIfStale(fn, slot);
      this.schedule(fn);
    }
  }

  /**
   * Resolves once no instance started before the last `reconfigure` is still answering an invocation
   * (bounded by the function's timeout, which ends any invocation): from then on every invocation runs
   * with the new environment.
   */
  async reconfigured(functionName: string): Promise<void> {
    const entry = this.entry(functionName);
    const deadline = Date.now() + entry.spec.timeoutMs + 1_000;
    const busyOld = () => [...entry.versions.values()].some((fn) => [...fn.slots].some((s) => s.current && s.configuration !== fn.configuration));
    while (busyOld() && !this.stopped && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const slots = [...this.fns.values()].flatMap((entry) => [...entry.versions.values()]).flatMap((fn) => {
      for (const inv of fn.queue.splice(0)) inv.reject(new InvocationError('PoolStopped', 'The local runtime is stopping'));
      return [...fn.slots];
    });
    await Promise.all(slots.map((slot) => slot.worker.stop()));
  }

  private entry(functionName: string): FunctionEntry {
    const entry = this.fns.get(functionName);
    if (!entry) throw new InvocationError('UnknownFunction', `No function named "${functionName}"`);
    return entry;
  }

  /** The version the alias sends (most of) its traffic to. */
  private primary(functionName: string): FunctionState | undefined {
    const entry = this.fns.get(functionName);
    return entry?.versions.get(entry.routing.version);
  }

  private schedule(fn: FunctionState): void {
    if (this.stopped) return;
    for (const slot of fn.slots) {
      if (!fn.queue.length) return;
      if (slot.ready && !slot.retired && !slot.current && slot.configuration === fn.configuration) this.dispatch(fn, slot, fn.queue.shift() as Invocation);
    }
    const starting = [...fn.slots].filter((s) => !s.ready && !s.retired).length;
    let toStart = Math.min(fn.queue.length - starting, this.maxWorkers - fn.slots.size);
    while (toStart-- > 0) void this.spawn(fn);
  }

  private async spawn(fn: FunctionState): Promise<void> {
    // Version 1 keeps the plain `<fn>-<n>` ids; later versions' instances are told apart.
    const id = `${fn.spec.name}-${fn.version === '1' ? '' : `v${fn.version}-`}${++fn.spawned}`;
    // Reserve the slot before the async steps so concurrent schedules do not over-spawn.
    let started!: () => void;
    const slot = { ready: false, configuration: fn.configuration, started: new Promise<void>((resolve) => (started = resolve)) } as Slot;
    fn.slots.add(slot);
    try {
      await access(fn.spec.bundle).catch(() => {
        throw new Error(`${fn.spec.bundle} does not exist: run \`npm run build\``);
      });
      const entry = await workerEntry();
      if (this.stopped) throw new Error('stopped');
      slot.configuration = fn.configuration;
      slot.worker = new FunctionWorker({ id, functionName: fn.spec.name, version: fn.version, execPath: this.execPath, entry, bundle: fn.spec.bundle, memoryMb: fn.spec.memoryMb, env: { ...fn.spec.env, AWS_LAMBDA_FUNCTION_VERSION: fn.version } });
    } catch (err) {
      fn.slots.delete(slot);
      started();
      this.failOne(fn, new InvocationError('FunctionInitError', (err as Error).message));
      return;
    }
    const { worker } = slot;
    const initTimer = setTimeout(() => worker.kill(), this.initTimeoutMs);
    worker.on('line', (l) => this.emit('log', { function: fn.spec.name, version: fn.version, workerId: id, logStream: worker.logStream, ...l, ...(slot.logging ? { awsRequestId: slot.logging } : {}) }));
    worker.on('spans', ({ upstream, body }) => this.emit('spans', { function: fn.spec.name, upstream, body }));
    worker.on('message', (message) => {
      if (message.type === 'ready') {
        clearTimeout(initTimer);
        Object.assign(slot, { ready: true, initDurationMs: message.initDurationMs });
        started();
        this.retireIfStale(fn, slot);
        this.schedule(fn);
      } else if (message.type === 'init-error') {
        started();
        this.failOne(fn, new InvocationError('FunctionInitError', `${message.error.errorType}: ${message.error.errorMessage}`, message.error));
      } else this.complete(fn, slot, message);
    });
    worker.on('close', ({ code, signal }) => {
      clearTimeout(initTimer);
      started();
      fn.slots.delete(slot);
      if (slot.current) this.finish(fn, slot, new InvocationError('FunctionCrashed', `${fn.spec.name} instance exited mid-invocation (${signal ?? `code ${code}`})`));
      else if (!slot.ready && !slot.retired) this.failOne(fn, new InvocationError('FunctionInitError', `${fn.spec.name} instance exited during init (${signal ?? `code ${code}`})`));
      this.schedule(fn);
    });
  }

  private dispatch(fn: FunctionState, slot: Slot, inv: Invocation): void {
    const timer = setTimeout(() => {
      // Like Lambda, a timed-out environment is not reused; it leaves the pool when its process is gone.
      slot.retired = true;
      this.finish(fn, slot, new InvocationError('FunctionTimeout', `Task timed out after ${(fn.spec.timeoutMs / 1000).toFixed(2)} seconds`));
      slot.worker.kill();
    }, fn.spec.timeoutMs);
    slot.current = { ...inv, started: performance.now(), timer };
    const start = this.invocationEvent('start', fn, slot, {});
    slot.worker.inLogOrder(() => {
      slot.logging = inv.awsRequestId;
      this.emit('invocation', start);
    });
    slot.worker.send({ type: 'invoke', id: inv.awsRequestId, event: inv.event, deadlineMs: Date.now() + fn.spec.timeoutMs, ...(inv.traceId ? { traceId: inv.traceId } : {}) });
  }

  private complete(fn: FunctionState, slot: Slot, message: Extract<WorkerMessage, { id: string }>): void {
    if (slot.current?.awsRequestId !== message.id) return;
    if (message.type === 'result') this.finish(fn, slot, undefined, message.result, message.maxMemoryUsedMb);
    else this.finish(fn, slot, new InvocationError('FunctionError', `${message.error.errorType}: ${message.error.errorMessage}`, message.error), undefined, message.maxMemoryUsedMb);
    this.retireIfStale(fn, slot);
    this.schedule(fn);
  }

  /** An idle, ready instance started with an older configuration leaves the pool (its close reschedules). */
  private retireIfStale(fn: FunctionState, slot: Slot): void {
    if (slot.configuration === fn.configuration || !slot.ready || slot.current || slot.retired) return;
    slot.retired = true;
    void slot.worker.stop();
  }

  /**
   * Settles the invocation at once (the caller gets its answer without waiting for the output pipes);
   * its `end` event follows every line it wrote, in log order.
   */
  private finish(fn: FunctionState, slot: Slot, error: InvocationError | undefined, result?: unknown, maxMemoryUsedMb?: number): void {
    const inv = slot.current;
    if (!inv) return;
    clearTimeout(inv.timer);
    const durationMs = performance.now() - inv.started;
    const errorInfo = error ? { error: { code: error.code, errorType: lambdaErrorType(error), errorMessage: error.message } } : {};
    const end = this.invocationEvent('end', fn, slot, { durationMs, billedDurationMs: Math.max(1, Math.ceil(durationMs)), ...(maxMemoryUsedMb ? { maxMemoryUsedMb } : {}), ...errorInfo });
    // A killed instance's last lines are still in its pipes: they belong before its END.
    slot.worker.inLogOrder(() => {
      this.emit('invocation', end);
      slot.logging = undefined;
    }, { atExit: slot.retired === true });
    slot.current = undefined;
    delete slot.initDurationMs;
    if (error) inv.reject(error, durationMs);
    else inv.resolve(result, durationMs);
  }

  private invocationEvent(phase: 'start' | 'end', fn: FunctionState, slot: Slot, extra: Partial<InvocationEvent>): InvocationEvent {
    const inv = slot.current as Invocation;
    return {
      phase, function: fn.spec.name, version: fn.version, workerId: slot.worker.id, logStream: slot.worker.logStream, awsRequestId: inv.awsRequestId,
      ...(slot.initDurationMs !== undefined ? { initDurationMs: slot.initDurationMs } : {}),
      ...extra,
    };
  }

  /** An instance that failed to start fails the oldest waiting invocation, as the one it was started for. */
  private failOne(fn: FunctionState, error: InvocationError): void {
    fn.queue.shift()?.reject(error);
  }
}

export interface InvokeOptions {
  traceId?: string;
  /** The alias (`live`, the default) or a version number, like Invoke's `Qualifier`. */
  qualifier?: string;
}

function newVersion(spec: PoolFunction, version: string): FunctionState {
  return { spec, version, slots: new Set(), queue: [], spawned: 0, configuration: 0 };
}

/**
 * The code package's fingerprint: every file of the bundle's folder (the static function's web app
 * too), except source maps, whose relative paths differ between dist/ and a version folder.
 */
async function codeSha256(bundle: string): Promise<string> {
  const dir = path.dirname(bundle);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && !e.name.endsWith('.map')).map((e) => path.join(e.parentPath, e.name)).sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(path.relative(dir, file)).update('\0').update(await readFile(file)).update('\0');
  return hash.digest('hex');
}
