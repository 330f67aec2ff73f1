/**
 * Exit codes of `npm run logs`, distinct so scripts can tell "nothing logged" from "cannot look".
 * Documented in docs/logs.md.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  noEvents: 3,
  unknownFunction: 4,
  credentials: 5,
  noSource: 6,
  logGroupNotFound: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one clear line and a specific exit code. */
export class LogsError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends LogsError {
  constructor(message: string) {
    super(EXIT.usage, message);
  }
}
