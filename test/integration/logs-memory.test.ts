import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackFile } from '../../local/stack-file';
import { EXIT } from '../../scripts/logs/errors';
import { runLogs } from '../../scripts/logs/run';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

/**
 * `npm start -- --memory`, the run README suggests for a first try, keeps its log streams in a
 * temporary folder named by its stack file; `npm run logs` finds the running stack there without any
 * option, and the folder is gone once the stack stops.
 */
let tmp: string;
let cwd: string;
let stack: LocalStack | undefined;

async function logs(argv: string[]) {
  let stdout = '';
  let stderr = '';
  // The CLI's own environment: no --data-dir, no NOOPS_DATA_DIR; TMPDIR is where in-memory stacks live.
  const code = await runLogs([...argv, '--no-color'], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { TMPDIR: tmp },
    cwd,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  // This file's own temporary root (vitest runs each file in its own process), so the in-memory stacks of
  // other test files running at the same time are not candidates; cwd has no .local/ of its own.
  tmp = await mkdtemp(path.join(tmpdir(), 'logs-memory-'));
  cwd = await mkdtemp(path.join(tmpdir(), 'logs-memory-cwd-'));
  process.env.TMPDIR = tmp;
  stack = await startLocalStack({ env: { SCRYPT_N: '1024' } });
});

afterAll(async () => {
  await stack?.stop();
  delete process.env.TMPDIR;
  await rm(tmp, { recursive: true, force: true });
  await rm(cwd, { recursive: true, force: true });
});

describe('logs of an in-memory stack', () => {
  it('finds the lines of a request by its id while the stack runs, and nothing once it stopped', async () => {
    // Prepare
    const running = stack as LocalStack;
    expect(running.dataDir).toBeUndefined();
    const stackDir = path.dirname(running.logsDir);
    expect(stackDir.startsWith(tmp)).toBe(true);
    expect(await readStackFile(stackDir)).toMatchObject({ memory: true, logsDir: running.logsDir, url: running.url, pid: process.pid });
    const res = await fetch(`${running.url}/api/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: running.url },
      body: JSON.stringify({ userName: `mem-${Date.now().toString(36)}`, password: 'correct-horse-battery-staple-7731' }),
    });
    expect(res.status).toBe(201);
    const requestId = res.headers.get('x-request-id') ?? '';

    // Act: log files are written just after the response; poll, bounded.
    let found = await logs(['all', '--request', requestId]);
    for (let i = 0; i < 50 && !found.stdout.includes(' REPORT '); i++) {
      await new Promise((r) => setTimeout(r, 100));
      found = await logs(['all', '--request', requestId]);
    }
    await running.stop();
    stack = undefined;
    const afterStop = await logs(['all', '--request', requestId]);

    // Assess
    expect(found.code).toBe(EXIT.ok);
    expect(found.stdout).toMatch(/^── user invocation /m);
    expect(found.stdout).toMatch(new RegExp(`INFO +user registered .*req=${requestId.replace(/[+=]/g, '\\$&')}`));
    expect(found.stdout).toMatch(/ REPORT inv=/);
    expect(existsSync(stackDir)).toBe(false);
    expect(await readdir(tmp)).toEqual([]);
    expect(afterStop.code).toBe(EXIT.noSource);
    expect(afterStop.stderr).toContain('no running local stack');
  });
});
