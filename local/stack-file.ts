import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `<dataDir>/stack.json`: where a running local stack listens, so CLIs (`npm run replicas`) can reach it.
 * Written when the stack is up, removed when it stops.
 */
export interface StackFile {
  url: string;
  /** dynalite itself (not the capturing proxy): tools read and backfill without publishing changes. */
  dynamoEndpoint: string;
  kinesisEndpoint: string;
  streamName: string;
  /** Physical names by logical table or replica name. */
  tables: Record<string, string>;
  /** Replica → source, physical names. */
  replicas: Array<{ replica: string; source: string }>;
  pid: number;
  startedAt: string;
}

export const stackFilePath = (dataDir: string) => path.join(dataDir, 'stack.json');

export async function writeStackFile(dataDir: string, file: StackFile): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(stackFilePath(dataDir), `${JSON.stringify(file, null, 2)}\n`);
  return () => rm(stackFilePath(dataDir), { force: true });
}

export async function readStackFile(dataDir: string): Promise<StackFile | undefined> {
  try {
    return JSON.parse(await readFile(stackFilePath(dataDir), 'utf8')) as StackFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
