import { build, type BuildOptions } from 'esbuild';
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { functions, type FunctionSpec } from '../topology/index';

/**
 * One bundling recipe for both runtimes: `npm start` runs these files and the Pulumi program zips the
 * same directories, so what is tested locally is what is deployed.
 */
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const DIST = path.join(ROOT, 'dist');
export const FUNCTIONS_DIST = path.join(DIST, 'functions');
export const WEB_DIST = path.join(DIST, 'web');

export const functionOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  // The nodejs22.x runtime ships AWS SDK v3; bundling it again would double every function's size.
  external: ['@aws-sdk/*', '@smithy/*'],
  // Some dependencies are CommonJS and call require(); give ESM bundles one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
};

export function functionDir(name: string): string {
  return path.join(FUNCTIONS_DIST, name);
}

/** `outdir`/`webDir` default to dist/; the infra tests bundle into a temporary directory instead. */
export async function bundleFunction(
  spec: FunctionSpec,
  outdir = functionDir(spec.name),
  webDir = WEB_DIST,
): Promise<{ file: string; bytes: number }> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const file = path.join(outdir, 'index.mjs');
  await build({ ...functionOptions, entryPoints: [path.join(ROOT, spec.entry)], outfile: file });
  if (spec.name === 'static') {
    // The static function serves the web bundle from its own code package.
    await cp(webDir, path.join(outdir, 'web'), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  return { file, bytes: (await stat(file)).size };
}

export async function bundleAllFunctions(): Promise<Array<{ name: string; file: string; bytes: number }>> {
  return Promise.all(functions.map(async (spec) => ({ name: spec.name, ...(await bundleFunction(spec)) })));
}
