import {
  StaleUser,
  UserNameTaken,
  type FailureCounter,
  type LoginAttemptRepository,
  type TodoCounts,
  type User,
  type UserRepository,
} from '../../../lambdas/user/domain';

/** In-memory fakes with the DynamoDB repositories' conditional semantics. */
export class MemoryUsers implements UserRepository {
  readonly items = new Map<string, User>();

  async get(userName: string) {
    const user = this.items.get(userName);
    return user && { ...user };
  }

  async create(user: User) {
    if (this.items.has(user.userName)) throw new UserNameTaken();
    this.items.set(user.userName, { ...user });
  }

  async replace(user: User, expectedVersion: number) {
    if (this.items.get(user.userName)?.version !== expectedVersion) throw new StaleUser();
    this.items.set(user.userName, { ...user });
  }
}

export class MemoryAttempts implements LoginAttemptRepository {
  readonly items = new Map<string, FailureCounter>();

  async get(id: string) {
    return this.items.get(id);
  }

  async addFailure(id: string, nowSeconds: number, expiresAt: number) {
    const live = this.items.get(id);
    const next = live && live.expiresAt > nowSeconds ? { ...live, count: live.count + 1 } : { count: 1, expiresAt };
    this.items.set(id, next);
    return next;
  }

  async extend(id: string, expiresAt: number) {
    const counter = this.items.get(id);
    if (counter) this.items.set(id, { ...counter, expiresAt });
  }

  async clear(id: string) {
    this.items.delete(id);
  }
}

export class FixedCounts implements TodoCounts {
  constructor(private readonly counts: Record<string, { open: number; total: number }> = {}) {}

  async count(userId: string) {
    return this.counts[userId] ?? { open: 0, total: 0 };
  }
}
