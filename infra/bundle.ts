import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import { bundleFunction, FUNCTIONS_DIST, WEB_DIST } from '../bundle';
import type { FunctionSpec } from '../topology/index';
import { buildWeb } from '../bundle/web';

export interface BundleDirs {
  functions: string;
  web: string;
}

const webBuilds = new Map<string, Promise<unknown>>();

/**
 * Builds one function's code directory with the same esbuild recipe `npm start` uses, so `pulumi up`
 * alone deploys current code. The static function embeds the web app, which is built first (once).
 */
export async function buildFunction(spec: FunctionSpec, dirs: BundleDirs = { functions: FUNCTIONS_DIST, web: WEB_DIST }): Promise<string> {
  if (spec.name === 'static') {
    let web = webBuilds.get(dirs.web);
    if (!web) webBuilds.set(dirs.web, (web = buildWeb(dirs.web)));
    await web;
  }
  const outdir = path.join(dirs.functions, spec.name);
  await bundleFunction(spec, outdir, dirs.web);
  return outdir;
}

/** The function's deployment package; bundling runs during preview too, so diffs show code changes. */
export function functionCode(spec: FunctionSpec): pulumi.Output<pulumi.asset.Archive> {
  return pulumi.output(buildFunction(spec)).apply((dir) => new pulumi.asset.FileArchive(dir));
}
