import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../infra/config';
import { functions } from '../../topology/index';
import { REGION, runProgram, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

/** The tracing wiring of the program: OTLP endpoint and sampling per stack, IAM, no X-Ray SDK mode. */
let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ 'noops-todo:traceSampleRatio': 0.25 });
});

const fnOf = (name: string) => run.find('aws:lambda/function:Function', `${name}-function-fn`).inputs;

describe('tracing on AWS', () => {
  it.each(functions.map((f) => [f.name]))('%s exports its spans to X-Ray\'s OTLP endpoint of the stack\'s region, sampled as configured', (name) => {
    const fn = fnOf(name);
    expect(fn.environment.variables).toMatchObject({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `https://xray.${REGION}.amazonaws.com/v1/traces`,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    // Lambda's own X-Ray segments would form a second, unconnected trace.
    expect(fn.tracingConfig).toEqual({ mode: 'PassThrough' });
    expect(fn.layers).toBeUndefined();
  });

  it('lets every role write spans (xray:PutTraceSegments on "*", the only resource X-Ray accepts) and nothing more of X-Ray', () => {
    for (const policy of run.ofType('aws:iam/rolePolicy:RolePolicy')) {
      const statements = JSON.parse(policy.inputs.policy).Statement as Array<{ Action: string | string[]; Resource: string | string[] }>;
      const xray = statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('xray:'));
      expect(xray, policy.name).toEqual(['xray:PutTraceSegments']);
    }
  });

  it('samples every trace by default and refuses a ratio outside 0..1', () => {
    const get = (ratio?: string) => (key: string) => (key === 'traceSampleRatio' ? ratio : undefined);
    expect(parseConfig(get(), 'noops-todo', 'dev').traceSampleRatio).toBe(1);
    expect(parseConfig(get('0.05'), 'noops-todo', 'dev').traceSampleRatio).toBe(0.05);
    expect(() => parseConfig(get('1.5'), 'noops-todo', 'dev')).toThrow(/traceSampleRatio: must be a number from 0 to 1/);
  });
});
