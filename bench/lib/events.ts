import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ORIGIN_VERIFY_HEADER } from '../../lambdas/shared/edge';
import { BENCH_ORIGIN_SECRET } from './function-env';

/** A minimal API Gateway payload-format-2.0 event, for invoking a bundle's handler without the gateway. */
export function httpEvent(
  method: string,
  rawPath: string,
  options: { routeKey?: string; headers?: Record<string, string>; body?: string; cookies?: string[]; pathParameters?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: options.routeKey ?? `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    cookies: options.cookies,
    headers: { host: '127.0.0.1', 'x-forwarded-proto': 'http', 'content-type': 'application/json', [ORIGIN_VERIFY_HEADER]: BENCH_ORIGIN_SECRET, ...options.headers },
    pathParameters: options.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: `bench-${now}`,
      routeKey: options.routeKey ?? `${method} ${rawPath}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: options.body,
    isBase64Encoded: false,
  };
}
