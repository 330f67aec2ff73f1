import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { builtinsThroughRequire, DIST, REQUIRE_BANNER, ROOT } from '../../bundle';

let compiled: Promise<string> | undefined;

/**
 * The worker runs as plain JavaScript in a fresh node process, so its start-up (and the init duration
 * it reports) is not inflated by a TypeScript loader. Compiled once per content into dist/local/; the
 * content hash in the name lets several stacks (parallel test files) share the file safely.
 */
export function workerEntry(): Promise<string> {
  compiled ??= compileWorker().catch((err: unknown) => {
    compiled = undefined;
    throw err;
  });
  return compiled;
}

async function compileWorker(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'local/lambda/worker.ts')],
    bundle: true,
    platform: 'node',
    // It runs on the functions' Node, which falls back to the host's: the oldest package.json allows.
    target: 'node20',
    format: 'esm',
    // As in the function bundles: on Node 24 an ES import of node:http loads undici, ~20 ms of a fresh
    // process (bundle/index.ts), here at every instance's start.
    plugins: [builtinsThroughRequire],
    banner: { js: REQUIRE_BANNER },
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error('esbuild produced no output for local/lambda/worker.ts');
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
  const file = path.join(DIST, 'local', `worker-${hash}.mjs`);
  const exists = await access(file).then(() => true, () => false);
  if (!exists) {
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a concurrent reader sees either no file or the whole file.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, code);
    await rename(tmp, file);
  }
  return file;
}
