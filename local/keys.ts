import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface SessionKeys {
  privateJwk: JWK;
  publicJwk: JWK;
}

/**
 * The session signing key pair, generated once per data dir into keys.json (owner-only permissions,
 * git-ignored under .local/), so sessions survive restarts; in memory when `dataDir` is undefined.
 */
export async function loadSessionKeys(dataDir: string | undefined): Promise<SessionKeys> {
  if (!dataDir) return generateSessionKeys();
  const file = path.join(dataDir, 'keys.json');
  const existing = await readKeys(file);
  if (existing) return existing;
  const keys = await generateSessionKeys();
  await mkdir(dataDir, { recursive: true });
  try {
    // 'wx' so two stacks starting on one data dir cannot both write: the loser reads the winner's keys.
    await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600, flag: 'wx' });
    return keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readKeys(file);
    if (!winner) throw new Error(`${file} exists but holds no key pair; delete it to regenerate`);
    return winner;
  }
}

export async function generateSessionKeys(): Promise<SessionKeys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `local-${(await calculateJwkThumbprint(publicJwk)).slice(0, 16)}`;
  const privateJwk = await exportJWK(privateKey);
  return {
    privateJwk: { ...privateJwk, kid, alg: 'EdDSA', use: 'sig' },
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
  const parsed = JSON.parse(text) as Partial<SessionKeys>;
  if (!parsed.privateJwk?.d || !parsed.publicJwk?.x) return undefined;
  return { privateJwk: parsed.privateJwk, publicJwk: parsed.publicJwk };
}
