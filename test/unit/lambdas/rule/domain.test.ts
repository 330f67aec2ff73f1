import { v7 as uuidv7 } from 'uuid';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyPatch, createTodoService, type Caller } from '../../../../lambdas/rule/domain';
import { Conflict, NotFound } from '../../../../lambdas/shared/errors';
import { todo } from '../../../helpers/factories';
import { MemoryTodoRepository } from '../../../helpers/fakes/rule-repository';

const alice: Caller = { userId: uuidv7(), owner: 'Alice' };
const bob: Caller = { userId: uuidv7(), owner: 'Bob' };

describe('todo service', () => {
  let repository: MemoryTodoRepository;
  let service: ReturnType<typeof createTodoService>;
  const clock = new Date('2030-01-02T03:04:05.000Z');

  beforeEach(() => {
    repository = new MemoryTodoRepository();
    service = createTodoService({ repository, newId: uuidv7, now: () => clock });
  });

  it('creates a todo in progress at version 1', async () => {
    // Prepare
    const input = { name: 'Buy milk', desc: 'semi-skimmed' };

    // Act
    const created = await service.create(alice, input);

    // Assess
    expect(created).toMatchObject({ userId: alice.userId, name: 'Buy milk', desc: 'semi-skimmed', status: 1, progress: 0, order: 0, version: 1 });
    expect(created.createdAt).toBe('2030-01-02T03:04:05.000Z');
    expect(await repository.get(alice.userId, created.key)).toEqual(created);
  });

  it('bumps the version on every change and keeps createdAt', async () => {
    // Prepare
    const created = await service.create(alice, { name: 'Buy milk' });

    // Act
    const first = await service.update(alice, created.key, { completed: true });
    const second = await service.update(alice, created.key, { name: 'Buy oat milk' }, 2);

    // Assess
    expect(first).toMatchObject({ status: 2, version: 2 });
    expect(second).toMatchObject({ status: 2, name: 'Buy oat milk', version: 3, createdAt: created.createdAt });
  });

  it('answers 409 when the client holds a stale version', async () => {
    // Prepare
    const created = await service.create(alice, { name: 'Buy milk' });
    await service.update(alice, created.key, { name: 'Buy bread' });

    // Act
    const attempt = service.update(alice, created.key, { name: 'Buy eggs' }, 1);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(Conflict);
    expect((await repository.get(alice.userId, created.key))?.name).toBe('Buy bread');
  });

  it('answers 409 when a concurrent write lands between read and write of a pinned version', async () => {
    // Prepare
    const created = await service.create(alice, { name: 'Buy milk' });
    repository.beforeNextWrite = () => {
      const stored = repository.items.get(`${alice.userId}/${created.key}`)!;
      repository.items.set(`${alice.userId}/${created.key}`, { ...stored, name: 'Someone else', version: 2 });
    };

    // Act
    const attempt = service.update(alice, created.key, { name: 'Mine' }, 1);

    // Assess
    await expect(attempt).rejects.toMatchObject({ statusCode: 409 });
  });

  it('retries on the fresh item when the client did not pin a version', async () => {
    // Prepare
    const created = await service.create(alice, { name: 'Buy milk' });
    repository.beforeNextWrite = () => {
      const stored = repository.items.get(`${alice.userId}/${created.key}`)!;
      repository.items.set(`${alice.userId}/${created.key}`, { ...stored, order: 7, version: 2 });
    };

    // Act
    const updated = await service.update(alice, created.key, { name: 'Mine' });

    // Assess
    expect(updated).toMatchObject({ name: 'Mine', order: 7, version: 3 });
  });

  it('does not write when a patch changes nothing', async () => {
    // Prepare
    const created = await service.create(alice, { name: 'Buy milk' });
    const writes = repository.writes;

    // Act
    const same = await service.update(alice, created.key, { name: 'Buy milk' });

    // Assess
    expect(same.version).toBe(1);
    expect(repository.writes).toBe(writes);
  });

  it("answers 404 for another user's todo and changes nothing", async () => {
    // Prepare
    const created = await service.create(alice, { name: 'Secret' });

    // Act
    const read = service.get(bob, created.key);
    const write = service.update(bob, created.key, { name: 'Mine now' });
    const remove = service.remove(bob, created.key);

    // Assess
    await expect(read).rejects.toBeInstanceOf(NotFound);
    await expect(write).rejects.toBeInstanceOf(NotFound);
    await expect(remove).rejects.toBeInstanceOf(NotFound);
    expect(await repository.get(alice.userId, created.key)).toEqual(created);
  });

  it('answers 404 for ids that are not todo ids without touching storage', async () => {
    // Prepare
    const probe = "x' OR userId <> ''";

    // Act
    const read = service.get(alice, probe);

    // Assess
    await expect(read).rejects.toMatchObject({ statusCode: 404, code: 'TodoNotFound' });
  });

  it('removes with a version check and ignores missing keys in bulk deletes', async () => {
    // Prepare
    const a = await service.create(alice, { name: 'a' });
    const b = await service.create(alice, { name: 'b' });

    // Act
    const stale = service.remove(alice, a.key, 5);
    const removed = await service.removeMany(alice, [b.key, b.key, uuidv7()]);

    // Assess
    await expect(stale).rejects.toBeInstanceOf(Conflict);
    expect(removed).toBe(1);
    expect((await service.list(alice)).map((t) => t.key)).toEqual([a.key]);
  });

  it("removes all of one user's todos only", async () => {
    // Prepare
    await service.create(alice, { name: 'a1' });
    await service.create(alice, { name: 'a2' });
    await service.create(bob, { name: 'b1' });

    // Act
    const removed = await service.removeAll(alice);

    // Assess
    expect(removed).toBe(2);
    expect(await service.list(alice)).toEqual([]);
    expect(await service.list(bob)).toHaveLength(1);
  });
});

describe('applyPatch', () => {
  it('maps completed onto the seed status and lets an explicit status win', () => {
    // Prepare
    const paused = todo({ status: 3 });
    const done = todo({ status: 2 });

    // Act
    const completed = applyPatch(paused, { completed: true });
    const reopened = applyPatch(done, { completed: false });
    const stillPaused = applyPatch(paused, { completed: false });
    const explicit = applyPatch(paused, { completed: true, status: 0 });

    // Assess
    expect(completed.status).toBe(2);
    expect(reopened.status).toBe(1);
    expect(stillPaused.status).toBe(3);
    expect(explicit.status).toBe(0);
  });

  it('drops an emptied description', () => {
    // Prepare
    const described = todo({ desc: 'details' });

    // Act
    const patched = applyPatch(described, { desc: '' });

    // Assess
    expect(patched.desc).toBeUndefined();
  });
});
