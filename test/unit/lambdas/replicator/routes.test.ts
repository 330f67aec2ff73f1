import { describe, expect, it } from 'vitest';
import { parseReplicaFeeds } from '../../../../lambdas/replicator/feeds';

describe('parseReplicaFeeds (env REPLICAS)', () => {
  it('reads each replica\'s physical names and read model', () => {
    expect(parseReplicaFeeds('[{"replica":"r","source":"s","attributes":{"status":"N","name":"S","done":"BOOL"}}]')).toEqual([
      { replica: 'r', source: 's', attributes: { status: 'N', name: 'S', done: 'BOOL' } },
    ]);
  });

  it.each([
    ['no read model (never "copy everything")', '[{"replica":"r","source":"s"}]', /REPLICAS\[0\]\.attributes must be an object/],
    ['a list instead of name → type', '[{"replica":"r","source":"s","attributes":["status"]}]', /REPLICAS\[0\]\.attributes must be an object/],
    ['an unknown type', '[{"replica":"r","source":"s","attributes":{"tags":"SS"}}]', /REPLICAS\[0\]\.attributes\.tags must be one of S, N, BOOL/],
    ['the bookkeeping', '[{"replica":"r","source":"s","attributes":{"version":"N"}}]', /REPLICAS\[0\]\.attributes\.version is replication bookkeeping/],
  ])('refuses %s', (_what, json, message) => {
    expect(() => parseReplicaFeeds(json)).toThrow(message);
  });
});
