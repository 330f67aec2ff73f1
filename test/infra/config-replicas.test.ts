import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../infra/config';
import { PREFIX, runProgram } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

const parse = (replicas: unknown) => parseConfig((key) => (key === 'replicas' ? JSON.stringify(replicas) : undefined), 'noops-todo', 'dev').replicas;
const avatars = { name: 'avatars-for-static', source: 'users', reader: 'static', envVar: 'AVATARS_TABLE' };
/** The replica the user service's code reads: every list keeps it. */
const forUser = { name: 'rules-replica-for-user', source: 'rules', reader: 'user', envVar: 'RULES_REPLICA_TABLE' };

describe('stack-config replicas and their read models', () => {
  it('gives a replica the code reads its compiled read model, and a new one the named attributes with the source\'s types', () => {
    // Act
    const [, forRule, forStatic] = parse([
      forUser,
      { name: 'users-replica-for-rule', source: 'users', reader: 'rule', envVar: 'USERS_REPLICA_TABLE' },
      { ...avatars, attributes: ['displayName', 'avatar', 'sessionVersion'] },
    ]);
    // Assess
    expect(forRule!.readModel).toEqual({ userId: 'S', displayName: 'S', sessionVersion: 'N' });
    expect(forStatic!.readModel).toEqual({ displayName: 'S', avatar: 'S', sessionVersion: 'N' });
  });

  it.each([
    ['no attributes for a replica the code does not know', [avatars], /replicas\[0\]\.attributes: must list the attributes the reader may see, from users's replicable attributes/],
    ['an empty list', [{ ...avatars, attributes: [] }], /replicas\[0\]\.attributes: must list/],
    ['a password hash', [{ ...avatars, attributes: ['displayName', 'passwordHash'] }], /replicas\[0\]\.attributes: "passwordHash" is not replicable from users/],
    ['an e-mail address', [{ ...avatars, attributes: ['email'] }], /"email" is not replicable from users/],
    ['the bookkeeping', [{ ...avatars, attributes: ['version'] }], /"version" is not replicable/],
    ['an attribute twice', [{ ...avatars, attributes: ['avatar', 'avatar'] }], /lists an attribute twice/],
    ['a read model other than the reader was compiled against', [{ name: 'users-replica-for-rule', source: 'users', reader: 'rule', envVar: 'USERS_REPLICA_TABLE', attributes: ['displayName'] }], /read by the rule service's code, compiled against the read model userId, displayName, sessionVersion/],
  ])('rejects %s with a ConfigError naming the key', (_what, replicas, message) => {
    expect(() => parse(replicas)).toThrow(message);
    expect(() => parse(replicas)).toThrow(/^Invalid configuration noops-todo:replicas\[0\]\.attributes: /);
  });

  it.each([
    ['a key the reader already has', [{ ...avatars, reader: 'rule', envVar: 'RULES_TABLE', attributes: ['avatar'] }], /^Invalid configuration noops-todo:replicas\[0\]\.envVar: RULES_TABLE is already in the rule function's environment/],
    ['the key of another replica of the same reader', [{ ...avatars, attributes: ['avatar'] }, { ...avatars, name: 'avatars-again', attributes: ['avatar'] }], /^Invalid configuration noops-todo:replicas\[1\]\.envVar: AVATARS_TABLE is already in the static function's environment/],
  ])('rejects an envVar that is %s: the reader would get one table for another', (_what, replicas, message) => {
    expect(() => parse(replicas)).toThrow(message);
  });

  it.each([
    ['drops a replica the code reads', [forUser, { ...avatars, attributes: ['avatar'] }], /^Invalid configuration noops-todo:replicas: lacks users-replica-for-rule \(read by the rule service's code, which cannot start without USERS_REPLICA_TABLE\): keep it in the list$/],
    ['gives a replica the code reads another source', [{ ...forUser, source: 'users' }], /^Invalid configuration noops-todo:replicas\[0\]\.source: "rules-replica-for-user" is read by the user service's code, which expects source rules$/],
    ['gives a replica the code reads another envVar', [forUser, { name: 'users-replica-for-rule', source: 'users', reader: 'rule', envVar: 'OWNERS_TABLE' }], /^Invalid configuration noops-todo:replicas\[1\]\.envVar: "users-replica-for-rule" is read by the rule service's code, which expects envVar USERS_REPLICA_TABLE$/],
  ])('rejects a list that %s: its reader would fail its cold start', (_what, replicas, message) => {
    expect(() => parse(replicas)).toThrow(message);
  });

  it('hands each replica\'s read model to the replicator in REPLICAS', async () => {
    // Act
    const run = await runProgram({ replicas: [forUser, { name: 'users-replica-for-rule', source: 'users', reader: 'rule', envVar: 'USERS_REPLICA_TABLE' }, { ...avatars, attributes: ['avatar'] }] });
    // Assess
    expect(JSON.parse(run.find('aws:lambda/function:Function', 'replicator-function-fn').inputs.environment.variables.REPLICAS)).toEqual([
      { replica: `${PREFIX}-rules-replica-for-user`, source: `${PREFIX}-rules`, attributes: { status: 'N' } },
      { replica: `${PREFIX}-users-replica-for-rule`, source: `${PREFIX}-users`, attributes: { userId: 'S', displayName: 'S', sessionVersion: 'N' } },
      { replica: `${PREFIX}-avatars-for-static`, source: `${PREFIX}-users`, attributes: { avatar: 'S' } },
    ]);
  });
});
