import { DeleteItemCommand, DeleteTableCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReplicaDeclaration } from '../topology/environment';
import { replicas as compiledReplicas, tables, type FunctionName } from '../topology/index';
import { compiledReplica, parseReplicaEntries, replicaEntry, ReplicaConfigError, type ReplicaEntry } from '../topology/replica-config';
import { createTables, tableDefinitions } from './dynamodb';

/** The local stack's replica list, the local counterpart of the stack config `noops-todo:replicas`. */
export const replicasFilePath = (dataDir: string) => path.join(dataDir, 'replicas.json');

/** A change the runtime refuses; `status` is the control endpoint's answer (400 invalid, 404 unknown, 409 conflict). */
export class ReplicaChangeError extends Error {
  constructor(message: string, readonly status: 400 | 404 | 409) {
    super(message);
    this.name = 'ReplicaChangeError';
  }
}

/** The replicas a local stack starts with: `<dataDir>/replicas.json` (entries as in the stack config), else topology's. */
export async function loadReplicas(dataDir: string | undefined): Promise<ReplicaDeclaration[]> {
  if (!dataDir) return [...compiledReplicas];
  let text: string;
  try {
    text = await readFile(replicasFilePath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [...compiledReplicas];
    throw err;
  }
  try {
    return parseReplicaEntries(JSON.parse(text));
  } catch (err) {
    throw new ReplicaChangeError(`${replicasFilePath(dataDir)}: ${(err as Error).message}`, 400);
  }
}

export interface ReplicaSetOptions {
  initial: readonly ReplicaDeclaration[];
  /** Where the list is kept across restarts; undefined for an in-memory stack. */
  dataDir: string | undefined;
  /** dynalite itself: table operations are not captured. */
  dynamoEndpoint: string;
  physicalName: (logical: string) => string;
  /**
   * Gives `affected` the environment of the new `list()` as a Lambda configuration change would (new
   * instances get it, in-flight invocations finish on the old one) and resolves once no old instance
   * is busy any more.
   */
  apply: (affected: FunctionName[]) => Promise<void>;
}

/**
 * Adds and removes replicas on a running local stack, what `pulumi up` does after a change of the stack
 * config: the table, the reader's environment, the replicator's feeds. One change at a time.
 */
export class ReplicaSet {
  private current: readonly ReplicaDeclaration[];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ReplicaSetOptions) {
    this.current = options.initial;
  }

  list(): readonly ReplicaDeclaration[] {
    return this.current;
  }

  /**
   * Creates the replica's table (empty; its old replication-state rows, if any, removed), then recycles
   * the reader and the replicator, which applies every change from then on. What existed before is the
   * backfill's to copy.
   */
  add(entry: ReplicaEntry): Promise<ReplicaDeclaration> {
    return this.serialised(async () => {
      const existing = this.current.find((r) => r.name === entry.name);
      if (existing) throw new ReplicaChangeError(`replica "${entry.name}" already exists (a copy of ${existing.source} read by ${existing.reader}); to rebuild it, backfill it`, 409);
      let next: ReplicaDeclaration[];
      try {
        next = parseReplicaEntries([...this.current.map(replicaEntry), entry]);
      } catch (err) {
        if (err instanceof ReplicaConfigError) throw new ReplicaChangeError(`replica "${entry.name}": ${err.where.replace(/^replicas\[\d+\]\.?/, '') || 'entry'} ${err.problem}`, 400);
        throw err;
      }
      const added = next.at(-1)!;
      const { physicalName } = this.options;
      await this.forgetState(physicalName(added.name));
      await createTables(this.options.dynamoEndpoint, tableDefinitions(tables, [added], physicalName).filter((d) => d.name === physicalName(added.name)));
      await this.commit(next, [added.reader, 'replicator']);
      return added;
    });
  }

  /**
   * Recycles the reader (which loses the replica's environment variable) and the replicator (which stops
   * feeding it), waits for their old instances to finish, then deletes the table and its
   * replication-state rows, as `pulumi up` deletes a replica dropped from the stack config.
   */
  remove(name: string): Promise<ReplicaDeclaration> {
    return this.serialised(async () => {
      const removed = this.current.find((r) => r.name === name);
      if (!removed) throw new ReplicaChangeError(`unknown replica "${name}"; the stack has ${this.current.map((r) => r.name).join(', ')}`, 404);
      if (compiledReplica(name)) throw new ReplicaChangeError(`replica "${name}" is read by the ${removed.reader} service's code, which fails its cold start without ${removed.envVar}; to rebuild it, backfill it`, 409);
      await this.commit(this.current.filter((r) => r !== removed), [removed.reader, 'replicator']);
      const table = this.options.physicalName(name);
      await this.withClient((client) => client.send(new DeleteTableCommand({ TableName: table }))).catch((err: Error) => {
        if (err.name !== 'ResourceNotFoundException') throw err;
      });
      await this.forgetState(table);
      return removed;
    });
  }

  private async commit(next: readonly ReplicaDeclaration[], affected: FunctionName[]): Promise<void> {
    this.current = next;
    if (this.options.dataDir) {
      // Written whole and renamed, so a crash leaves the old list or the new one.
      const file = replicasFilePath(this.options.dataDir);
      await writeFile(`${file}.tmp`, `${JSON.stringify(next.map(replicaEntry), null, 2)}\n`);
      await rename(`${file}.tmp`, file);
    }
    await this.options.apply([...new Set(affected)]);
  }

  /** The replica's rows of the replication-state table: its counts start again from its new, empty table. */
  private async forgetState(replica: string): Promise<void> {
    const stateTable = this.options.physicalName('replication-state');
    await this.withClient(async (client) => {
      const out = await client.send(new QueryCommand({ TableName: stateTable, KeyConditionExpression: 'replica = :r', ExpressionAttributeValues: { ':r': { S: replica } } }));
      for (const row of out.Items ?? []) await client.send(new DeleteItemCommand({ TableName: stateTable, Key: { replica: row.replica!, shardId: row.shardId! } }));
    });
  }

  private async withClient<T>(act: (client: DynamoDBClient) => Promise<T>): Promise<T> {
    const client = new DynamoDBClient({ endpoint: this.options.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      return await act(client);
    } finally {
      client.destroy();
    }
  }

  private serialised<T>(change: () => Promise<T>): Promise<T> {
    const run = this.queue.then(change, change);
    this.queue = run.catch(() => {});
    return run;
  }
}
