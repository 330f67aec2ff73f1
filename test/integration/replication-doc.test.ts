import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/index';
import { ROOT } from '../../bundle';
import { ApiClient } from './replication-api-client';

/** The `sh` blocks of one section of docs/replication.md, one command a line. */
async function commandsOf(heading: string, from: string): Promise<string[][]> {
  const doc = await readFile(path.join(ROOT, 'docs/replication.md'), 'utf8');
  const section = doc.slice(doc.indexOf(`## ${heading}`)).split(/\n## /)[0]!;
  const part = section.slice(section.indexOf(from));
  const block = /```sh\n([\s\S]*?)```/.exec(part)![1]!;
  return block.trim().split('\n').map((line) => line.trim().split(/\s+/));
}

/** Runs `npm run replicas -- …` as the doc writes it, without npm (the same script, through tsx). */
function run(words: string[], extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  expect(words.slice(0, 4)).toEqual(['npm', 'run', 'replicas', '--']);
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/replicas.ts'), ...words.slice(4), ...extra], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const fill = (words: string[], values: Record<string, string>) => words.map((w) => values[w] ?? w);
let dataDir: string;
let stack: Stack;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'replication-doc-'));
  stack = await startStack({ dataDir, port: 0, quiet: true, env: { SCRYPT_N: '1024', LOG_LEVEL: 'ERROR' } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('docs/replication.md: adding, rebuilding and removing a replica', () => {
  const heading = 'Adding, rebuilding and removing a replica';
  const values = { '<replica>': 'avatars-for-static', '<table>': 'users', '<function>': 'static', '<NAME>': 'AVATARS_TABLE', '<attributes>': 'displayName,avatar' };
  const runAll = async (from: string) => {
    const commands = await commandsOf(heading, from);
    const results = [];
    for (const words of commands) results.push(await run(fill(words, values), ['--data-dir', dataDir]));
    return { commands: commands.map((c) => c[4]), results };
  };

  it('the local commands, run literally against a running stack, add, rebuild and remove a replica without a restart', async () => {
    // Prepare: someone to copy
    await new ApiClient(stack.url).signUp('doc-reader');
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    // Act, Assess: adding
    const adding = await runAll('**Adding (local).**');
    expect(adding.commands).toEqual(['add', 'verify']);
    expect(adding.results.map((r) => r.code), adding.results.map((r) => r.stderr).join('\n')).toEqual([0, 0]);
    expect(adding.results[1]!.stdout).toContain('avatars-for-static: no differences');
    const listed = JSON.parse(await readFile(path.join(dataDir, 'replicas.json'), 'utf8')) as Array<{ name: string; attributes: string[] }>;
    expect(listed.find((r) => r.name === 'avatars-for-static')).toEqual({ name: 'avatars-for-static', source: 'users', reader: 'static', envVar: 'AVATARS_TABLE', attributes: ['displayName', 'avatar'] });
    // rebuilding
    const rebuilding = await runAll('**Rebuilding.**');
    expect(rebuilding.commands).toEqual(['backfill', 'verify']);
    expect(rebuilding.results.map((r) => r.code)).toEqual([0, 0]);
    // removing
    const removing = await runAll('**Removing (local).**');
    expect(removing.commands).toEqual(['remove']);
    expect(removing.results.map((r) => r.code)).toEqual([0]);
    expect(stack.replicas.list().map((r) => r.name)).toEqual(['rules-replica-for-user', 'users-replica-for-rule']);
    const gone = await run(['npm', 'run', 'replicas', '--', 'verify', 'avatars-for-static'], ['--data-dir', dataDir]);
    expect(gone.code).toBe(2);
  }, 240_000);

  it('the AWS commands need the Pulumi CLI and say so in one line (exit 3) where it is absent', async () => {
    // Prepare
    const commands = await commandsOf('Adding, rebuilding and removing a replica', '**AWS.**');
    // Act
    const replicaCommands = commands.filter((c) => c[0] === 'npm');
    const results = [];
    for (const words of replicaCommands) results.push(await run(fill(words, { '<replica>': 'users-replica-for-rule', '<stack>': 'dev', '<region>': 'eu-west-1' }), []));
    // Assess
    expect(commands[0]).toEqual(['pulumi', 'up']);
    expect(results.map((r) => r.code)).toEqual([3, 3]);
    for (const r of results) expect(r.stderr.trim()).toMatch(/^replicas: (--stack needs the Pulumi CLI|pulumi stack output --stack dev failed)/);
  }, 120_000);
});
