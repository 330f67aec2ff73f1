import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSessionKeys, rotateSessionKeys } from '../../../../local/secrets/session-keys';
import { sessionKeys } from '../../../helpers/factories';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'noops-todo-keys-unit-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

describe('local session keys', () => {
  it('rotates like the stack: the new key signs, the previous one still verifies, the one before leaves', async () => {
    // Prepare
    const first = await loadSessionKeys(dataDir);

    // Act
    const second = await rotateSessionKeys(dataDir);
    const third = await rotateSessionKeys(dataDir);

    // Assess
    const kid = (keys: typeof first) => keys.privateJwk.kid;
    expect([first.generation, second.generation, third.generation]).toEqual([1, 2, 3]);
    expect(first.publicJwks.map((k) => k.kid)).toEqual([kid(first)]);
    expect(second.publicJwks.map((k) => k.kid)).toEqual([kid(second), kid(first)]);
    expect(third.publicJwks.map((k) => k.kid)).toEqual([kid(third), kid(second)]);
    expect(third.publicJwks.every((k) => k.d === undefined)).toBe(true);
    expect(await loadSessionKeys(dataDir)).toEqual(third);
    expect((await stat(path.join(dataDir, 'keys.json'))).mode & 0o777).toBe(0o600);
  });

  it('reads a keys.json written before rotation existed as generation 1, and rotates from it', async () => {
    // Prepare
    const legacy = await sessionKeys();
    await writeFile(path.join(dataDir, 'keys.json'), JSON.stringify(legacy), { mode: 0o600 });

    // Act
    const loaded = await loadSessionKeys(dataDir);
    const rotated = await rotateSessionKeys(dataDir);

    // Assess
    expect(loaded).toEqual({ generation: 1, privateJwk: legacy.privateJwk, publicJwks: [legacy.publicJwk] });
    expect(rotated.publicJwks[1]).toEqual(legacy.publicJwk);
    expect(JSON.parse(await readFile(path.join(dataDir, 'keys.json'), 'utf8')).generation).toBe(2);
  });
});
