import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Reads a secret's value (`SecretString`), with the Secrets Manager SDK loaded and its client built on
 * the first read: a function that may never read a secret pays for neither at cold start. Locally the
 * SDK follows AWS_ENDPOINT_URL_SECRETS_MANAGER to the embedded emulation. `client` is for tests.
 */
export function secretReader(client?: SecretsManagerClient): (secretId: string, versionStage?: string) => Promise<string | undefined> {
  return async (SecretId, VersionStage) => {
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    client ??= new SecretsManagerClient({});
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId, ...(VersionStage ? { VersionStage } : {}) }));
    return SecretString;
  };
}
