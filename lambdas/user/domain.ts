import { assertSessionCurrent } from '../shared/domain-rules';
import { Conflict, TooManyRequests, Unauthorized } from '../shared/errors';
import type { PasswordHasher } from './password';

export interface User {
  /** Lower-cased: the key that makes names unique regardless of case. */
  userName: string;
  /** The name as the user typed it at registration. */
  displayName: string;
  userId: string;
  passwordHash: string;
  email?: string;
  avatar?: string;
  title?: string;
  signature?: string;
  /** Bumped by "sign out everywhere": tokens carrying an older value are refused. */
  sessionVersion: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export class UserNameTaken extends Error {}
export class StaleUser extends Error {}

export interface UserRepository {
  get(userName: string): Promise<User | undefined>;
  /** Throws `UserNameTaken` when the lower-cased name exists. */
  create(user: User): Promise<void>;
  /** Throws `StaleUser` unless the stored version is still `expectedVersion`. */
  replace(user: User, expectedVersion: number): Promise<void>;
}

export interface FailureCounter {
  count: number;
  /** Epoch seconds; also the table's TTL attribute. */
  expiresAt: number;
}

export interface LoginAttemptRepository {
  get(id: string): Promise<FailureCounter | undefined>;
  /** Adds one failure to a live counter, or starts a new one expiring at `expiresAt`. */
  addFailure(id: string, nowSeconds: number, expiresAt: number): Promise<FailureCounter>;
  extend(id: string, expiresAt: number): Promise<void>;
  clear(id: string): Promise<void>;
}

export interface TodoCounts {
  /** Open (in progress or paused) and total todos of a user. */
  count(userId: string): Promise<{ open: number; total: number }>;
}

export interface ThrottleSettings {
  maxFailures: number;
  windowSeconds: number;
  lockoutSeconds: number;
  /**
   * Tarpit before lockout: past half of `maxFailures`, each further failure is answered this much later,
   * doubling per failure (capped at 16x), so guessing slows down before it is locked out. 0 turns it off.
   */
  slowDownMs?: number;
}

export interface UserServiceDeps {
  users: UserRepository;
  attempts: LoginAttemptRepository;
  counts: TodoCounts;
  hasher: PasswordHasher;
  throttle?: ThrottleSettings;
  newId: () => string;
  now?: () => Date;
  /** Waits before answering a failed sign-in (tests pass a recorder). */
  delay?: (ms: number) => Promise<void>;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { maxFailures: 5, windowSeconds: 900, lockoutSeconds: 900 };
const MAX_ATTEMPTS = 4;

export function normalizeUserName(userName: string): string {
  return userName.toLowerCase();
}

/** How long to hold back the answer to a failure that brought a counter to `failures` (see `slowDownMs`). */
export function slowDownDelay(failures: number, throttle: ThrottleSettings): number {
  const free = Math.floor(throttle.maxFailures / 2);
  if (!throttle.slowDownMs || failures <= free) return 0;
  return throttle.slowDownMs * 2 ** Math.min(4, failures - free - 1);
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createUserService({ users, attempts, counts, hasher, throttle = DEFAULT_THROTTLE, newId, now = () => new Date(), delay = wait }: UserServiceDeps) {
  // Unknown users are verified against this so they cost the same time as a wrong password. It needs
  // no hashing, so nothing runs at cold start for it and the first unknown name costs one verification too.
  const dummy = hasher.unmatchable();
  const nowSeconds = () => Math.floor(now().getTime() / 1000);
  const counterIds = (userName: string, ip: string) => [`user#${normalizeUserName(userName)}`, `ip#${ip}`];

  async function assertNotLocked(ids: string[]): Promise<void> {
    const at = nowSeconds();
    for (const counter of await Promise.all(ids.map((id) => attempts.get(id)))) {
      if (counter && counter.expiresAt > at && counter.count >= throttle.maxFailures) {
        throw new TooManyRequests('Too many failed sign-ins; try again later', counter.expiresAt - at);
      }
    }
  }

  /** Answers the highest failure count among the counters (user name, client address). */
  async function recordFailure(ids: string[]): Promise<number> {
    const at = nowSeconds();
    const counts = await Promise.all(
      ids.map(async (id) => {
        const counter = await attempts.addFailure(id, at, at + throttle.windowSeconds);
        if (counter.count >= throttle.maxFailures) await attempts.extend(id, at + throttle.lockoutSeconds);
        return counter.count;
      }),
    );
    return Math.max(0, ...counts);
  }

  return {
    async register(input: { userName: string; password: string; email?: string }): Promise<User> {
      const at = now().toISOString();
      const user: User = {
        userName: normalizeUserName(input.userName),
        displayName: input.userName,
        userId: newId(),
        passwordHash: await hasher.hash(input.password),
        email: input.email,
        sessionVersion: 1,
        createdAt: at,
        updatedAt: at,
        version: 1,
      };
      try {
        await users.create(user);
      } catch (err) {
        if (err instanceof UserNameTaken) throw new Conflict('That user name is taken', 'UserNameTaken');
        throw err;
      }
      return user;
    },

    /** Same work, answer and counters for unknown users and wrong passwords; locked callers get 429. */
    async login(input: { userName: string; password: string; sourceIp: string }): Promise<User | undefined> {
      const ids = counterIds(input.userName, input.sourceIp);
      await assertNotLocked(ids);
      const user = await users.get(normalizeUserName(input.userName));
      const ok = await hasher.verify(input.password, user?.passwordHash ?? dummy);
      if (!user || !ok) {
        const failures = await recordFailure(ids);
        // Same counters for unknown users and wrong passwords, so the same delay: it reveals nothing.
        const ms = slowDownDelay(failures, throttle);
        if (ms > 0) await delay(ms);
        return undefined;
      }
      await attempts.clear(ids[0]!);
      return user;
    },

    /** The current user, refusing sessions issued before the last "sign out everywhere". */
    async current(session: { userId: string; userName: string; sessionVersion: number }): Promise<User> {
      const user = await users.get(normalizeUserName(session.userName));
      if (!user || user.userId !== session.userId) throw new Unauthorized('This account no longer exists', 'SessionInvalid');
      assertSessionCurrent(user.sessionVersion, session.sessionVersion);
      return user;
    },

    async signOutEverywhere(session: { userId: string; userName: string; sessionVersion: number }): Promise<User> {
      for (let attempt = 1; ; attempt++) {
        const user = await this.current(session);
        const next = { ...user, sessionVersion: user.sessionVersion + 1, version: user.version + 1, updatedAt: now().toISOString() };
        try {
          await users.replace(next, user.version);
          return next;
        } catch (err) {
          if (!(err instanceof StaleUser) || attempt >= MAX_ATTEMPTS) throw err;
        }
      }
    },

    counts: (userId: string) => counts.count(userId),
  };
}

export type UserService = ReturnType<typeof createUserService>;

/** The seed's profile shape (Ant Design Pro `API.CurrentUser`). */
export function toProfile(user: User, todoCounts: { open: number; total: number }) {
  return {
    name: user.displayName,
    avatar: user.avatar ?? '',
    userid: user.userId,
    email: user.email ?? '',
    signature: user.signature ?? '',
    title: user.title ?? '',
    group: '',
    tags: [] as Array<{ key: string; label: string }>,
    notifyCount: todoCounts.open,
    unreadCount: todoCounts.total,
    country: '',
    access: 'user',
    geographic: { province: { label: '', key: '' }, city: { label: '', key: '' } },
    address: '',
    phone: '',
  };
}
