import { spawn } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { DIST } from '../../bundle/index';
import type { LoadResult, LoadSpec } from './spec';

export type { LoadResult };

const CHILD = path.join(path.dirname(new URL(import.meta.url).pathname), 'child.ts');

let bundled: Promise<string> | undefined;
/**
 * The child compiled once per bench process, its packages left to node_modules: each load run then
 * starts plain `node` instead of tsx's loader, about 0.9 s less CPU per run (half of a fresh process's
 * start), which the stack under test would otherwise compete with.
 */
function childScript(): Promise<string> {
  bundled ??= (async () => {
    const outfile = path.join(DIST, 'bench', 'load-child.mjs');
    const out = await build({ entryPoints: [CHILD], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', write: false, logLevel: 'silent' });
    await mkdir(path.dirname(outfile), { recursive: true });
    // Written aside and renamed: another bench process may be starting a child from the same file.
    const temp = `${outfile}.${process.pid}.tmp`;
    await writeFile(temp, out.outputFiles[0]!.contents);
    await rename(temp, outfile);
    return outfile;
  })();
  return bundled;
}

/** Local credentials and region for SDK calls against dynalite (it checks only that they are present). */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  DYNAMODB_MAX_ATTEMPTS: '1',
};

/** Runs one load spec in a fresh child process and returns its figures. */
export function runLoad(spec: Exclude<LoadSpec, { kind: 'replication-lag' | 'replication-burst' }>, timeoutMs?: number): Promise<LoadResult>;
export function runLoad<T>(spec: LoadSpec, timeoutMs?: number): Promise<T>;
export async function runLoad(spec: LoadSpec, timeoutMs = 120_000): Promise<unknown> {
  const script = await childScript();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, ...LOCAL_AWS_ENV, NODE_OPTIONS: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(last) as unknown);
      } catch (e) {
        reject(new Error(`load child (${spec.kind}) failed: ${(e as Error).message}: ${err.slice(-800)}`));
      }
    });
    child.stdin.end(JSON.stringify(spec));
  });
}
