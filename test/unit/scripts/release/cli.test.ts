import { describe, expect, it } from 'vitest';
import { parseReleaseArgs } from '../../../../scripts/release/args';
import { EXIT, ReleaseError } from '../../../../scripts/release/errors';
import { parseReleaseOutput, selectTargets } from '../../../../scripts/release/stack';

const usageError = (argv: string[]) => {
  try {
    parseReleaseArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ReleaseError);
    expect((err as ReleaseError).exitCode).toBe(EXIT.usage);
    return (err as Error).message;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
};

describe('release arguments', () => {
  it('releases by default and rolls back on request', () => {
    expect(parseReleaseArgs(['--stack', 'prod'])).toMatchObject({ command: 'release', stack: 'prod', functions: [], pollSeconds: 5, timeoutMinutes: 60 });
    expect(parseReleaseArgs(['rollback', '--stack', 'prod', '--function', 'rule', '--function', 'user'])).toMatchObject({ command: 'rollback', functions: ['rule', 'user'] });
  });

  it('rehearses locally with a compressed clock and the production schedule by default', () => {
    expect(parseReleaseArgs(['--local'])).toMatchObject({ command: 'release', local: true, speed: 60, deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes' });
    expect(parseReleaseArgs(['--local', 'rollback'])).toMatchObject({ command: 'rollback', local: true });
    expect(parseReleaseArgs(['--local', '--speed', '300', '--config', 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute'])).toMatchObject({ speed: 300, deploymentConfig: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute' });
  });

  it.each([
    [[], /--stack <name> is required/],
    [['--stack'], /argument missing/],
    [['promote', '--stack', 'x'], /unknown command "promote"/],
    [['rollback', 'now', '--stack', 'x'], /unknown command "rollback now"/],
    [['--stack', 'x', '--poll', 'fast'], /--poll must be a positive number, got "fast"/],
    [['--stack', 'x', '--wat'], /Unknown option '--wat'/],
    [['--local', '--stack', 'dev'], /leave out --stack/],
    [['--local', '--speed', '0'], /--speed must be a positive number, got "0"/],
    [['--local', '--config', 'CodeDeployDefault.LambdaCanary50Percent1Minute'], /--config must be one of CodeDeployDefault\.LambdaAllAtOnce, /],
    [['--stack', 'dev', '--speed', '10'], /apply to --local only/],
  ])('refuses %j with one line', (argv, message) => {
    const text = usageError(argv as string[]);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });
});

const output = (fn: Record<string, unknown> = {}) => ({
  region: 'eu-west-1',
  functions: {
    rule: { functionName: 'noops-todo-dev-rule', alias: 'live', targetVersion: '7', application: 'noops-todo-dev', deploymentGroup: 'noops-todo-dev-rule', deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce', bakeMinutes: 0, alarms: ['a'], ...fn },
  },
});

describe('stack outputs', () => {
  it('reads the release output infra/index.ts exports', () => {
    expect(parseReleaseOutput('dev', output())).toEqual({
      region: 'eu-west-1',
      targets: [{ function: 'rule', functionName: 'noops-todo-dev-rule', alias: 'live', targetVersion: '7', application: 'noops-todo-dev', deploymentGroup: 'noops-todo-dev-rule', deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce', bakeMinutes: 0, alarms: ['a'] }],
    });
  });

  it.each([
    [undefined, /no usable release output \(release.region/],
    [output({ targetVersion: '' }), /functions\.rule\.targetVersion/],
    [output({ deploymentConfig: 'CodeDeployDefault.OneAtATime' }), /deploymentConfig "CodeDeployDefault\.OneAtATime"/],
    [output({ alarms: 'a' }), /functions\.rule\.alarms/],
  ])('says what is missing from an older or foreign stack (%#)', (release, message) => {
    expect(() => parseReleaseOutput('dev', release)).toThrow(message);
  });

  it('names the real functions when --function is wrong', () => {
    const { targets } = parseReleaseOutput('dev', output());
    expect(selectTargets(targets, ['rule'])).toHaveLength(1);
    expect(() => selectTargets(targets, ['rules'])).toThrow('unknown function "rules": this stack has rule');
  });
});
