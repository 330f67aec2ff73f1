/** Exit codes of `npm run release`, distinct so CI can tell a rollback from a broken invocation (docs/release.md). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** A deployment was stopped and traffic went back to the previous version. */
  rolledBack: 3,
  /** Another deployment is shifting this stack's traffic: wait for it or roll it back. */
  busy: 4,
  /** The stack's outputs cannot be read, or lack what a release needs. */
  noStack: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line and a specific exit code, never as a stack trace. */
export class ReleaseError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReleaseError';
  }
}
