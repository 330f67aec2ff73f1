import { bindEnvironment, environmentOf, type Binding, type ReplicaDeclaration } from '../../topology/environment';
import { replicaFeed, type FunctionSpec } from '../../topology';
import { LAMBDA_RUNTIME } from '../../topology/runtime';

export const LOCAL_REGION = 'us-east-1';
/** What Lambda sets for the deployed runtime: `AWS_Lambda_nodejs24.x`. */
export const LOCAL_EXECUTION_ENV = `AWS_Lambda_${LAMBDA_RUNTIME}`;

export interface LambdaEnvInput {
  spec: FunctionSpec;
  replicas: readonly ReplicaDeclaration[];
  /** Physical name of a table or replica; locally the logical name. */
  physicalName: (logical: string) => string;
  /** The local OTLP/HTTP receiver the function exports its spans to (local/traces/). */
  tracesEndpoint?: string;
  /** Where the AWS SDK in the function should send each service's calls. */
  endpoints: { dynamodb: string; secretsManager: string; kinesis?: string };
  /** Public session verification keys (JWKs, current first), given to every function that verifies. */
  sessionPublicKeys: readonly object[];
  /** Secrets Manager id of the private signing key; only functions with `sessionKey: 'private'` get it. */
  signingKeySecretId: string;
  /** Secrets Manager id of the origin secret; every function behind the API gets it. */
  originSecretId: string;
  /** Hex SHA-256 of the origin secret's value, as the stack sets it (`originDigest` of lambdas/shared/edge.ts). */
  originDigest: string;
  publicBaseUrl: string;
  /** Extra origins allowed to call with credentials; empty: same origin only (the key stays unset). */
  corsOrigins?: readonly string[];
  logLevel: string;
  /** The function's code directory (LAMBDA_TASK_ROOT). */
  taskRoot: string;
  /** Host PATH, so child processes the function may spawn resolve. */
  path: string;
  /** Added last, so callers (tests, `npm start` users) can override anything. */
  extra?: Record<string, string>;
}

/**
 * The environment one function runs with: what Lambda sets, topology's environment contract mapped to
 * local values (`contractEnv`), and the endpoint overrides that point the AWS SDK at the embedded
 * servers. Nothing is inherited from the host, so the host's AWS profile cannot leak in.
 */
export function lambdaEnv(input: LambdaEnvInput): Record<string, string> {
  const { spec } = input;
  return {
    PATH: input.path,
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    LAMBDA_TASK_ROOT: input.taskRoot,
    _HANDLER: 'index.handler',
    AWS_EXECUTION_ENV: LOCAL_EXECUTION_ENV,
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    // The embedded servers ignore signatures, but the SDK refuses to send unsigned requests.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ...contractEnv(input),
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: input.endpoints.secretsManager,
    ...(input.endpoints.kinesis ? { AWS_ENDPOINT_URL_KINESIS: input.endpoints.kinesis } : {}),
    ...input.extra,
  };
}

/** Topology's environment contract of the function (topology/environment.ts), each binding mapped to its local value. */
export function contractEnv(input: Omit<LambdaEnvInput, 'endpoints' | 'taskRoot' | 'path' | 'extra'>): Record<string, string> {
  const { physicalName } = input;
  return bindEnvironment(environmentOf(input.spec, input.replicas), (binding: Binding): string | undefined => {
    switch (binding.kind) {
      case 'table': return physicalName(binding.table);
      case 'replica': return physicalName(binding.replica);
      case 'replicaFeeds': return JSON.stringify(input.replicas.map((r) => replicaFeed(r, physicalName)));
      case 'sessionPublicKeys': return JSON.stringify({ keys: input.sessionPublicKeys });
      case 'sessionSigningKey': return input.signingKeySecretId;
      case 'originSecret': return input.originSecretId;
      case 'originDigest': return input.originDigest;
      case 'publicUrl': return input.publicBaseUrl;
      // Plain-http localhost cannot carry Secure cookies.
      case 'cookieSecure': return 'false';
      case 'corsOrigins': return input.corsOrigins?.length ? input.corsOrigins.join(',') : undefined;
      case 'logLevel': return input.logLevel;
      case 'tracesEndpoint': return input.tracesEndpoint;
      case 'traceSampleRatio': return '1';
      case 'setting': return binding.value;
    }
  });
}
