import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const installed = (name: string) => {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
};

describe('SDK stand-in types', () => {
  it('exist only while the release\'s SDK clients are not installed (an ambient module would shadow their real types)', () => {
    const clients = ['@aws-sdk/client-lambda', '@aws-sdk/client-codedeploy', '@aws-sdk/client-cloudwatch'];
    const shim = existsSync(new URL('../../../types/aws-sdk-release.d.ts', import.meta.url));
    expect(shim, 'delete types/aws-sdk-release.d.ts now that the clients are installed').toBe(!clients.every(installed));
  });
});
