import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildWeb } from '../../bundle/web';
import { startStack, type Stack, type StackOptions } from '../../local/index';

export type LocalStack = Stack;

export interface LocalStackOptions extends Omit<StackOptions, 'memory' | 'quiet'> {
  /**
   * Many clients, all from 127.0.0.1: fast password hashing, ERROR-level logs, and a login lockout out of
   * reach (lockout is tested on a stack of its own). `env` still wins setting by setting.
   */
  load?: boolean;
  /** Serve a web app built into a private folder, removed at stop, so parallel files never race on dist/web. */
  privateWeb?: boolean;
}

export const LOAD_ENV = { SCRYPT_N: '1024', LOG_LEVEL: 'ERROR', LOGIN_MAX_FAILURES: '1000000' };

/**
 * The longest wait between polls of an idle shard in tests (`npm start`: topology's 50 ms). An idle stack
 * polling each shard every 50 ms costs about 0.2 of a core for as long as it runs (0.06 at 250 ms),
 * measured on the 2-core machine, and every test file with a stack pays it. Nothing a test checks waits
 * on it: a write through the stack wakes the poller of its shard at once, and the waits grow from 5 ms
 * after records, so only a record put on the stream by hand, or `waitIdle()` on an idle mapping, waits
 * up to 250 ms — AWS polls an idle shard about once a second.
 */
export const TEST_IDLE_POLL_MS = 250;

/**
 * The local stack as every suite starts it: in memory unless given a `dataDir`, on a free port, quiet.
 * The function bundles come from the vitest global setup, which builds once per run.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const { load, privateWeb, ...rest } = options;
  const webRoot = privateWeb ? await mkdtemp(path.join(tmpdir(), 'noops-todo-web-')) : undefined;
  if (webRoot) await buildWeb(webRoot);
  const env = { ...(load ? LOAD_ENV : {}), ...(webRoot ? { WEB_ROOT: webRoot } : {}), ...rest.env };
  const changeConsumer = { pollingIntervalMs: TEST_IDLE_POLL_MS, ...rest.changeConsumer };
  const stack = await startStack({ ...rest, env, changeConsumer, memory: rest.dataDir === undefined, port: rest.port ?? 0, quiet: true }).catch(async (err: unknown) => {
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
    throw err;
  });
  if (webRoot) {
    const stop = stack.stop;
    stack.stop = async () => {
      await stop();
      await rm(webRoot, { recursive: true, force: true });
    };
  }
  return stack;
}
