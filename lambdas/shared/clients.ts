import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * Built once per module (per Lambda instance). The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when
 * the local runtime sets it, so handlers never branch on where they run. Keep-alive sockets avoid a TCP
 * (and on AWS a TLS) handshake per call; adaptive retries back off on throttling.
 */
export function createDocumentClient({ maxAttempts = 5 }: { maxAttempts?: number } = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts,
    retryMode: 'adaptive',
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
    }),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
