import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The local session keys, as the stack on AWS holds them (infra/components/session-key.ts). */
export interface SessionKeys {
  /** Bumped by every rotation, like the stack config `sessionKeyGeneration`. */
  generation: number;
  /** The current key's private half: only the user service's secret carries it. */
  privateJwk: JWK;
  /** What verifiers accept: the current key, then the previous one until the next rotation. */
  publicJwks: JWK[];
}

const FILE = 'keys.json';

/**
 * The session keys of a data dir, generated once into keys.json (owner-only permissions, git-ignored
 * under .local/), so sessions survive restarts; in memory when `dataDir` is undefined.
 */
export async function loadSessionKeys(dataDir: string | undefined): Promise<SessionKeys> {
  if (!dataDir) return firstSessionKeys();
  const file = path.join(dataDir, FILE);
  const existing = await readKeys(file);
  if (existing) return existing;
  const keys = await firstSessionKeys();
  await mkdir(dataDir, { recursive: true });
  try {
    // 'wx' so two stacks starting on one data dir cannot both write: the loser reads the winner's keys.
    await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600, flag: 'wx' });
    return keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readKeys(file);
    if (!winner) throw new Error(`${file} exists but holds no session keys; delete it to regenerate`);
    return winner;
  }
}

/**
 * `npm run session-key -- rotate`: a new current key; the old current key stays verifiable, the one
 * before it is retired. A running stack on this data dir picks the change up (`watchSessionKeys`).
 */
export async function rotateSessionKeys(dataDir: string): Promise<SessionKeys> {
  const keys = await nextSessionKeys(await loadSessionKeys(dataDir));
  const file = path.join(dataDir, FILE);
  // Written aside and renamed over: a watcher never reads a half-written file.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(keys, null, 2), { mode: 0o600 });
  await rename(temporary, file);
  return keys;
}

/** Calls `onChange` with the keys whenever keys.json gets another generation. */
export function watchSessionKeys(dataDir: string, generation: number, onChange: (keys: SessionKeys) => void): { close(): void } {
  let seen = generation;
  let reading = Promise.resolve();
  const check = () => {
    reading = reading.then(async () => {
      const keys = await readKeys(path.join(dataDir, FILE)).catch(() => undefined);
      if (keys && keys.generation !== seen) {
        seen = keys.generation;
        onChange(keys);
      }
    });
  };
  // The directory, not the file: a rename replaces the file's inode, which a file watch would lose.
  const watcher: FSWatcher = watch(dataDir, (_event, name) => {
    if (name === FILE) check();
  });
  return { close: () => watcher.close() };
}

/** The next generation: a new current key; the old current key stays verifiable, older ones leave. */
export async function nextSessionKeys(keys: SessionKeys): Promise<SessionKeys> {
  const key = await newKeyPair();
  return { generation: keys.generation + 1, privateJwk: key.privateJwk, publicJwks: [key.publicJwk, keys.publicJwks[0]!] };
}

async function firstSessionKeys(): Promise<SessionKeys> {
  const key = await newKeyPair();
  return { generation: 1, privateJwk: key.privateJwk, publicJwks: [key.publicJwk] };
}

async function newKeyPair(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `local-${(await calculateJwkThumbprint(publicJwk)).slice(0, 16)}`;
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
  };
}

async function readKeys(file: string): Promise<SessionKeys | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<SessionKeys> & { publicJwk?: JWK };
  if (!parsed.privateJwk?.d) return undefined;
  // keys.json from before rotation existed: one pair, generation 1.
  if (parsed.publicJwk?.x && !parsed.publicJwks) return { generation: 1, privateJwk: parsed.privateJwk, publicJwks: [parsed.publicJwk] };
  if (!Number.isInteger(parsed.generation) || !parsed.publicJwks?.length) return undefined;
  return { generation: parsed.generation!, privateJwk: parsed.privateJwk, publicJwks: parsed.publicJwks };
}
