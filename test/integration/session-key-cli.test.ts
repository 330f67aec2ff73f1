import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../bundle';

/**
 * `npm run session-key`, run as a user runs it. No Pulumi CLI exists here: a stand-in `pulumi` on PATH
 * records its arguments and answers `config get` as the CLI does (the value, or "not found" and exit 255).
 */
const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'noops-todo-session-key-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function fakePulumi(generation: string | undefined): Promise<string> {
  const bin = path.join(dir, `bin-${generation ?? 'unset'}`);
  await mkdir(bin, { recursive: true });
  const get = generation === undefined ? `echo "error: configuration key 'noops-todo:sessionKeyGeneration' not found for stack 'dev'" >&2; exit 255` : `echo ${generation}`;
  await writeFile(path.join(bin, 'pulumi'), `#!/bin/sh\necho "$*" >> "${bin}/calls"\nif [ "$1 $2" = "config get" ]; then ${get}; fi\nexit 0\n`);
  await chmod(path.join(bin, 'pulumi'), 0o755);
  return bin;
}

const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/session-key.ts'), ...args], { cwd: ROOT, env, timeout: 60_000 });

describe('npm run session-key', () => {
  it.each([
    ['3', '3', '4'],
    ['unset', undefined, '2'],
  ])('rotate --stack bumps sessionKeyGeneration (%s) to the next, then runs pulumi up on that stack', async (_label, before, after) => {
    // Prepare
    const bin = await fakePulumi(before);

    // Act
    await cli(['rotate', '--stack', 'dev'], { ...process.env, PATH: `${bin}:${process.env.PATH}` });

    // Assess
    expect((await readFile(path.join(bin, 'calls'), 'utf8')).trim().split('\n')).toEqual([
      'config get noops-todo:sessionKeyGeneration --stack dev',
      `config set noops-todo:sessionKeyGeneration ${after} --stack dev`,
      'up --stack dev',
    ]);
  }, 60_000);

  it('rotate --data-dir rotates the local keys and says which kids verifiers accept', async () => {
    // Act
    const { stdout } = await cli(['rotate', '--data-dir', path.join(dir, 'local')]);

    // Assess
    const keys = JSON.parse(await readFile(path.join(dir, 'local', 'keys.json'), 'utf8'));
    expect(keys.generation).toBe(2);
    expect(stdout).toContain(`generation 2, signing with ${keys.publicJwks[0].kid}, still accepting ${keys.publicJwks[1].kid}`);
  }, 60_000);
});
