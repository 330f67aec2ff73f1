import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../scripts/logs/errors';
import { runLogs } from '../../scripts/logs/run';
import { startCloudWatchLogsFake, type CloudWatchLogsFake } from '../helpers/fakes/cloudwatch-logs';

/**
 * The AWS path of `npm run logs`, with the real AWS SDK pointed at a local fake of FilterLogEvents,
 * DescribeLogGroups and StartLiveTail (event stream) on 127.0.0.1.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const USER_GROUP = '/aws/lambda/noops-todo-dev-user-fn';
const RULE_GROUP = '/aws/lambda/noops-todo-dev-rule-fn';
const API = 'Xa1bCdEfIAMEwQ=';
const USER_INV = '11111111-2222-4333-8444-555555555555';
const RULE_INV = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const T0 = Date.now() - 5 * 60_000;
const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' };

let fake: CloudWatchLogsFake;
let pulumiDir: string;

function line(fields: Record<string, unknown>) {
  return JSON.stringify({ timestamp: new Date(T0).toISOString(), service: 'x', ...fields });
}

beforeAll(async () => {
  fake = await startCloudWatchLogsFake({ pageSize: 3, emptyPagesFirst: 2 });
  const us = '2026/03/10/[$LATEST]0a1b2c';
  const rs = '2026/03/10/[$LATEST]9f8e7d';
  fake.putLogGroup(USER_GROUP, [
    { logStreamName: us, timestamp: T0, message: `START RequestId: ${USER_INV} Version: $LATEST` },
    { logStreamName: us, timestamp: T0 + 1, message: line({ level: 'INFO', message: 'login succeeded', requestId: API, function_request_id: USER_INV, userId: 'u-1' }) },
    { logStreamName: us, timestamp: T0 + 2, message: line({ level: 'WARN', message: 'login failed', requestId: 'other', function_request_id: 'ffffffff-0000-4000-8000-000000000000' }) },
    { logStreamName: us, timestamp: T0 + 3, message: `END RequestId: ${USER_INV}` },
    { logStreamName: us, timestamp: T0 + 4, message: `REPORT RequestId: ${USER_INV}\tDuration: 40.10 ms\tBilled Duration: 41 ms\tMemory Size: 1024 MB\tMax Memory Used: 90 MB\t` },
  ]);
  fake.putLogGroup(RULE_GROUP, [
    { logStreamName: rs, timestamp: T0 + 10, message: `START RequestId: ${RULE_INV} Version: $LATEST` },
    { logStreamName: rs, timestamp: T0 + 11, message: line({ level: 'ERROR', message: 'unexpected error', requestId: API, function_request_id: RULE_INV }) },
    { logStreamName: rs, timestamp: T0 + 12, message: `END RequestId: ${RULE_INV}` },
    { logStreamName: rs, timestamp: T0 + 13, message: `REPORT RequestId: ${RULE_INV}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 512 MB\tMax Memory Used: 70 MB\t` },
  ]);
  // A fake `pulumi` that answers `pulumi stack output --json --stack dev` like the deployed stack would.
  pulumiDir = await mkdtemp(path.join(tmpdir(), 'fake-pulumi-'));
  const outputs = JSON.stringify({ url: 'https://example', region: 'eu-west-1', logGroupNames: { user: USER_GROUP, rule: RULE_GROUP } });
  await writeFile(
    path.join(pulumiDir, 'pulumi'),
    `#!/bin/sh\nif [ "$4" = "--stack" ] && [ "$5" = "dev" ]; then echo '${outputs}'; exit 0; fi\necho "error: no stack named '$5' found" >&2\nexit 255\n`,
  );
  await chmod(path.join(pulumiDir, 'pulumi'), 0o755);
});

afterAll(async () => {
  await fake.close();
  await rm(pulumiDir, { recursive: true, force: true });
});

afterEach(() => {
  fake.failNext('FilterLogEvents', undefined);
  fake.requests.length = 0;
});

async function logs(argv: string[], signal?: AbortSignal) {
  let stdout = '';
  let stderr = '';
  const code = await runLogs([...argv, '--endpoint', fake.endpoint, '--region', 'eu-west-1', '--no-color'], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    cwd: ROOT,
    signal,
    cloudWatch: { credentials },
  });
  return { code, stdout, stderr, lines: stdout.trim().split('\n').filter(Boolean) };
}

describe('npm run logs against CloudWatch Logs (local fake)', () => {
  it('reads history through every FilterLogEvents page of every log group, in time order', async () => {
    const { code, lines } = await logs(['all', '--log-group', USER_GROUP, '--log-group', RULE_GROUP, '--since', '1h']);
    expect(code).toBe(EXIT.ok);
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(/noops-todo-dev-user-fn {2}START  inv=11111111/);
    expect(lines[8]).toMatch(/noops-todo-dev-rule-fn {2}REPORT inv=66666666/);
    const userCalls = fake.requests.filter((r) => r.operation === 'FilterLogEvents' && r.body.logGroupName === USER_GROUP);
    // Two empty scanning pages, then 5 events in pages of 3.
    expect(userCalls).toHaveLength(4);
    expect(userCalls[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKE\//);
    expect(userCalls[0]!.body.startTime).toBeTypeOf('number');
  });

  it('finds every line of one request across functions, grouped by invocation', async () => {
    const result = await logs(['all', '--log-group', USER_GROUP, '--log-group', RULE_GROUP, '--request', API]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.lines[0]).toMatch(new RegExp(`^── noops-todo-dev-user-fn invocation ${USER_INV} \\(.*, 4 lines, 40.1 ms\\)$`));
    expect(result.lines.slice(1, 5).map((l) => l.split(/\s{2,}/)[2])).toEqual(['START', 'INFO', 'END', 'REPORT inv=11111111-2222-4333-8444-555555555555']);
    expect(result.lines[5]).toMatch(new RegExp(`^── noops-todo-dev-rule-fn invocation ${RULE_INV} `));
    expect(result.stdout).not.toContain('login failed');
    // First the lines naming the request, then every line of the two invocations they belong to.
    const patterns = fake.requests.filter((r) => r.operation === 'FilterLogEvents').map((r) => r.body.filterPattern);
    expect(patterns).toContain(`"${API}"`);
    expect(patterns).toContain(`?"${USER_INV}" ?"${RULE_INV}"`);
  });

  it('prints exact JSON events with --json and filters by level on the client', async () => {
    const { code, lines } = await logs(['all', '--log-group', USER_GROUP, '--log-group', RULE_GROUP, '--level', 'warn', '--json']);
    expect(code).toBe(EXIT.ok);
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => JSON.parse(e.message).message)).toEqual(['login failed', 'unexpected error']);
    expect(events[0]).toMatchObject({ logGroup: USER_GROUP, logStream: '2026/03/10/[$LATEST]0a1b2c', eventId: expect.any(String), ingestionTime: expect.any(Number) });
  });

  it('sends --grep as a CloudWatch filter term', async () => {
    const { code, lines } = await logs(['all', '--log-group', USER_GROUP, '--grep', 'login failed']);
    expect(code).toBe(EXIT.ok);
    expect(lines).toHaveLength(1);
    expect(fake.requests.every((r) => r.body.filterPattern === '"login failed"')).toBe(true);
  });

  it('says so, with its own exit code, when nothing matches', async () => {
    const { code, stderr } = await logs(['all', '--log-group', USER_GROUP, '--grep', 'never logged']);
    expect(code).toBe(EXIT.noEvents);
    expect(stderr).toMatch(/no log events matching from noops-todo-dev-user-fn between .* in CloudWatch Logs in eu-west-1/);
  });

  it('maps a missing log group and rejected credentials to their exit codes', async () => {
    const missing = await logs(['all', '--log-group', '/aws/lambda/nope']);
    expect(missing.code).toBe(EXIT.logGroupNotFound);
    expect(missing.stderr).toContain('log group /aws/lambda/nope does not exist');
    fake.failNext('FilterLogEvents', { status: 400, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    const denied = await logs(['all', '--log-group', USER_GROUP]);
    expect(denied.code).toBe(EXIT.credentials);
    expect(denied.stderr).toContain('AWS rejected the credentials (UnrecognizedClientException)');
  });

  it('follows with Live Tail after the history, and reconnects when a session times out', async () => {
    const controller = new AbortController();
    const run = logs(['all', '--log-group', USER_GROUP, '--follow', '--since', '1h'], controller.signal);
    await waitFor(() => fake.liveTailCount() === 1);
    const us = '2026/03/10/[$LATEST]0a1b2c';
    fake.ingest(USER_GROUP, [{ logStreamName: us, timestamp: Date.now(), message: line({ level: 'INFO', message: 'live one', requestId: 'live-1' }) }]);
    fake.timeOutLiveTails();
    await waitFor(() => fake.requests.filter((r) => r.operation === 'StartLiveTail').length === 2 && fake.liveTailCount() === 1);
    fake.ingest(USER_GROUP, [{ logStreamName: us, timestamp: Date.now(), message: line({ level: 'ERROR', message: 'live two', requestId: 'live-2' }) }]);
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    const { code, lines } = await run;
    expect(code).toBe(EXIT.ok);
    expect(lines.slice(0, 5).map((l) => l.split(/\s{2,}/)[2])).toEqual(['START', 'INFO', 'WARN', 'END', 'REPORT inv=11111111-2222-4333-8444-555555555555']);
    expect(lines.slice(5).map((l) => l.split(/\s{2,}/).slice(2, 4).join(' '))).toEqual(['INFO live one', 'ERROR live two']);
    const tail = fake.requests.find((r) => r.operation === 'StartLiveTail')!;
    expect(tail.body.logGroupIdentifiers).toEqual([`arn:aws:logs:eu-west-1:123456789012:log-group:${USER_GROUP}`]);
  });
});

describe('the spawned CLI against AWS', () => {
  function cli(argv: string[], env: NodeJS.ProcessEnv) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/logs.ts', ...argv], { cwd: ROOT, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
  const baseEnv = (home: string): NodeJS.ProcessEnv => ({
    PATH: `${pulumiDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: home,
    NO_COLOR: '1',
    // No instance metadata service here; the SDK must not wait for one.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'logs-home-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('reads the log groups from the stack outputs and answers a request query', async () => {
    const env = { ...baseEnv(home), AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: fake.endpoint };
    const { code, stdout, stderr } = await cli(['all', '--stack', 'dev', '--request', API], env);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(new RegExp(`^── user invocation ${USER_INV}`, 'm'));
    expect(stdout).toMatch(new RegExp(`^── rule invocation ${RULE_INV}`, 'm'));
  });

  it('names the known functions when asked for an unknown one', async () => {
    const env = { ...baseEnv(home), AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: fake.endpoint };
    const { code, stderr } = await cli(['billing', '--stack', 'dev'], env);
    expect(code).toBe(EXIT.unknownFunction);
    expect(stderr).toContain('unknown function "billing": choose one of user, rule or all');
  });

  it('explains missing credentials', async () => {
    const env = { ...baseEnv(home), AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: fake.endpoint };
    const { code, stderr } = await cli(['all', '--stack', 'dev'], env);
    expect(code).toBe(EXIT.credentials);
    expect(stderr).toContain('no AWS credentials found');
  });

  it('explains an unknown stack and a missing pulumi CLI', async () => {
    const unknown = await cli(['all', '--stack', 'prod'], baseEnv(home));
    expect(unknown.code).toBe(EXIT.noSource);
    expect(unknown.stderr).toContain(`cannot read outputs of stack "prod": error: no stack named 'prod' found`);
    const noPulumi = await cli(['all', '--stack', 'dev'], { ...baseEnv(home), PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` });
    expect(noPulumi.code).toBe(EXIT.noSource);
    expect(noPulumi.stderr).toContain('the pulumi CLI is not on PATH');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
