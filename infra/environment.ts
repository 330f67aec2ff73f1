import type * as pulumi from '@pulumi/pulumi';
import { bindEnvironment, type Binding, type Environment } from '../topology/environment';
import type { TableName } from '../topology/index';

/** What each kind of binding is on AWS: a resource's output or a stack setting. */
export interface AwsBindingValues {
  table(table: TableName): pulumi.Input<string>;
  replica(replica: string): pulumi.Input<string>;
  /** `REPLICAS` JSON, with physical names. */
  replicaFeeds: pulumi.Input<string>;
  sessionPublicKeys: pulumi.Input<string>;
  /** The signing key secret's ARN. */
  sessionSigningKey: pulumi.Input<string>;
  /** The origin secret's ARN. */
  originSecret: pulumi.Input<string>;
  /** Hex SHA-256 of the origin secret's current value. */
  originDigest: pulumi.Input<string>;
  publicUrl: pulumi.Input<string>;
  corsOrigins: readonly string[];
  logLevel: string;
  tracesEndpoint: pulumi.Input<string>;
  traceSampleRatio: number;
}

/** A function's environment on AWS: topology's contract, each binding mapped to its Input. */
export function awsEnvironment(env: Environment, values: AwsBindingValues): Record<string, pulumi.Input<string>> {
  return bindEnvironment(env, (binding: Binding): pulumi.Input<string> | undefined => {
    switch (binding.kind) {
      case 'table': return values.table(binding.table);
      case 'replica': return values.replica(binding.replica);
      case 'replicaFeeds': return values.replicaFeeds;
      case 'sessionPublicKeys': return values.sessionPublicKeys;
      case 'sessionSigningKey': return values.sessionSigningKey;
      case 'originSecret': return values.originSecret;
      case 'originDigest': return values.originDigest;
      case 'publicUrl': return values.publicUrl;
      // Behind CloudFront every viewer connection is HTTPS, so the session cookie is `__Host-` + Secure.
      case 'cookieSecure': return 'true';
      case 'corsOrigins': return values.corsOrigins.length ? values.corsOrigins.join(',') : undefined;
      case 'logLevel': return values.logLevel;
      case 'tracesEndpoint': return values.tracesEndpoint;
      case 'traceSampleRatio': return String(values.traceSampleRatio);
      case 'setting': return binding.value;
    }
  });
}
