import { describe, expect, it } from 'vitest';
import { readProjection } from '../../../lambdas/shared/replica-read';
import { replicas, tableSpec, tables, RULES_FOR_USER } from '../../../topology/index';

/** Whatever a table declares replicable, these never are. */
const SECRET = /password|hash|salt|e-?mail|token|secret|key/i;

describe('replica read models (topology)', () => {
  it('no table declares a secret replicable, and no read model asks for one', () => {
    for (const table of tables) expect(Object.keys(table.replicable ?? {}).filter((name) => SECRET.test(name)), table.name).toEqual([]);
    for (const replica of replicas) expect(Object.keys(replica.readModel).filter((name) => SECRET.test(name)), replica.name).toEqual([]);
  });

  it('every replica reads only attributes its source declares replicable, with the same types', () => {
    for (const replica of replicas) {
      const replicable = tableSpec(replica.source).replicable ?? {};
      for (const [name, type] of Object.entries(replica.readModel)) expect(replicable[name], `${replica.name}.${name}`).toBe(type);
    }
  });

  it('only streamed tables declare replicable attributes', () => {
    expect(tables.filter((t) => t.replicable && !t.streamed)).toEqual([]);
  });

  it('readers project exactly their read model and the tombstone flag, behind placeholders (status is a reserved word)', () => {
    expect(readProjection(RULES_FOR_USER)).toEqual({ ProjectionExpression: '#p0, #p1', ExpressionAttributeNames: { '#p0': 'status', '#p1': '_deleted' } });
  });
});
