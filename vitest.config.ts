import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests run the real bundles from dist/: build them once, before any test file.
    globalSetup: ['test/helpers/global-setup.ts'],
    // The SDK warns once per process that this host's Node 20 will lose support; the functions deploy on
    // nodejs22.x, so in test output the warning is noise.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Pulumi mocks are process-global state: keep each file isolated (see docs/FACTS in shared notes).
    pool: 'forks',
    isolate: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
