import { decodeProtectedHeader } from 'jose';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSessionKeys } from '../../local/secrets/session-keys';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';
import { eventually } from '../helpers/probes';

/**
 * `npm run session-key -- rotate` against a running stack on the same data dir: the stack picks up
 * keys.json, puts the new private key as the secret's AWSCURRENT version and gives the functions their
 * new configuration, which starts new instances, as a `pulumi up` of a new generation does on AWS.
 */
const json = { 'content-type': 'application/json' };
let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'noops-todo-keys-'));
  stack = await startLocalStack({ dataDir, env: { SCRYPT_N: '1024', LOG_LEVEL: 'ERROR' } });
  const registered = await fetch(`${stack.url}/api/register`, { method: 'POST', headers: json, body: JSON.stringify({ userName: 'rotator', password: 'correct-Horse-9' }) });
  expect(registered.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function tokenLogin(): Promise<string> {
  const res = await fetch(`${stack.url}/api/login/token`, { method: 'POST', headers: json, body: JSON.stringify({ userName: 'rotator', password: 'correct-Horse-9' }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** One route of each verifying service: rule, user and replicator. */
async function statuses(token: string) {
  const paths = ['/api/todos', '/api/currentUser', '/api/replication'];
  return Promise.all(paths.map(async (p) => {
    const res = await fetch(`${stack.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as unknown };
  }));
}

async function rotate(): Promise<string> {
  const before = stack.sessionKeys().generation;
  const keys = await rotateSessionKeys(dataDir);
  expect(await eventually(() => stack.sessionKeys().generation === before + 1)).toBe(true);
  return keys.publicJwks[0]!.kid!;
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const instanceIds = () => ['rule', 'user', 'replicator'].flatMap((fn) => stack.pool.instances(fn).map((i) => i.id));

describe('session key rotation on the local stack', () => {
  it('keeps tokens of the previous key working, signs new logins with the new kid, and refuses the retired key after a second rotation', async () => {
    // Prepare: a session of generation 1, and warm instances of every verifier.
    const first = await tokenLogin();
    const firstKid = stack.sessionKeys().publicJwks[0]!.kid;
    expect(kidOf(first)).toBe(firstKid);
    expect((await statuses(first)).map((s) => s.status)).toEqual([200, 200, 200]);
    const warm = instanceIds();

    // Act: first rotation.
    const secondKid = await rotate();
    const second = await tokenLogin();

    // Assess: the old token still works everywhere; new logins carry the new kid; instances were replaced.
    expect(secondKid).not.toBe(firstKid);
    expect(kidOf(second)).toBe(secondKid);
    expect((await statuses(first)).map((s) => s.status)).toEqual([200, 200, 200]);
    expect((await statuses(second)).map((s) => s.status)).toEqual([200, 200, 200]);
    expect(instanceIds().filter((id) => warm.includes(id))).toEqual([]);

    // Act: second rotation retires the first key.
    const thirdKid = await rotate();
    const third = await tokenLogin();
    const cookieLogin = await fetch(`${stack.url}/api/login/account`, { method: 'POST', headers: json, body: JSON.stringify({ userName: 'rotator', password: 'correct-Horse-9', type: 'account' }) });

    // Assess
    expect(await statuses(first)).toEqual([0, 1, 2].map(() => ({ status: 401, body: { error: { code: 'SessionInvalid', message: expect.any(String) } } })));
    expect((await statuses(second)).map((s) => s.status)).toEqual([200, 200, 200]);
    expect(kidOf(third)).toBe(thirdKid);
    expect(kidOf(cookieLogin.headers.getSetCookie()[0]!.split(';')[0]!.split('=')[1]!)).toBe(thirdKid);
    expect(stack.sessionKeys().publicJwks.map((k) => k.kid)).toEqual([thirdKid, secondKid]);
  }, 90_000);
});
