import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { createHash, createPrivateKey } from 'node:crypto';
import type { Link } from '../link';

/**
 * The Ed25519 keys that sign session tokens, rotated by bumping `generation` (stack config
 * `sessionKeyGeneration`, docs/deploy.md). The private half of the current key lives only in Secrets
 * Manager (and, as a Pulumi secret, encrypted in the stack state); verifiers get the public halves of
 * the current and the previous key as a JWKS, so tokens signed before a rotation stay valid until they
 * expire, and a second rotation retires the older key.
 *
 * Each key is a 32-byte Ed25519 seed held by a `random.RandomBytes` in one of two slots (even and odd
 * generations). Rules this relies on:
 * - RandomBytes keeps its value in state and regenerates it only when its `keepers` change ("Arbitrary map
 *   of values that, when changed, will trigger recreation of resource", pulumi.com/registry/packages/random,
 *   RandomBytes); it "does use a cryptographic random number generator". Bumping the generation changes the
 *   keepers of exactly one slot, the one holding generation N-1, so the new key replaces the oldest.
 * - A change of SecretVersion `secretString` forces a replacement (`ForceNew` in terraform-provider-aws,
 *   internal/service/secretsmanager/secret_version.go, which Pulumi's aws.secretsmanager.SecretVersion
 *   bridges): the new version is created with PutSecretValue, which moves AWSCURRENT to it and AWSPREVIOUS
 *   to the old one (Secrets Manager API reference, PutSecretValue).
 * - Any change to a function's configuration makes Lambda start new instances with it (Lambda API
 *   reference, UpdateFunctionConfiguration): the public keys depend on the new secret version, so the
 *   functions are updated after it exists and their new instances read the new private key.
 */
export class SessionKey extends pulumi.ComponentResource {
  readonly secret: aws.secretsmanager.Secret;
  readonly version: aws.secretsmanager.SecretVersion;
  /** The verification keys as a JWKS JSON string, current key first; not secret. */
  readonly publicJwks: pulumi.Output<string>;

  constructor(name: string, args: SessionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:security:SessionKey', name, {}, opts);
    if (!Number.isInteger(args.generation) || args.generation < 1) throw new Error(`\`generation\` must be an integer ≥ 1, got ${args.generation}`);

    const current = keyOf(createSeed(this, args.generation));
    const previous = args.generation > 1 ? keyOf(createSeed(this, args.generation - 1)) : undefined;
    this.secret = createSecret(this);
    this.version = createVersion(this);
    const publicKeys = pulumi.all([current, ...(previous ? [previous] : [])]).apply((keys) => JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
    // Waiting on the version orders every function update after the new private key is AWSCURRENT.
    this.publicJwks = pulumi.unsecret(pulumi.all([this.version.versionId, publicKeys]).apply(([, jwks]) => jwks));
    this.registerOutputs({ secretArn: this.secret.arn, publicJwks: this.publicJwks });

    /** The seed of generation `g`, in the slot of its parity; its keepers name the generation. */
    function createSeed(parent: SessionKey, g: number) {
      return new random.RandomBytes(`${name}-${g % 2 === 0 ? 'even' : 'odd'}`, {
        length: 32,
        keepers: { generation: String(g) },
      }, { parent });
    }

    function keyOf(seed: random.RandomBytes) {
      return seed.base64.apply((base64) => ed25519KeyFromSeed(Buffer.from(base64, 'base64')));
    }

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
        secretString: pulumi.secret(current.apply((key) => JSON.stringify(key.privateJwk))),
      }, { parent });
    }
  }

  /**
   * `private`: reading the secret (its ARN, never the value, is in the environment) at cold start;
   * `public`: nothing, the public JWKS is in the environment.
   */
  link(access: 'private' | 'public'): Link {
    if (access === 'public') return { statements: [] };
    return { statements: [{ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.arn] }] };
  }
}

/** PKCS #8 DER prefix of an Ed25519 private key (RFC 8410 §7); the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The Ed25519 key pair of a 32-byte seed as JWKs, with an RFC 7638 thumbprint as their `kid`. */
export function ed25519KeyFromSeed(seed: Buffer): { privateJwk: Record<string, string>; publicJwk: Record<string, string> } {
  if (seed.length !== 32) throw new Error(`an Ed25519 seed has 32 bytes, got ${seed.length}`);
  const { crv, kty, x, d } = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  // RFC 7638: the thumbprint hashes the required members in lexicographic order.
  const kid = createHash('sha256').update(JSON.stringify({ crv, kty, x })).digest('base64url').slice(0, 16);
  const publicJwk = { kty: kty!, crv: crv!, x: x!, kid, alg: 'EdDSA', use: 'sig' };
  return { privateJwk: { ...publicJwk, d: d! }, publicJwk };
}

export interface SessionKeyArgs {
  /** e.g. `noops-todo-dev`. */
  prefix: string;
  /** Production keeps a deleted secret recoverable for 30 days instead of 7. */
  production: boolean;
  /** Bump by one to rotate: the new key signs, the previous one still verifies until the next bump. */
  generation: number;
}
