import { buildAll, staleReason } from '../../bundle/build';

/**
 * Runs once before all test files: tests drive the real bundles in dist/, so they must be fresh.
 * `npm test` builds right before vitest already; this covers `npx vitest` on its own.
 */
export default async function setup(): Promise<void> {
  const reason = await staleReason();
  if (!reason) return;
  console.log(`building bundles for the tests (${reason})`);
  await buildAll(() => undefined);
}
