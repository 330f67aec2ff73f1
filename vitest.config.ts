import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests run the real bundles from dist/: build them once, before any test file.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Only the test processes themselves: on a Node 20 host the SDK warns once per test file that its
    // releases after January 2027 need Node 22, which CI's Node 24 run already answers. The functions
    // never get this (local/lambda/environment.ts), and `npm start` and the CLIs print it.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Pulumi mocks are process-global state (`pulumi.runtime.setMocks` sets them for the whole process): keep each file in its own process.
    pool: 'forks',
    isolate: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
