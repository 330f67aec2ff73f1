import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { JWK } from 'jose';
import { secretReader } from '../shared/secrets';

/**
 * The private session key lives in Secrets Manager, never in an environment variable. It is read once
 * per instance, by the first request that signs a session (a sign-in), not at cold start: most requests
 * only verify, and a read at init would make every cold start wait for Secrets Manager and build its
 * client. A failed read is not cached, so the next request tries again.
 *
 * `currentKid` is the first key of SESSION_PUBLIC_KEYS. A rotation changes the secret and then that
 * variable, and a configuration change starts new instances, so both agree; a key that does not match
 * (a stale read) is refused rather than used to sign tokens no verifier would accept.
 */
export function signingKeyLoader(secretId: string, { client, currentKid }: { client?: SecretsManagerClient; currentKid?: string } = {}): () => Promise<JWK> {
  let key: Promise<JWK> | undefined;
  const read = secretReader(client);
  return () =>
    (key ??= read(secretId).then((SecretString) => {
      if (!SecretString) throw new Error(`secret ${secretId} has no SecretString`);
      const jwk = JSON.parse(SecretString) as JWK;
      if (typeof jwk.d !== 'string') throw new Error(`secret ${secretId} is not a private JWK`);
      if (currentKid !== undefined && jwk.kid !== currentKid) {
        throw new Error(`secret ${secretId} holds key ${String(jwk.kid)}, but the current verification key is ${currentKid}`);
      }
      return jwk;
    })).catch((err: unknown) => {
      key = undefined;
      throw err;
    });
}
