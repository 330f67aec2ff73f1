import { describe, expect, it } from 'vitest';
import { parseLogsArgs } from '../../../../scripts/logs/args';
import { EXIT, UsageError } from '../../../../scripts/logs/errors';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');

describe('parseLogsArgs', () => {
  it('defaults to every function of the last hour, human-readable', () => {
    const options = parseLogsArgs([], NOW);
    expect(options).toMatchObject({ target: 'all', since: NOW - 3_600_000, follow: false, json: false, local: false, logGroups: [] });
    expect(options.until).toBeUndefined();
  });

  it('takes a request id or a grep term that begins with a dash (request ids are base64url)', () => {
    expect(parseLogsArgs(['all', '--request', '-Tq0dUh1ZfAn8ls='], NOW).request).toBe('-Tq0dUh1ZfAn8ls=');
    expect(parseLogsArgs(['all', '--grep', '-1'], NOW).grep).toBe('-1');
    expect(parseLogsArgs(['all', '--request=-x'], NOW).request).toBe('-x');
  });

  it('reads every option of the documented command line', () => {
    const options = parseLogsArgs(
      ['rule', '--since', '15m', '--until', '5m', '--level', 'warn', '--grep', 'todo created', '--json', '--data-dir', '/tmp/x', '--no-color'],
      NOW,
    );
    expect(options).toMatchObject({
      target: 'rule',
      since: NOW - 15 * 60_000,
      until: NOW - 5 * 60_000,
      level: 'WARN',
      grep: 'todo created',
      json: true,
      dataDir: '/tmp/x',
      color: false,
    });
  });

  it('looks back a day by default when asked about one request', () => {
    expect(parseLogsArgs(['all', '--request', 'abc'], NOW)).toMatchObject({ request: 'abc', since: NOW - 86_400_000 });
  });

  it('reads AWS options: stack, repeated log groups, region, endpoint, follow', () => {
    expect(parseLogsArgs(['user', '--stack', 'dev', '-f'], NOW)).toMatchObject({ stack: 'dev', follow: true });
    expect(parseLogsArgs(['--log-group', '/aws/lambda/a', '--log-group', '/aws/lambda/b', '--region', 'eu-west-1', '--endpoint', 'http://127.0.0.1:1'], NOW)).toMatchObject({
      logGroups: ['/aws/lambda/a', '/aws/lambda/b'],
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:1',
    });
  });

  it.each([
    [['--level', 'loud'], /unknown level "loud"/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['rule', 'user'], /expected one function name/],
    [['--stack', 'dev', '--log-group', 'x'], /either --stack or --log-group/],
    [['--since', '1h', '--until', '2h'], /--until must be later than --since/],
    [['--follow', '--until', '5m'], /--follow cannot be combined with --until/],
    [['--grep', ' '], /--grep needs a non-empty value/],
    [['--since'], /argument missing/],
  ])('rejects %j as a usage error', (argv, message) => {
    let error: unknown;
    try {
      parseLogsArgs(argv, NOW);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(EXIT.usage);
    expect((error as Error).message).toMatch(message);
  });
});
