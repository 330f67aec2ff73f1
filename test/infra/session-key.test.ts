import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ed25519KeyFromSeed } from '../../infra/components/session-key';
import { runProgram, secretValue, type DeploymentState, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

/**
 * Rotation across deployments: one engine state, the program run again and again as `pulumi up` would,
 * with `sessionKeyGeneration` 1, 1, 2, 3. The mocks keep a RandomBytes value until its keepers change.
 */
const VERSION = 'aws:secretsmanager/secretVersion:SecretVersion';
const deploys: ProgramRun[] = [];

beforeAll(async () => {
  const state: DeploymentState = new Map();
  for (const generation of [1, 1, 2, 3]) {
    // Each deployment is a fresh program process: import infra/index.ts anew.
    vi.resetModules();
    deploys.push(await runProgram({ sessionKeyGeneration: generation }, { state }));
  }
});

const storedKey = (run: ProgramRun) => JSON.parse(secretValue(run.find(VERSION, 'session-key-version').inputs.secretString));
const envOf = (run: ProgramRun, fn: string): Record<string, string> => run.find('aws:lambda/function:Function', `${fn}-function-fn`).inputs.environment.variables;
const verifierKids = (run: ProgramRun, fn: string) => JSON.parse(envOf(run, fn).SESSION_PUBLIC_KEYS!).keys.map((k: { kid: string }) => k.kid);

describe('session key rotation', () => {
  it('keeps the key stable across deployments without a rotation', () => {
    const [first, again] = deploys;
    expect(storedKey(again!)).toEqual(storedKey(first!));
    expect(envOf(again!, 'rule').SESSION_PUBLIC_KEYS).toBe(envOf(first!, 'rule').SESSION_PUBLIC_KEYS);
    expect(verifierKids(first!, 'rule')).toEqual([storedKey(first!).kid]);
  });

  it('stores a new key in a new secret version on rotation, and every verifier holds the new and the previous public key', () => {
    const [, before, rotated] = deploys;
    const newKey = storedKey(rotated!);
    expect(newKey.kid).not.toBe(storedKey(before!).kid);
    expect(newKey.d).not.toBe(storedKey(before!).d);
    for (const fn of ['rule', 'user', 'replicator']) expect(verifierKids(rotated!, fn)).toEqual([newKey.kid, storedKey(before!).kid]);
    // Nothing keeps the old value: the changed secretString reaches AWS as a new version (a replacement).
    expect(rotated!.find(VERSION, 'session-key-version').ignoreChanges ?? []).toEqual([]);
  });

  it('retires the oldest key on a second rotation', () => {
    const [first, , second, third] = deploys;
    expect(verifierKids(third!, 'rule')).toEqual([storedKey(third!).kid, storedKey(second!).kid]);
    expect(verifierKids(third!, 'rule')).not.toContain(storedKey(first!).kid);
    expect(new Set(deploys.map((d) => storedKey(d).kid)).size).toBe(3);
  });

  it('updates the functions only after the new secret version exists, so new instances read the new key', () => {
    for (const fn of ['rule', 'user', 'replicator']) {
      expect(deploys[2]!.find('aws:lambda/function:Function', `${fn}-function-fn`).dependencies).toContain('session-key-version');
    }
  });

  it('keeps one seed per parity of generation, each replaced only when its own generation changes', () => {
    const seeds = (run: ProgramRun) => run.ofType('random:index/randomBytes:RandomBytes').map((r) => [r.name, r.inputs.keepers.generation, r.inputs.length]);
    expect(seeds(deploys[0]!)).toEqual([['session-key-odd', '1', 32]]);
    expect(seeds(deploys[3]!).sort()).toEqual([['session-key-even', '2', 32], ['session-key-odd', '3', 32]]);
  });
});

describe('ed25519KeyFromSeed', () => {
  it('derives a working key pair with an RFC 7638 thumbprint as kid, the same for the same seed', () => {
    const seed = Buffer.alloc(32, 7);
    const { privateJwk, publicJwk } = ed25519KeyFromSeed(seed);
    const message = Buffer.from('signed');
    const signature = sign(null, message, createPrivateKey({ key: privateJwk, format: 'jwk' }));
    expect(verify(null, message, createPublicKey({ key: publicJwk, format: 'jwk' }), signature)).toBe(true);
    expect(publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.stringMatching(/^[\w-]{16}$/), alg: 'EdDSA', use: 'sig' });
    expect(ed25519KeyFromSeed(seed)).toEqual({ privateJwk, publicJwk });
    expect(() => ed25519KeyFromSeed(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
