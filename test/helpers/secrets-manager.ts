/** Handler tests use the same GetSecretValue emulation the local runtime runs. */
export { startSecretsManager, type SecretsManager } from '../../local/secrets';
