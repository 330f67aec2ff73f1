import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_ACCOUNT_ID } from '../gateway/api-gateway-v2-event';
import { LOCAL_REGION } from '../lambda/environment';

export interface SecretsManager {
  endpoint: string;
  /** The AWSCURRENT value of a secret (what the local edge puts in the origin header). */
  current(name: string): string;
  /** PutSecretValue: a new version of an existing secret becomes AWSCURRENT, the one before AWSPREVIOUS. */
  put(name: string, value: string): void;
  stop(): Promise<void>;
}

interface SecretVersion {
  SecretString: string;
  VersionId: string;
  CreatedDate: number;
}

interface StoredSecret {
  Name: string;
  ARN: string;
  /** Newest first: [0] is AWSCURRENT, [1] AWSPREVIOUS; older ones carry no label. */
  versions: SecretVersion[];
}

const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * Just enough of Secrets Manager for a function to read its key with the real SDK
 * (AWS_ENDPOINT_URL_SECRETS_MANAGER): GetSecretValue over the JSON 1.1 protocol, by name or ARN, of the
 * AWSCURRENT version unless a VersionStage or VersionId is asked for.
 */
export async function startSecretsManager(options: { secrets: Record<string, string> }): Promise<SecretsManager> {
  const secrets = Object.entries(options.secrets).map(([name, value]) => storedSecret(name, value));
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => answer(req, body, secrets))
      .then(
        ({ status, payload, errorType }) => send(res, status, payload, errorType),
        () => send(res, 400, { __type: 'SerializationException', message: 'Malformed request' }, 'SerializationException'),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const byName = (name: string) => {
    const secret = secrets.find((s) => s.Name === name);
    if (!secret) throw new Error(`no local secret named ${name}`);
    return secret;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    current: (name) => byName(name).versions[0]!.SecretString,
    put(name, value) {
      const secret = byName(name);
      secret.versions.unshift(secretVersion(value));
      // Secrets Manager keeps about 100 versions; labelless ones beyond are removed.
      secret.versions.splice(100);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function storedSecret(name: string, value: string): StoredSecret {
  // Real ARNs end in a dash and six random characters.
  const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
  return {
    Name: name,
    ARN: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}-${suffix}`,
    versions: [secretVersion(value)],
  };
}

function secretVersion(value: string): SecretVersion {
  return { SecretString: value, VersionId: randomUUID(), CreatedDate: Math.floor(Date.now() / 1000) };
}

const STAGES = ['AWSCURRENT', 'AWSPREVIOUS'];

async function answer(req: IncomingMessage, body: string, secrets: StoredSecret[]) {
  const target = req.headers['x-amz-target'];
  if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
    return awsError(400, 'UnknownOperationException', `Operation ${String(target)} is not emulated locally`);
  }
  const { SecretId, VersionId, VersionStage } = JSON.parse(body || '{}') as { SecretId?: unknown; VersionId?: unknown; VersionStage?: unknown };
  if (typeof SecretId !== 'string' || SecretId === '') {
    return awsError(400, 'InvalidParameterException', 'SecretId is required');
  }
  const secret = secrets.find((s) => s.Name === SecretId || s.ARN === SecretId);
  if (!secret) return awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  const index = VersionId !== undefined ? secret.versions.findIndex((v) => v.VersionId === VersionId) : STAGES.indexOf(String(VersionStage ?? 'AWSCURRENT'));
  const version = index >= 0 ? secret.versions[index] : undefined;
  if (!version) return awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret value for the given version.");
  const stages = index < STAGES.length ? [STAGES[index]!] : [];
  return { status: 200, payload: { Name: secret.Name, ARN: secret.ARN, ...version, VersionStages: stages } as object, errorType: undefined };
}

function awsError(status: number, type: string, message: string) {
  return { status, payload: { __type: type, message }, errorType: type };
}

function send(res: ServerResponse, status: number, payload: object, errorType: string | undefined): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) req.destroy(new Error('request too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
