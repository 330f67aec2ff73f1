import type { httpHandler } from '../../lambdas/shared/http';
import { startSecretsManager, type SecretsManager } from '../../local/secrets';
import { originDigest } from '../../topology/http-policy';

/** The origin secret unit tests put in their local Secrets Manager; `httpEvent` sends it by default. */
export const TEST_ORIGIN_SECRET_ID = 'test/origin-verify';
export const TEST_ORIGIN_SECRET = 'test-origin-secret-3q2+7w==';
export const TEST_ORIGIN_SECRETS = { [TEST_ORIGIN_SECRET_ID]: TEST_ORIGIN_SECRET };

/**
 * A local Secrets Manager holding the origin secret (plus `secrets`), and the environment a function
 * reads it with, as the local runtime sets it up: handlers under test check the edge header for real.
 */
export async function startEdgeSecrets(secrets: Record<string, string> = {}): Promise<SecretsManager> {
  const manager = await startSecretsManager({ secrets: { ...TEST_ORIGIN_SECRETS, ...secrets } });
  // What the local runtime gives every function: a region and credentials the emulation ignores.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  Object.assign(process.env, { ORIGIN_VERIFY_SECRET: TEST_ORIGIN_SECRET_ID, ORIGIN_VERIFY_DIGEST: originDigest(TEST_ORIGIN_SECRET), AWS_ENDPOINT_URL_SECRETS_MANAGER: manager.endpoint });
  return manager;
}

/**
 * An httpHandler built on its first request, as a handler module is imported after the environment
 * is set: its origin guard then reads the secret from the Secrets Manager `startEdgeSecrets` started.
 */
export function lazyHttpHandler(build: () => ReturnType<typeof httpHandler>): ReturnType<typeof httpHandler> {
  let built: ReturnType<typeof httpHandler> | undefined;
  return (event, context) => (built ??= build())(event, context);
}
