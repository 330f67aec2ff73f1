import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLambdaNode, majorOf } from '../../local/lambda/node';
import { ROOT } from '../../bundle';
import { LAMBDA_NODE_MAJOR } from '../../topology/runtime';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

/**
 * The functions run on the deployed runtime's Node major when it is installed (CI installs it in
 * .local/node24 and also runs the suite with it first on PATH), and behave like nodejs24.x.
 */
const probe = path.join(import.meta.dirname, 'fixtures/probe-function.mjs');
const callback = path.join(import.meta.dirname, 'fixtures/callback-function.mjs');
const discovered = await findLambdaNode({ env: process.env, root: ROOT, host: { execPath: process.execPath, version: process.version } });

describe('the Node the local functions run on', () => {
  let stack: LocalStack;
  let seen: { version: string; execPath: string };
  beforeAll(async () => {
    stack = await startLocalStack({ functions: { rule: { bundle: probe }, static: { bundle: callback } } });
    const res = await fetch(`${stack.url}/api/todos`);
    seen = ((await res.json()) as { node: typeof seen }).node;
  });
  afterAll(() => stack?.stop());

  it('is the one the stack reports, found as local/lambda/node.ts says', async () => {
    // process.execPath is the real path of the binary: the reported one may go through a symlink.
    expect(seen).toEqual({ version: stack.functionsNode.version, execPath: await realpath(stack.functionsNode.execPath) });
    expect(stack.functionsNode).toEqual(discovered);
  });

  it.runIf(!discovered.warning)(`is Node ${LAMBDA_NODE_MAJOR}, the deployed runtime's major, when it is installed`, () => {
    expect(majorOf(seen.version)).toBe(LAMBDA_NODE_MAJOR);
  });

  it('refuses a callback-style handler at init, as nodejs24.x does', async () => {
    // Act
    const res = await fetch(`${stack.url}/index.html`);
    const body = (await res.json()) as { error: { code: string; message: string } };
    // Assess
    expect(res.status).toBe(502);
    expect(body.error.code).toBe('FunctionInitError');
    expect(body.error.message).toContain('Runtime.CallbackHandlerDeprecated: ');
  });

  it('refuses to start when LAMBDA_NODE names no runnable Node, instead of falling back', async () => {
    process.env.LAMBDA_NODE = path.join(ROOT, 'no-such-node');
    try {
      await expect(startLocalStack()).rejects.toThrow(/^LAMBDA_NODE=.*no-such-node is not a Node binary that runs/);
    } finally {
      delete process.env.LAMBDA_NODE;
    }
  });
});
