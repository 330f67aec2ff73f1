import { Unauthorized } from './errors';

/**
 * Rules two services must agree on, in one module both import (and both services' tests): the todo
 * statuses the rule service writes and the user service counts from its replica, and when a session
 * is revoked, which the user service decides from its table and the rule service from its replica.
 */

/** Seed UI statuses: 0 closed, 1 in progress (new todos), 2 done (Todo-Backend `completed`), 3 paused. */
export type Status = 0 | 1 | 2 | 3;
export const CLOSED: Status = 0;
export const IN_PROGRESS: Status = 1;
export const DONE: Status = 2;
export const PAUSED: Status = 3;
/** The statuses the profile counts as open (its `notifyCount`): in progress and paused. */
export const OPEN_STATUSES: readonly Status[] = [IN_PROGRESS, PAUSED];

export function isOpen(status: number | undefined): boolean {
  return OPEN_STATUSES.includes(status as Status);
}

/**
 * "Sign out everywhere" bumps the user's session version; a token carrying an older one is refused.
 * Throws 401 `SessionRevoked`.
 */
export function assertSessionCurrent(userSessionVersion: number, tokenSessionVersion: number): void {
  if (userSessionVersion > tokenSessionVersion) throw new Unauthorized('This session was signed out; sign in again', 'SessionRevoked');
}
