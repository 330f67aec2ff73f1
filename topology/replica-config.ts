/**
 * Replicas as configuration: the stack config `noops-todo:replicas` on AWS, `<data-dir>/replicas.json`
 * on the local stack, the same entries in both, checked by this one parser. Plain data, no I/O.
 */
import { environmentOf, type ReplicaDeclaration } from './environment';
import { functions, functionSpec, replicas as compiledReplicas, tables, type FunctionName, type ReadModel, type TableName } from './index';

/** One replica as configuration writes it: its read model by attribute names (types come from the source). */
export interface ReplicaEntry {
  name: string;
  source: string;
  reader: string;
  envVar: string;
  attributes?: string[];
}

/** What is wrong, and where (`replicas[1].envVar`); each runtime words it its own way. */
export class ReplicaConfigError extends Error {
  constructor(readonly where: string, readonly problem: string) {
    super(`${where}: ${problem}`);
    this.name = 'ReplicaConfigError';
  }
}

/** The configuration entry of a declaration: what `parseReplicaEntries` reads back into it. */
export function replicaEntry(replica: ReplicaDeclaration): ReplicaEntry {
  return { name: replica.name, source: replica.source, reader: replica.reader, envVar: replica.envVar, attributes: Object.keys(replica.readModel) };
}

/** The replica the functions' code reads (topology's `replicas`), if `name` is one: it cannot be removed or remodelled. */
export function compiledReplica(name: string): ReplicaDeclaration | undefined {
  return compiledReplicas.find((r) => r.name === name);
}

/**
 * A list of replica entries, checked. A replica the code reads (a topology replica) keeps topology's read
 * model: its reader is compiled against it, so `attributes` may only repeat it. Any other replica must
 * list its `attributes`, by name, from the source table's replicable attributes (which also give their
 * types). A replica's `envVar` must be new to its reader's environment: the same key twice would hand
 * the reader one table for another. The list always holds the replicas the code reads, as topology
 * declares them.
 */
export function parseReplicaEntries(value: unknown): ReplicaDeclaration[] {
  if (!Array.isArray(value)) throw new ReplicaConfigError('replicas', 'must be a list of { name, source, reader, envVar, attributes? }');
  const parsed: ReplicaDeclaration[] = [];
  value.forEach((item: Partial<ReplicaEntry> | null, i) => {
    const where = `replicas[${i}]`;
    if (typeof item !== 'object' || item === null) throw new ReplicaConfigError(where, 'must be an object');
    if (!item.name || !/^[a-z0-9-]{1,100}$/.test(item.name)) throw new ReplicaConfigError(`${where}.name`, 'must be lower-case letters, digits and dashes');
    if (parsed.some((r) => r.name === item.name) || tables.some((t) => t.name === item.name)) throw new ReplicaConfigError(`${where}.name`, `"${item.name}" is already used`);
    const source = tables.find((t) => t.name === item.source);
    if (!source?.streamed) throw new ReplicaConfigError(`${where}.source`, `must be a streamed table (${tables.filter((t) => t.streamed).map((t) => t.name).join(', ')}), got "${item.source}"`);
    if (!functions.some((f) => f.name === item.reader)) throw new ReplicaConfigError(`${where}.reader`, `must be one of ${functions.map((f) => f.name).join(', ')}, got "${item.reader}"`);
    const reader = item.reader as FunctionName;
    if (!item.envVar || !/^[A-Z][A-Z0-9_]*$/.test(item.envVar)) throw new ReplicaConfigError(`${where}.envVar`, 'must be an UPPER_SNAKE environment variable name');
    if (Object.hasOwn(environmentOf(functionSpec(reader), parsed), item.envVar)) throw new ReplicaConfigError(`${where}.envVar`, `${item.envVar} is already in the ${reader} function's environment`);
    const compiled = compiledReplica(item.name);
    for (const field of ['source', 'reader', 'envVar'] as const) {
      if (compiled && compiled[field] !== item[field]) throw new ReplicaConfigError(`${where}.${field}`, `"${item.name}" is read by the ${compiled.reader} service's code, which expects ${field} ${compiled[field]}`);
    }
    const readModel = parseReadModel(item.attributes, `${where}.attributes`, item.name, source.name);
    parsed.push({ name: item.name, source: source.name, reader, envVar: item.envVar, readModel });
  });
  // The functions read their compiled replicas at cold start (lambdas/shared/config.ts): without one, its reader cannot start.
  const missing = compiledReplicas.filter((c) => !parsed.some((r) => r.name === c.name));
  if (missing.length > 0) {
    throw new ReplicaConfigError('replicas', `lacks ${missing.map((m) => `${m.name} (read by the ${m.reader} service's code, which cannot start without ${m.envVar})`).join(' and ')}: keep ${missing.length === 1 ? 'it' : 'them'} in the list`);
  }
  return parsed;
}

function parseReadModel(value: unknown, where: string, replica: string, sourceName: TableName): ReadModel {
  const compiled = compiledReplica(replica);
  const replicable = tables.find((t) => t.name === sourceName)?.replicable ?? {};
  const allowed = Object.keys(replicable).join(', ');
  const names: unknown = value ?? (compiled ? Object.keys(compiled.readModel) : undefined);
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    throw new ReplicaConfigError(where, `must list the attributes the reader may see, from ${sourceName}'s replicable attributes (${allowed}), got ${JSON.stringify(value)}`);
  }
  const unknown = names.filter((n) => !Object.hasOwn(replicable, n));
  if (unknown.length > 0) throw new ReplicaConfigError(where, `${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not replicable from ${sourceName} (replicable: ${allowed})`);
  if (new Set(names).size !== names.length) throw new ReplicaConfigError(where, 'lists an attribute twice');
  if (compiled) {
    const expected = Object.keys(compiled.readModel);
    if (names.length !== expected.length || !expected.every((n) => names.includes(n))) {
      throw new ReplicaConfigError(where, `"${replica}" is read by the ${compiled.reader} service's code, compiled against the read model ${expected.join(', ')}; list exactly those or omit attributes`);
    }
  }
  return Object.fromEntries(names.map((n) => [n, replicable[n]!]));
}
