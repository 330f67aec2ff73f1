import { defineConfig } from 'vitest/config';

/** Pure-logic unit tests: no stack, no Pulumi mocks, no process-wide state left behind. */
const UNIT = ['test/unit/**/*.test.ts'];

export default defineConfig({
  test: {
    // Integration tests run the real bundles from dist/: build them once, before any test file.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Only the test processes themselves: on a Node 20 host the SDK warns once per test file that its
    // releases after January 2027 need Node 22, which CI's Node 24 run already answers. The functions
    // never get this (local/lambda/environment.ts), and `npm start` and the CLIs print it.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    pool: 'forks',
    // vitest's default on 2 cores is one file at a time (cores − 1), which left a core idle 40 % of the
    // time: stack suites wait a lot (retry backoffs, polls, a browser). Two at once; three pushed the
    // heaviest files past their timeouts on a machine loaded by other work.
    // VITEST_MAX_WORKERS overrides it.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      // One process per worker for all of them: importing vitest and the modules once, not per file,
      // halves their CPU time.
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false } },
      // Pulumi mocks are process-global state (`pulumi.runtime.setMocks` sets them for the whole
      // process), and stacks, env settings and fixtures are per file: each file in its own process.
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: UNIT, isolate: true } },
    ],
  },
});
