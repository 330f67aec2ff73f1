import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CORS_POLICY } from '../../topology/http-policy';
import type { LambdaFunction } from './lambda-function';

/** One JSON line per request; `requestId` is what a user quotes and what `npm run logs --request` finds. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  time: '$context.requestTime',
  routeKey: '$context.routeKey',
  method: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
});

/**
 * The HTTP API (payload format 2.0) with its `$default` stage: auto-deployed, throttled and access-logged
 * to its own log group. Services attach their routes with `route()`.
 */
export class HttpApi extends pulumi.ComponentResource {
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  readonly accessLogGroup: aws.cloudwatch.LogGroup;

  constructor(private readonly name: string, args: HttpApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:api:HttpApi', name, {}, opts);

    this.api = createApi(this);
    this.accessLogGroup = createAccessLogGroup(this);
    this.stage = createStage(this);
    this.registerOutputs({ apiEndpoint: this.api.apiEndpoint, accessLogGroupName: this.accessLogGroup.name });

    function createApi(parent: HttpApi) {
      const cors = args.corsOrigins.length > 0;
      return new aws.apigatewayv2.Api(`${name}-api`, {
        name: args.physicalName,
        protocolType: 'HTTP',
        // With CORS configured, API Gateway answers preflights itself and overrides the functions'
        // CORS headers; without it (the default) the site is same-origin behind CloudFront.
        corsConfiguration: cors ? {
          allowOrigins: args.corsOrigins,
          allowMethods: [...CORS_POLICY.allowMethods],
          allowHeaders: [...CORS_POLICY.allowHeaders],
          exposeHeaders: [...CORS_POLICY.exposeHeaders],
          allowCredentials: CORS_POLICY.allowCredentials,
          maxAge: CORS_POLICY.maxAgeSeconds,
        } : undefined,
      }, { parent });
    }

    function createAccessLogGroup(parent: HttpApi) {
      return new aws.cloudwatch.LogGroup(`${name}-access-logs`, {
        name: `/aws/apigateway/${args.physicalName}`,
        retentionInDays: args.logRetentionDays,
        // A fixed name: changing the log group class replaces it, so the old group (and its events) goes first.
      }, { parent, deleteBeforeReplace: true });
    }

    function createStage(parent: HttpApi) {
      return new aws.apigatewayv2.Stage(`${name}-stage`, {
        apiId: parent.api.id,
        // `$default` serves at the API's root URL, so CloudFront needs no origin path.
        name: '$default',
        autoDeploy: true,
        defaultRouteSettings: { throttlingRateLimit: args.throttleRateLimit, throttlingBurstLimit: args.throttleBurstLimit },
        accessLogSettings: { destinationArn: parent.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      }, { parent });
    }
  }

  /**
   * Routes `routeKeys` to `fn`'s `live` alias through one proxy integration, each with its own invoke
   * permission. The alias ARN (never the unqualified ARN, which means `$LATEST`) is what lets CodeDeploy
   * shift this traffic; a permission on the function does not cover its aliases, so each is granted on
   * the alias itself (`qualifier`, "Lambda resource-based policies", AWS Lambda Developer Guide).
   */
  route(fnName: string, fn: LambdaFunction, routeKeys: readonly string[]): aws.apigatewayv2.Route[] {
    const integration = new aws.apigatewayv2.Integration(`${this.name}-${fnName}-integration`, {
      apiId: this.api.id,
      integrationType: 'AWS_PROXY',
      integrationUri: fn.alias.arn,
      integrationMethod: 'POST',
      payloadFormatVersion: '2.0',
    }, { parent: this });
    return routeKeys.map((routeKey) => {
      const slug = routeSlug(routeKey);
      new aws.lambda.Permission(`${this.name}-${slug}-permission`, {
        action: 'lambda:InvokeFunction',
        function: fn.function.name,
        qualifier: fn.alias.name,
        principal: 'apigateway.amazonaws.com',
        sourceArn: pulumi.interpolate`${this.api.executionArn}/${routeArnSuffix(routeKey)}`,
      }, { parent: this });
      return new aws.apigatewayv2.Route(`${this.name}-${slug}-route`, {
        apiId: this.api.id,
        routeKey,
        target: pulumi.interpolate`integrations/${integration.id}`,
      }, { parent: this });
    });
  }
}

/** `GET /api/todos/{id}` → `get-api-todos-id`; `$default` → `default`. */
export function routeSlug(routeKey: string): string {
  return routeKey.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * The part of the invoke ARN after the API id: `<stage>/<METHOD><path>`. Path parameters become `*`
 * because the ARN carries the request's actual path; the catch-all `$default` route may be reached by
 * any method and path, so it gets `*` / `*`.
 */
export function routeArnSuffix(routeKey: string): string {
  if (routeKey === '$default') return '*/*';
  const [method, path] = routeKey.split(' ');
  return `*/${method}${(path ?? '').replace(/\{[^}]+\}/g, '*')}`;
}

export interface HttpApiArgs {
  /** e.g. `noops-todo-dev`. */
  physicalName: string;
  /** Steady-state requests per second and burst, for every route. */
  throttleRateLimit: number;
  throttleBurstLimit: number;
  /** Extra origins allowed to call the API with credentials; empty = same-origin only. */
  corsOrigins: string[];
  logRetentionDays: number;
}
