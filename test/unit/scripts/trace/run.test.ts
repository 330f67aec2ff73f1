import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrace } from '../../../../scripts/trace/run';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'trace-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function trace(...argv: string[]) {
  let stderr = '';
  const code = await runTrace([...argv, '--data-dir', dir], { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, env: { TMPDIR: dir } });
  return { code, stderr };
}

describe('npm run trace', () => {
  it('looks up a request id that begins with a dash (request ids are base64url)', async () => {
    // Act
    const out = await trace('-Tq0dUh1ZfAn8ls=');
    // Assess: no such trace in an empty data dir, but not a usage error
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('no trace found for "-Tq0dUh1ZfAn8ls="');
  });

  it('answers an unknown option with the usage', async () => {
    expect((await trace('--jsno')).code).toBe(2);
    expect((await trace('-x')).code).toBe(2);
  });
});
