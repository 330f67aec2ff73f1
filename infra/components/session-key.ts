import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { Link } from '../link';

/**
 * The Ed25519 key that signs session tokens. The private half lives only in Secrets Manager (and, as a
 * Pulumi secret, encrypted in the stack state); functions that verify get the public half as a JWK.
 *
 * Every program run generates a candidate key, but `ignoreChanges` keeps the one stored by the first
 * deployment, and the public key is derived from the stored version's state, so both halves always
 * match. Rotate with `pulumi up --replace <the secret version's URN>` (docs/deploy.md).
 */
export class SessionKey extends pulumi.ComponentResource {
  readonly secret: aws.secretsmanager.Secret;
  readonly version: aws.secretsmanager.SecretVersion;
  /** The public JWK as a JSON string; not secret. */
  readonly publicJwk: pulumi.Output<string>;

  constructor(name: string, args: SessionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:security:SessionKey', name, {}, opts);

    this.secret = createSecret(this);
    this.version = createVersion(this);
    this.publicJwk = pulumi.unsecret(this.version.secretString.apply((stored) => publicJwkOf(stored)));
    this.registerOutputs({ secretArn: this.secret.arn, publicJwk: this.publicJwk });

    function createSecret(parent: SessionKey) {
      return new aws.secretsmanager.Secret(`${name}-secret`, {
        // A prefix, not a fixed name: a deleted secret's name stays reserved for its recovery window.
        namePrefix: `${args.prefix}-session-signing-key-`,
        description: 'Ed25519 private JWK that signs noops-todo session tokens',
        recoveryWindowInDays: args.production ? 30 : 7,
      }, { parent });
    }

    function createVersion(parent: SessionKey) {
      return new aws.secretsmanager.SecretVersion(`${name}-version`, {
        secretId: parent.secret.id,
        secretString: pulumi.secret(generatePrivateJwk()),
      }, { parent, ignoreChanges: ['secretString'] });
    }
  }

  /** `private`: the secret's ARN to read at cold start (never the value); `public`: the public JWK. */
  link(access: 'private' | 'public'): Link {
    const verify: Link = { env: { SESSION_PUBLIC_KEY: this.publicJwk }, statements: [] };
    if (access === 'public') return verify;
    return {
      env: { ...verify.env, SESSION_SIGNING_KEY_SECRET: this.secret.arn },
      statements: [{ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.arn] }],
    };
  }
}

/** A fresh Ed25519 private JWK with an RFC 7638 thumbprint as its `kid`, as JSON. */
export function generatePrivateJwk(): string {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })).digest('base64url');
  return JSON.stringify({ ...jwk, kid: thumbprint.slice(0, 16), alg: 'EdDSA', use: 'sig' });
}

/** The public half of a private JWK (everything but `d`), as JSON. */
export function publicJwkOf(privateJwk: string | undefined): string {
  if (!privateJwk) throw new Error('The session signing key secret version has no value');
  const { d: _private, ...publicJwk } = JSON.parse(privateJwk) as Record<string, unknown>;
  return JSON.stringify(publicJwk);
}

export interface SessionKeyArgs {
  /** e.g. `noops-todo-dev`. */
  prefix: string;
  /** Production keeps a deleted secret recoverable for 30 days instead of 7. */
  production: boolean;
}
