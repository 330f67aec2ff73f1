import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { signingKeyLoader } from '../../../../lambdas/user/signing-key';
import { sessionKeys } from '../../../helpers/factories';

function fakeClient(answers: Array<() => unknown>) {
  let calls = 0;
  const client = {
    send: async () => {
      const answer = answers[Math.min(calls, answers.length - 1)]!;
      calls++;
      return answer();
    },
  } as unknown as SecretsManagerClient;
  return { client, calls: () => calls };
}

describe('signing key loader', () => {
  it('reads the secret once and caches it', async () => {
    // Prepare
    const { privateJwk } = await sessionKeys();
    const fake = fakeClient([() => ({ SecretString: JSON.stringify(privateJwk) })]);
    const load = signingKeyLoader('key', { client: fake.client });

    // Act
    const [a, b] = await Promise.all([load(), load()]);
    const c = await load();

    // Assess
    expect(a).toEqual(privateJwk);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(fake.calls()).toBe(1);
  });

  it('does not cache a failure, and refuses a public key', async () => {
    // Prepare
    const { privateJwk, publicJwk } = await sessionKeys();
    const fake = fakeClient([
      () => {
        throw new Error('throttled');
      },
      () => ({ SecretString: JSON.stringify(publicJwk) }),
      () => ({ SecretString: JSON.stringify(privateJwk) }),
    ]);
    const load = signingKeyLoader('key', { client: fake.client });

    // Act
    const first = load();
    await first.catch(() => undefined);
    const second = load();
    await second.catch(() => undefined);
    const third = await load();

    // Assess
    await expect(first).rejects.toThrow('throttled');
    await expect(second).rejects.toThrow(/not a private JWK/);
    expect(third).toEqual(privateJwk);
  });

  it('refuses a stored key that is not the current verification key, and retries on the next sign-in', async () => {
    // Prepare: the secret still serves the key before a rotation once, then the rotated one.
    const [before, rotated] = await Promise.all([sessionKeys(), sessionKeys()]);
    const fake = fakeClient([() => ({ SecretString: JSON.stringify(before.privateJwk) }), () => ({ SecretString: JSON.stringify(rotated.privateJwk) })]);
    const load = signingKeyLoader('key', { client: fake.client, currentKid: rotated.publicJwk.kid });

    // Act
    const first = load();
    await first.catch(() => undefined);
    const second = await load();

    // Assess
    await expect(first).rejects.toThrow(/current verification key/);
    expect(second).toEqual(rotated.privateJwk);
  });
});
