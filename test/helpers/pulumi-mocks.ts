import * as pulumi from '@pulumi/pulumi';
import { randomBytes } from 'node:crypto';

/**
 * Runs the Pulumi program (infra/index.ts) against in-process mocks (`pulumi.runtime.setMocks`): config in
 * PULUMI_CONFIG, setMocks with preview=false (so every apply runs), then a dynamic import. Records
 * every registered resource with its resolved inputs and its parent's logical name.
 */
export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const PROJECT = 'noops-todo';
export const STACK = 'test';
export const PREFIX = `${PROJECT}-${STACK}`;

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs as the provider would receive them (secrets unwrapped, outputs resolved). */
  inputs: Record<string, any>;
  /** Logical name of the parent resource, if any. */
  parent?: string;
  /** False for component resources. */
  custom: boolean;
  /** The resource options the program gave the engine: replacement, retention, explicit and input dependencies (logical names). */
  options: { deleteBeforeReplace: boolean; protect: boolean; retainOnDelete: boolean; dependsOn: string[] };
  /** The `ignoreChanges` option the program gave. */
  ignoreChanges?: string[];
  /** Logical names of the resources its inputs depend on. */
  dependencies?: string[];
}

/**
 * What the engine keeps between deployments, for programs run more than once (`runProgram(config, { state })`):
 * each resource's last outputs by `type::name`. Only the random provider reads it (see `randomBytesState`).
 */
export type DeploymentState = Map<string, Record<string, unknown>>;

export interface ProgramRun {
  resources: RecordedResource[];
  outputs: Record<string, any>;
  ofType(type: string): RecordedResource[];
  find(type: string, name: string): RecordedResource;
}

/** Config keys without a namespace go to `noops-todo:`; non-string values are stored as JSON. */
export function setConfig(config: Record<string, unknown>): void {
  const entries = Object.entries({ 'aws:region': REGION, ...config }).map(([key, value]) => [
    key.includes(':') ? key : `${PROJECT}:${key}`,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]);
  process.env.PULUMI_CONFIG = JSON.stringify(Object.fromEntries(entries));
  // The SDK copies the environment into its store once per process; later runs must overwrite it.
  pulumi.runtime.setAllConfig(Object.fromEntries(entries));
}

export interface RunOptions {
  /** Stack name (default `test`); physical names are `noops-todo-<stack>-…`. */
  stack?: string;
  /** Receives every resource as it is registered, also when the program then fails. */
  resources?: RecordedResource[];
  /** The engine's state of a previous run, for programs run more than once. */
  state?: DeploymentState;
}

export async function runProgram(config: Record<string, unknown> = {}, { stack = STACK, resources = [], state: previousState }: RunOptions = {}): Promise<ProgramRun> {
  setConfig(config);
  const parents = new Map<string, string | undefined>();
  const options = new Map<string, RecordedResource['options']>();
  const requests = new Map<string, { ignoreChanges: string[]; dependencies: string[] }>();
  const previous = previousState ?? new Map();
  await pulumi.runtime.setMocks({
    newResource(args) {
      const key = `${args.type}::${args.name}`;
      const random = args.type === 'random:index/randomBytes:RandomBytes' ? randomBytesState(args.inputs, previous.get(key)) : {};
      const state = { ...args.inputs, ...computedState(args.type, args.name, args.inputs), ...random };
      previous.set(key, state);
      resources.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true, options: { deleteBeforeReplace: false, protect: false, retainOnDelete: false, dependsOn: [] } });
      return { id: `${args.name}-id`, state };
    },
    call(args) {
      if (args.token === 'aws:index/getRegion:getRegion') return { id: REGION, name: REGION, region: REGION };
      if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: 'test' };
      return {};
    },
  }, PROJECT, stack, false);
  // The mocks are not told who the parent is; the monitor's request is.
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, cb: unknown): Promise<void> };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const parentUrn: string = req.getParent();
    const key = `${req.getType()}::${req.getName()}`;
    parents.set(key, parentUrn ? parentUrn.split('::').pop() : undefined);
    const dependencies = (req.getDependenciesList() as string[]).map((urn) => urn.split('::').pop()!);
    options.set(key, { deleteBeforeReplace: req.getDeletebeforereplace(), protect: req.getProtect() ?? false, retainOnDelete: req.getRetainondelete() ?? false, dependsOn: dependencies });
    requests.set(key, { ignoreChanges: req.getIgnorechangesList(), dependencies });
    return register(req, cb);
  };

  const program = (await import('../../infra/index')) as Record<string, unknown>;
  const outputs = await valueOf(pulumi.output({ ...program }));
  await settle(() => resources.length);
  for (const r of resources) {
    const key = `${r.type}::${r.name}`;
    Object.assign(r, { parent: parents.get(key), ...requests.get(key) });
    r.options = options.get(key) ?? r.options;
  }
  return {
    resources,
    outputs,
    ofType: (type) => resources.filter((r) => r.type === type),
    find(type, name) {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) throw new Error(`No ${type} named ${name}; have ${resources.filter((r) => r.type === type).map((r) => r.name).join(', ')}`);
      return found;
    },
  };
}

/** Pulumi's wire marker for a secret value (sdk/nodejs/runtime/rpc.ts `specialSecretSig`). */
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

/** The plain value inside a secret input; throws if the input was not marked secret. */
export function secretValue(input: unknown): any {
  const wrapped = input as Record<string, unknown> | undefined;
  if (!wrapped || typeof wrapped !== 'object' || !Object.values(wrapped).includes(SECRET_SIG)) {
    throw new Error(`expected a secret, got ${JSON.stringify(input)?.slice(0, 80)}`);
  }
  return wrapped.value;
}

export function valueOf<T>(input: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(input).apply((value) => resolve(value as T)));
}

/** Resources registered from inside applies arrive late: wait until the count stops changing. */
async function settle(count: () => number): Promise<void> {
  let last = -1;
  while (count() !== last) {
    last = count();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The random provider's rule: a RandomBytes keeps the value in its state and generates a new one only
 * when created or when its `keepers` change, which forces a replacement ("Arbitrary map of values that,
 * when changed, will trigger recreation of resource", Pulumi Registry, random.RandomBytes).
 */
function randomBytesState(inputs: Record<string, any>, before: Record<string, unknown> | undefined): Record<string, unknown> {
  if (before && JSON.stringify(before.keepers ?? {}) === JSON.stringify(inputs.keepers ?? {}) && before.length === inputs.length) {
    return { base64: before.base64, hex: before.hex };
  }
  const bytes = randomBytes(Number(inputs.length));
  return { base64: bytes.toString('base64'), hex: bytes.toString('hex') };
}

/** What AWS would compute for the attributes the program reads. */
function computedState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case 'aws:dynamodb/table:Table':
      return { arn: arn('dynamodb', `table/${inputs.name}`) };
    case 'aws:kinesis/stream:Stream':
      return { arn: arn('kinesis', `stream/${inputs.name}`) };
    case 'aws:sqs/queue:Queue':
      return { arn: arn('sqs', inputs.name), url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${inputs.name}` };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { arn: arn('logs', `log-group:${inputs.name}`) };
    case 'aws:secretsmanager/secret:Secret':
      return { arn: arn('secretsmanager', `secret:${inputs.namePrefix}abc-AbCdEf`) };
    case 'aws:iam/role:Role':
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    case 'aws:lambda/function:Function':
      // With `publish`, the first deployment publishes version 1.
      return { arn: arn('lambda', `function:${inputs.name}`), invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/functions/${inputs.name}/invocations`, version: inputs.publish ? '1' : '$LATEST' };
    case 'aws:lambda/alias:Alias':
      return { arn: arn('lambda', `function:${inputs.functionName}:${inputs.name}`) };
    case 'aws:apigatewayv2/api:Api':
      return { apiEndpoint: `https://${name}-id.execute-api.${REGION}.amazonaws.com`, executionArn: arn('execute-api', `${name}-id`) };
    case 'aws:cloudfront/distribution:Distribution':
      return { domainName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2' };
    case 'aws:acm/certificate:Certificate':
      return {
        arn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/${name}`,
        domainValidationOptions: [{ domainName: inputs.domainName, resourceRecordName: `_x.${inputs.domainName}.`, resourceRecordType: 'CNAME', resourceRecordValue: '_y.acm-validations.aws.' }],
      };
    case 'aws:route53/record:Record':
      return { fqdn: inputs.name };
    case 'aws:sns/topic:Topic':
      return { arn: arn('sns', inputs.name) };
    case 'random:index/randomPassword:RandomPassword':
      // Stands for the generated value: differs per resource and per keeper set, as a regeneration would.
      return { result: `mock-${name}-${Buffer.from(JSON.stringify(inputs.keepers ?? {})).toString('base64url')}` };
    default:
      return { arn: arn('mock', `${type}/${name}`) };
  }
}

/** A stand-in for infra/bundle.ts: the mocks never look inside archives (bundle.test.ts builds for real). */
export function fakeBundleModule() {
  return {
    functionCode: (spec: { name: string }) => pulumi.output(new pulumi.asset.AssetArchive({ 'index.mjs': new pulumi.asset.StringAsset(`// ${spec.name}`) })),
    buildFunction: async () => {
      throw new Error('not bundled in mocked tests');
    },
  };
}
