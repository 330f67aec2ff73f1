import { MalformedChangeRecord } from './decode';

/** One replica fed from one source table, both physical names (env `REPLICAS`). */
export interface ReplicaRoute {
  replica: string;
  source: string;
}

/** Parses `REPLICAS`: `[{ "replica": "<physical replica table>", "source": "<physical source table>" }]`. */
export function parseReplicaRoutes(json: string): ReplicaRoute[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('REPLICAS must be a JSON array of { replica, source }');
  return value.map((entry, i) => {
    const { replica, source } = (entry ?? {}) as Partial<ReplicaRoute>;
    if (typeof replica !== 'string' || !replica || typeof source !== 'string' || !source) {
      throw new Error(`REPLICAS[${i}] needs string "replica" and "source" table names`);
    }
    return { replica, source };
  });
}

/** The replicas a source table feeds; a table nobody replicates is a routing error, not a silent drop. */
export function routesFor(routes: readonly ReplicaRoute[], tableName: string): ReplicaRoute[] {
  const matched = routes.filter((route) => route.source === tableName);
  if (matched.length === 0) throw new MalformedChangeRecord(`no replica is configured for table "${tableName}"`);
  return matched;
}
