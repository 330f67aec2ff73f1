import { describe, expect, it, vi } from 'vitest';
import { runProgram, type RecordedResource } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

describe('stack name', () => {
  it('with a dot (which Pulumi allows) fails the program with a ConfigError before any resource is registered', async () => {
    const registered: RecordedResource[] = [];
    const error = await runProgram({}, { stack: 'dev.eu-west-1', resources: registered }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConfigError', message: expect.stringContaining('Invalid stack name "dev.eu-west-1": use only letters, digits, "-" and "_"') });
    expect(registered).toEqual([]);
  });
});
