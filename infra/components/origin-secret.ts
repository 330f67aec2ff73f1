import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { ORIGIN_VERIFY_HEADER, originDigest } from '../../topology/http-policy';
import type { Link } from '../link';

const DAY_MS = 86_400_000;

/**
 * The shared secret CloudFront sends to the API in the `x-origin-verify` origin header, so that the
 * functions can refuse callers who reach the execute-api endpoint directly.
 *
 * Rotation: the password's keeper is the index of the current rotation period, so the first
 * `pulumi up` after a period ends generates a new value. The new SecretVersion gets AWSCURRENT and, per
 * the PutSecretValue API reference, the version that had it gets AWSPREVIOUS; the functions accept both,
 * and the distribution, which depends on the version, switches to the new value only after it is
 * stored. Replaced versions are retained (`retainOnDelete`): deleting one through the provider would
 * strip its staging labels, and the previous value must stay readable while CloudFront propagates.
 * One new version per deployment, however many periods passed: AWSPREVIOUS is always what CloudFront
 * sent before.
 */
export class OriginSecret extends pulumi.ComponentResource {
  readonly password: random.RandomPassword;
  readonly secret: aws.secretsmanager.Secret;
  readonly version: aws.secretsmanager.SecretVersion;
  /** The origin custom header of the distribution; its value is a Pulumi secret. */
  readonly header: { name: string; value: pulumi.Output<string> };
  /**
   * Hex SHA-256 of the current value, for the functions' environment: it recognises the value without
   * revealing it (finding a preimage of a SHA-256 digest is infeasible, and the value is 48 random
   * letters and digits), so it is not a secret and stays readable in the stack's diffs. A rotation
   * changes it, which updates every function's configuration: new instances, as any deployment starts.
   */
  readonly digest: pulumi.Output<string>;

  constructor(name: string, args: OriginSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:security:OriginSecret', name, {}, opts);

    this.password = createPassword(this);
    this.secret = createSecret(this);
    this.version = createVersion(this);
    this.header = { name: ORIGIN_VERIFY_HEADER, value: pulumi.secret(this.password.result) };
    this.digest = pulumi.unsecret(this.password.result.apply(originDigest));
    this.registerOutputs({ secretArn: this.secret.arn });

    function createPassword(parent: OriginSecret) {
      return new random.RandomPassword(`${name}-value`, {
        length: 48,
        // Letters and digits only: valid in an HTTP header value without any escaping.
        special: false,
        keepers: { rotationDays: String(args.rotationDays), period: String(rotationPeriod(args.now ?? Date.now(), args.rotationDays)) },
      }, { parent });
    }

    function createSecret(parent: OriginSecret) {
      return new aws.secretsmanager.Secret(`${name}-secret`, {
        // A prefix, not a fixed name: a deleted secret's name stays reserved for its recovery window.
        namePrefix: `${args.prefix}-origin-verify-`,
        description: 'Value CloudFront sends in the x-origin-verify header; the API refuses requests without it',
        recoveryWindowInDays: args.production ? 30 : 7,
      }, { parent });
    }

    function createVersion(parent: OriginSecret) {
      return new aws.secretsmanager.SecretVersion(`${name}-version`, {
        secretId: parent.secret.id,
        secretString: parent.password.result,
      }, { parent, retainOnDelete: true });
    }
  }

  /**
   * For every function behind the API: read access to exactly the secret (its ARN and the current
   * value's digest, never a value, are in the environment). A request with the current value needs no
   * read; the grant serves the previous value during a rotation.
   */
  link(): Link {
    return {
      statements: [{ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.arn] }],
    };
  }
}

/** Index of the rotation period `now` falls in; a new index means a new value at the next deployment. */
export function rotationPeriod(nowMs: number, rotationDays: number): number {
  return Math.floor(nowMs / (rotationDays * DAY_MS));
}

export interface OriginSecretArgs {
  /** e.g. `noops-todo-dev`. */
  prefix: string;
  /** Production keeps a deleted secret recoverable for 30 days instead of 7. */
  production: boolean;
  /** A deployment after this many days generates a new value (stack config `originSecretRotationDays`). */
  rotationDays: number;
  /** Tests only: the deployment's time. */
  now?: number;
}
