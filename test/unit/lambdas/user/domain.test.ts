import { v7 as uuidv7 } from 'uuid';
import { beforeEach, describe, expect, it } from 'vitest';
import { createUserService, toProfile } from '../../../../lambdas/user/domain';
import { hashPassword, scryptHasher, verifyPassword } from '../../../../lambdas/user/password';
import { Conflict, TooManyRequests, Unauthorized } from '../../../../lambdas/shared/errors';
import { user } from '../../../helpers/factories';
import { FixedCounts, MemoryAttempts, MemoryUsers } from '../../../helpers/fakes/user-repositories';

const FAST = { N: 1024, r: 8, p: 1 };

describe('user service', () => {
  let users: MemoryUsers;
  let attempts: MemoryAttempts;
  let clock: Date;
  let service: ReturnType<typeof createUserService>;

  beforeEach(() => {
    users = new MemoryUsers();
    attempts = new MemoryAttempts();
    clock = new Date('2030-01-01T00:00:00Z');
    service = createUserService({ users, attempts, counts: new FixedCounts(), hasher: scryptHasher(FAST), newId: uuidv7, now: () => clock });
  });

  const fail = (userName: string, sourceIp = '198.51.100.1') => service.login({ userName, password: 'wrong password', sourceIp });

  it('registers a user under the lower-cased name with a salted scrypt hash', async () => {
    // Prepare
    const input = { userName: 'Alice', password: 'correct horse' };

    // Act
    const created = await service.register(input);

    // Assess
    const stored = users.items.get('alice')!;
    expect(stored).toMatchObject({ displayName: 'Alice', userId: created.userId, sessionVersion: 1, version: 1 });
    expect(stored.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(stored.passwordHash).not.toContain('correct horse');
  });

  it('refuses a second user with the same name in any case', async () => {
    // Prepare
    await service.register({ userName: 'Alice', password: 'correct horse' });

    // Act
    const again = service.register({ userName: 'ALICE', password: 'another one' });

    // Assess
    await expect(again).rejects.toBeInstanceOf(Conflict);
  });

  it('logs in with the right password in any name case', async () => {
    // Prepare
    await service.register({ userName: 'Alice', password: 'correct horse' });

    // Act
    const loggedIn = await service.login({ userName: 'aLiCe', password: 'correct horse', sourceIp: '198.51.100.1' });

    // Assess
    expect(loggedIn?.displayName).toBe('Alice');
  });

  it('answers unknown users exactly like wrong passwords and counts both', async () => {
    // Prepare
    await service.register({ userName: 'Alice', password: 'correct horse' });

    // Act
    const wrong = await fail('alice');
    const unknown = await fail('nobody');

    // Assess
    expect(wrong).toBeUndefined();
    expect(unknown).toBeUndefined();
    expect(attempts.items.get('user#alice')?.count).toBe(1);
    expect(attempts.items.get('user#nobody')?.count).toBe(1);
    expect(attempts.items.get('ip#198.51.100.1')?.count).toBe(2);
  });

  it('locks a user name for 15 minutes after 5 failures, even with the right password', async () => {
    // Prepare
    await service.register({ userName: 'Alice', password: 'correct horse' });
    for (let i = 0; i < 5; i++) await fail('alice', `198.51.100.${i}`);

    // Act
    const locked = service.login({ userName: 'alice', password: 'correct horse', sourceIp: '203.0.113.9' });

    // Assess
    await expect(locked).rejects.toBeInstanceOf(TooManyRequests);
    await expect(locked).rejects.toMatchObject({ statusCode: 429, headers: { 'retry-after': '900' } });
    clock = new Date(clock.getTime() + 901_000);
    expect(await service.login({ userName: 'alice', password: 'correct horse', sourceIp: '203.0.113.9' })).toBeDefined();
  });

  it('locks a client address after 5 failures across user names', async () => {
    // Prepare
    for (let i = 0; i < 5; i++) await fail(`guess${i}`, '192.0.2.66');

    // Act
    const locked = fail('another', '192.0.2.66');

    // Assess
    await expect(locked).rejects.toMatchObject({ statusCode: 429 });
  });

  it('forgets failures older than the window and clears the user counter on success', async () => {
    // Prepare
    await service.register({ userName: 'Alice', password: 'correct horse' });
    for (let i = 0; i < 4; i++) await fail('alice', `198.51.100.${i}`);

    // Act
    await service.login({ userName: 'alice', password: 'correct horse', sourceIp: '203.0.113.9' });
    await fail('alice', '203.0.113.10');

    // Assess
    expect(attempts.items.get('user#alice')?.count).toBe(1);
  });

  it('signs out everywhere by bumping the session version, after which old sessions are refused', async () => {
    // Prepare
    const alice = await service.register({ userName: 'Alice', password: 'correct horse' });
    const session = { userId: alice.userId, userName: 'Alice', sessionVersion: 1 };

    // Act
    const bumped = await service.signOutEverywhere(session);

    // Assess
    expect(bumped).toMatchObject({ sessionVersion: 2, version: 2 });
    await expect(service.current(session)).rejects.toBeInstanceOf(Unauthorized);
    await expect(service.current({ ...session, sessionVersion: 2 })).resolves.toMatchObject({ userId: alice.userId });
  });

  it('refuses a session for a name now owned by another user id', async () => {
    // Prepare
    await service.register({ userName: 'Alice', password: 'correct horse' });

    // Act
    const other = service.current({ userId: uuidv7(), userName: 'Alice', sessionVersion: 9 });

    // Assess
    await expect(other).rejects.toMatchObject({ statusCode: 401 });
  });
});

describe('unknown users', () => {
  it('cost one verification in the current parameters, as a wrong password does, and no hashing at start', async () => {
    // Prepare: the real scrypt hasher, with its calls counted
    const real = scryptHasher(FAST);
    const calls: Array<{ op: string; stored?: string }> = [];
    const hasher = {
      ...real,
      hash: (password: string) => (calls.push({ op: 'hash' }), real.hash(password)),
      verify: (password: string, stored: string) => (calls.push({ op: 'verify', stored }), real.verify(password, stored)),
    };
    const service = createUserService({ users: new MemoryUsers(), attempts: new MemoryAttempts(), counts: new FixedCounts(), hasher, newId: uuidv7 });
    expect(calls).toEqual([]);
    // Act
    const answer = await service.login({ userName: 'nobody', password: 'guess', sourceIp: '198.51.100.1' });
    // Assess
    expect(answer).toBeUndefined();
    expect(calls.map((c) => c.op)).toEqual(['verify']);
    expect(calls[0]!.stored).toMatch(new RegExp(`^scrypt\\$${FAST.N}\\$${FAST.r}\\$${FAST.p}\\$`));
  });
});

describe('profile', () => {
  it('has the seed shape with todo counts', () => {
    // Prepare
    const stored = user({ displayName: 'Alice', email: 'a@example.com' });

    // Act
    const profile = toProfile(stored, { open: 2, total: 5 });

    // Assess
    expect(Object.keys(profile).sort()).toEqual(
      ['access', 'address', 'avatar', 'country', 'email', 'geographic', 'group', 'name', 'notifyCount', 'phone', 'signature', 'tags', 'title', 'unreadCount', 'userid'].sort(),
    );
    expect(profile).toMatchObject({ name: 'Alice', userid: stored.userId, email: 'a@example.com', notifyCount: 2, unreadCount: 5 });
    expect(profile).not.toHaveProperty('passwordHash');
  });
});

describe('password hashing', () => {
  it('verifies the right password only, with a fresh salt each time', async () => {
    // Prepare
    const first = await hashPassword('s3cret-pass', FAST);
    const second = await hashPassword('s3cret-pass', FAST);

    // Act
    const right = await verifyPassword('s3cret-pass', first);
    const wrong = await verifyPassword('s3cret-pasS', first);

    // Assess
    expect(first).not.toBe(second);
    expect(right).toBe(true);
    expect(wrong).toBe(false);
  });

  it('refuses tampered or absurd stored parameters instead of burning memory', async () => {
    // Prepare
    const good = await hashPassword('s3cret-pass', FAST);
    const [, , r, p, salt, hash] = good.split('$');

    // Act
    const huge = await verifyPassword('s3cret-pass', ['scrypt', 2 ** 30, r, p, salt, hash].join('$'));
    const notPowerOfTwo = await verifyPassword('s3cret-pass', ['scrypt', 1000, r, p, salt, hash].join('$'));
    const garbage = await verifyPassword('s3cret-pass', 'plain:text');

    // Assess
    expect([huge, notPowerOfTwo, garbage]).toEqual([false, false, false]);
  });

  it('hashes with the default N = 2^15 within the default memory limits', async () => {
    // Prepare
    const params = { N: 2 ** 15, r: 8, p: 1 };

    // Act
    const stored = await hashPassword('s3cret-pass', params);

    // Assess
    expect(stored.startsWith('scrypt$32768$8$1$')).toBe(true);
    expect(await verifyPassword('s3cret-pass', stored)).toBe(true);
  });
});
