import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ReadModel } from '../topology/index';

/**
 * `<dir>/stack.json`: where a running local stack listens, so CLIs (`npm run replicas`, `npm run logs`)
 * can reach it. Written when the stack is up, removed when it stops. `<dir>` is the data dir, or for an
 * in-memory stack a temporary folder (see `memoryStackDir`) that also holds its log streams.
 */
export interface StackFile {
  url: string;
  /** dynalite itself (not the capturing proxy): tools read and backfill without publishing changes. */
  dynamoEndpoint: string;
  kinesisEndpoint: string;
  streamName: string;
  /** Physical names by logical table or replica name. */
  tables: Record<string, string>;
  /** The replicas it runs with now: logical name, the feed (physical names) and its read model. */
  replicas: Array<{ name?: string; replica: string; source: string; attributes?: ReadModel }>;
  /** True for an in-memory stack: its folder is temporary and removed at stop. */
  memory: boolean;
  /** Where its log stream files are (`<dir>/logs`). */
  logsDir: string;
  /** The trace collector (`GET <tracesUrl>/traces/<id>`), read by `npm run trace`. */
  tracesUrl?: string;
  /** The Node the functions run on (see local/lambda/node.ts). */
  functionsNode: { version: string; execPath: string; source: string; warning?: string };
  /** The runtime's loopback control endpoint and its bearer token (local/control), for `npm run release -- --local`. */
  control?: { url: string; token: string };
  pid: number;
  startedAt: string;
}

/** A running stack's folder and its stack file. */
export interface RunningStack {
  dir: string;
  file: StackFile;
}

const MEMORY_DIR_PREFIX = 'noops-todo-memory-';

export const stackFilePath = (dir: string) => path.join(dir, 'stack.json');

export async function writeStackFile(dir: string, file: StackFile): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  // Readable by this user only: it holds the control endpoint's token.
  await writeFile(stackFilePath(dir), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return () => rm(stackFilePath(dir), { force: true });
}

export async function readStackFile(dir: string): Promise<StackFile | undefined> {
  try {
    return JSON.parse(await readFile(stackFilePath(dir), 'utf8')) as StackFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * A new temporary folder for an in-memory stack's stack file and log streams (`<tmp>/noops-todo-memory-…`,
 * readable by this user only), and its removal. Folders left by in-memory stacks that died without
 * stopping are removed first.
 */
export async function memoryStackDir(tmp: string = tmpdir()): Promise<{ dir: string; remove: () => Promise<void> }> {
  for (const dir of await memoryDirs(tmp)) {
    const file = await readStackFile(dir).catch(() => undefined);
    if (file && !alive(file.pid)) await rm(dir, { recursive: true, force: true });
  }
  const dir = await mkdtemp(path.join(tmp, MEMORY_DIR_PREFIX));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The local stacks running now, most recently started first: the one of `dataDir`, and every in-memory
 * stack of this user under `tmp`. A stack file whose process is gone (killed without stopping) is skipped.
 */
export async function runningStacks(dataDir: string, tmp: string = tmpdir()): Promise<RunningStack[]> {
  const found: RunningStack[] = [];
  for (const dir of [dataDir, ...(await memoryDirs(tmp))]) {
    const file = await readStackFile(dir).catch(() => undefined);
    if (file && alive(file.pid)) found.push({ dir, file });
  }
  return found.sort((a, b) => b.file.startedAt.localeCompare(a.file.startedAt));
}

async function memoryDirs(tmp: string): Promise<string[]> {
  const entries = await readdir(tmp, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && e.name.startsWith(MEMORY_DIR_PREFIX)).map((e) => path.join(tmp, e.name));
}

/** Signal 0 only checks that the process exists; EPERM means it does, under another user. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
