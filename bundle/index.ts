import { build, type BuildOptions, type Plugin } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { functions, type FunctionSpec } from '../topology';
import { LAMBDA_NODE_MAJOR } from '../topology/runtime';

/**
 * One bundling recipe for both runtimes: `npm start` runs these files and the Pulumi program zips the
 * same directories, so what is tested locally is what is deployed.
 */
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const DIST = path.join(ROOT, 'dist');
export const FUNCTIONS_DIST = path.join(DIST, 'functions');
export const WEB_DIST = path.join(DIST, 'web');
/** The folder of a function's chunks, beside its index.mjs. */
const CHUNKS = 'chunks';

/**
 * Code the functions cannot reach, swapped at bundle time for something smaller. Each swap keeps the
 * behaviour of every path the functions use, or fails loudly on a path they were not expected to take.
 */
const REPLACEMENTS: Array<{ module: RegExp; contents: string }> = [
  // Lambda hands the execution role's credentials over as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
  // AWS_SESSION_TOKEN, and the local runtime sets the same variables. The default chain's other links (SSO,
  // ini files, credential_process, web identity, container and instance metadata) and the STS, SSO and
  // sign-in clients they embed are ~90 KB per function; without them a missing variable fails at once with
  // "Unable to find environment variable credentials" instead of probing files and the network.
  {
    module: /^@aws-sdk\/credential-provider-node$/,
    contents: "export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';",
  },
  // Loaded lazily, and only by operations with event-stream members: DynamoDB and Secrets Manager have none (~14 KB).
  {
    module: /^@smithy\/core\/event-streams$/,
    contents: "throw new Error('event streams are not bundled: no operation these functions call streams events');",
  },
  // A browser user-agent parser that @aws-sdk/core imports dynamically, for browser clients only. With
  // code splitting esbuild keeps every dynamically imported module as a chunk, even one whose importer is
  // shaken out: it would never load, but it would ship (~34 KB per function).
  {
    module: /^bowser$/,
    contents: "throw new Error('bowser is not bundled: it parses browser user agents, and these functions run on Node');",
  },
];

const replacements: Plugin = {
  name: 'replacements',
  setup(b) {
    REPLACEMENTS.forEach(({ module, contents }) => {
      b.onResolve({ filter: module }, (args) => ({ path: args.path, namespace: 'replacement', pluginData: { contents, resolveDir: args.resolveDir } }));
    });
    b.onLoad({ filter: /.*/, namespace: 'replacement' }, (args) => {
      const { contents, resolveDir } = args.pluginData as { contents: string; resolveDir: string };
      // Resolve the replacement's own imports from where the original import was, so it finds the same
      // package versions as the module it replaces.
      return { contents, resolveDir, loader: 'js' };
    });
  },
};

/**
 * Node's own modules through `require`, not `import`. An ES module that imports a builtin gets a
 * namespace built by reading every export of it, and on Node 24 some exports are lazy getters: `node:http`
 * exports `WebSocket`, `CloseEvent` and `MessageEvent`, which load undici when read. Measured in a fresh
 * Node 24.22 process: `await import('node:http')` 22 ms against 2 ms for `require('node:http')`, and
 * `node:process` 3.9 ms against 0.04. Loading the rule bundle fell from 50 to 39 ms (user 49 → 36,
 * replicator 45 → 35, static 33 → 21); Node 20 is unchanged (its http has no such exports). The namespace
 * esbuild builds over a required module defines getters and reads nothing, so no lazy export runs.
 */
export const builtinsThroughRequire: Plugin = {
  name: 'builtins-through-require',
  setup(b) {
    const builtin = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
    b.onResolve({ filter: builtin }, (args) => (args.namespace === 'builtin' ? undefined : { path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/** Some dependencies are CommonJS and call require(), and builtins come through it: give ESM bundles one. */
export const REQUIRE_BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

export const functionOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  // The deployed runtime's Node (node24): nothing is lowered for an older one.
  target: `node${LAMBDA_NODE_MAJOR}`,
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  /*
   * The AWS SDK is bundled, not left to the copy the Lambda runtime ships. As separate packages it is
   * hundreds of CommonJS files: a fresh process spent ~140 ms in the CommonJS loader and ~70 ms in
   * cjs-module-lexer (which Node runs so an ES module can import CommonJS) before its first answer, 220-320 ms
   * over an empty handler against the 25 ms target of docs/benchmarks.md. Bundled and tree-shaken it is ~190 KB of minified code in
   * the one file V8 compiles anyway, and the process CPU time to the first answer drops about threefold. A
   * CommonJS bundle with the SDK still external was measured too: it skips the lexer but not the loader
   * (~15% less). Bundling also pins the SDK version tested here instead of whatever the runtime ships.
   * `module` first: the SDK's ES builds (dist-es) tree-shake, its CommonJS builds (dist-cjs) do not.
   */
  mainFields: ['module', 'main'],
  plugins: [replacements, builtinsThroughRequire],
  banner: { js: REQUIRE_BANNER },
  /*
   * What a function imports with `import()` goes in a chunk of its own, loaded on first use instead of
   * parsed at every cold start: the Secrets Manager client (~27 KB), which the origin check needs only
   * for a value that is not the current one and the user function only at its first sign-in. Measured on
   * Node 24, loading rule fell 38.4 → 35.6 ms, user 36.2 → 32.8, replicator 33.3 → 30.6 (Node 20: 3–4 ms less).
   * Code both need lands in shared chunks the entry imports statically. Lambda loads a handler's
   * relative imports from the deployment package like any ES module.
   */
  splitting: true,
  entryNames: 'index',
  chunkNames: `${CHUNKS}/[name]-[hash]`,
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
};

export function functionDir(name: string): string {
  return path.join(FUNCTIONS_DIST, name);
}

/**
 * `outdir`/`webDir` default to dist/; the infra tests bundle into a temporary directory instead.
 *
 * Built beside `outdir` and then moved in entry by entry with rename(2), which replaces a file
 * atomically: an instance starting meanwhile (a running `npm start`, a test stack while the bench
 * rebuilds) loads the old bundle or the new one, never a missing or half-written file. `bytes` counts
 * every module the function ships (index.mjs and its chunks), the figure the 400 KB budget is about.
 */
export async function bundleFunction(
  spec: FunctionSpec,
  outdir = functionDir(spec.name),
  webDir = WEB_DIST,
): Promise<{ file: string; bytes: number }> {
  const staging = `${outdir}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging, { recursive: true });
    await build({ ...functionOptions, entryPoints: { index: path.join(ROOT, spec.entry) }, outdir: staging });
    if (spec.name === 'static') {
      // The static function serves the web bundle from its own code package.
      await cp(webDir, path.join(staging, 'web'), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await moveInto(staging, outdir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { file: path.join(outdir, 'index.mjs'), bytes: await moduleBytes(outdir) };
}

/** The modules a function ships, as paths: its index.mjs and its chunks (not source maps, not the web app). */
export async function functionModules(dir: string): Promise<string[]> {
  const chunks = await readdir(path.join(dir, CHUNKS)).catch(() => [] as string[]);
  return [path.join(dir, 'index.mjs'), ...chunks.filter((f) => f.endsWith('.mjs')).map((f) => path.join(dir, CHUNKS, f))];
}

/** The size of a function's modules (functionModules). */
export async function moduleBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const file of await functionModules(dir)) bytes += (await stat(file)).size;
  return bytes;
}

/**
 * Moves every entry of `from` into `to` (a directory entry replaces the old one whole), and removes what
 * `from` did not have. Chunks go first, added beside the old ones (their names hold a hash of their
 * content), so a new index.mjs never lands before the chunks it imports, and one starting on the old
 * index.mjs still finds its own until the end. An instance that started before a rebuild that changed
 * code, and imports a lazy chunk only after it, finds that chunk gone: restart such a stack.
 */
async function moveInto(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from);
  const chunks = entries.includes(CHUNKS) ? await readdir(path.join(from, CHUNKS)) : [];
  if (chunks.length > 0) {
    await mkdir(path.join(to, CHUNKS), { recursive: true });
    for (const chunk of chunks) await rename(path.join(from, CHUNKS, chunk), path.join(to, CHUNKS, chunk));
  }
  for (const entry of entries.filter((e) => e !== CHUNKS)) {
    const target = path.join(to, entry);
    // rename(2) replaces a file but not a non-empty directory: that one is moved aside first.
    const aside = `${target}.old-${randomBytes(4).toString('hex')}`;
    const isDir = (await stat(target).catch(() => undefined))?.isDirectory() ?? false;
    if (isDir) await rename(target, aside);
    await rename(path.join(from, entry), target);
    if (isDir) await rm(aside, { recursive: true, force: true });
  }
  for (const stale of await readdir(to)) if (!entries.includes(stale)) await rm(path.join(to, stale), { recursive: true, force: true });
  if (chunks.length > 0) {
    for (const stale of await readdir(path.join(to, CHUNKS))) if (!chunks.includes(stale)) await rm(path.join(to, CHUNKS, stale), { force: true });
  }
}

export async function bundleAllFunctions(): Promise<Array<{ name: string; file: string; bytes: number }>> {
  return Promise.all(functions.map(async (spec) => ({ name: spec.name, ...(await bundleFunction(spec)) })));
}
