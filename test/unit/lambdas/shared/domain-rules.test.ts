import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { applyPatch, createTodoService } from '../../../../lambdas/rule/domain';
import { assertSessionCurrent, isOpen, OPEN_STATUSES } from '../../../../lambdas/shared/domain-rules';
import { Unauthorized } from '../../../../lambdas/shared/errors';
import { MemoryTodoRepository } from '../../../helpers/fakes/rule-repository';

describe('rules the rule and user services share', () => {
  it('counts as open what the rule service creates, and not what it completes', async () => {
    // Prepare: the producer (the rule service) writes the statuses the consumer (the user service) counts.
    const service = createTodoService({ repository: new MemoryTodoRepository(), newId: uuidv7 });
    const created = await service.create({ userId: uuidv7(), owner: 'Alice' }, { name: 'Buy milk' });

    // Act
    const done = applyPatch(created, { completed: true });
    const reopened = applyPatch(done, { completed: false });

    // Assess
    expect([isOpen(created.status), isOpen(done.status), isOpen(reopened.status)]).toEqual([true, false, true]);
    expect(OPEN_STATUSES).toEqual([1, 3]);
    expect([0, 2, undefined].map(isOpen)).toEqual([false, false, false]);
  });

  it('refuses a token older than the user\'s last "sign out everywhere" and nothing else', () => {
    // Act
    const older = () => assertSessionCurrent(2, 1);
    const current = () => assertSessionCurrent(2, 2);

    // Assess
    expect(older).toThrow(Unauthorized);
    expect(older).toThrow('This session was signed out; sign in again');
    expect(current).not.toThrow();
  });
});
