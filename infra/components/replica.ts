import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { replicaKeySchema, TOMBSTONE_TTL_ATTRIBUTE } from '../../topology/index';
import type { ReplicaConfig } from '../config';
import { DYNAMODB_READ, type Link } from '../link';
import { keySchema, tableLink } from './table';

/**
 * The replicator applies each change with one conditional PutItem, and reports status from its own
 * replication-state table: it never reads a replica (nor needs batch writes, which cannot carry conditions).
 */
const REPLICA_WRITE = ['dynamodb:PutItem'];

/**
 * A read-only copy of another service's table, kept in sync from the change stream. Disposable by
 * design (backfill rebuilds it), so no point-in-time recovery and no deletion protection.
 */
export class Replica extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;

  constructor(name: string, readonly args: ReplicaArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:data:Replica', name, {}, opts);

    this.table = createTable(this);
    this.registerOutputs({ name: this.table.name, source: args.sourcePhysicalName });

    function createTable(parent: Replica) {
      return new aws.dynamodb.Table(`${name}-table`, {
        // Same key schema as the source, so a change record's Keys address the replica item directly.
        ...keySchema(replicaKeySchema(args.replica)),
        name: args.physicalName,
        billingMode: 'PAY_PER_REQUEST',
        serverSideEncryption: { enabled: true },
        // Tombstones of deleted items expire once no late record can resurrect them.
        ttl: { attributeName: TOMBSTONE_TTL_ATTRIBUTE, enabled: true },
        // Same fixed name, so a key schema change must delete the old copy first; backfill rebuilds it.
      }, { parent, deleteBeforeReplace: true });
    }
  }

  /** The reader gets read access; the replicator gets single-item writes. */
  link(access: 'read' | 'write'): Link {
    return tableLink(this.table, access === 'read' ? DYNAMODB_READ : REPLICA_WRITE);
  }
}

export interface ReplicaArgs {
  replica: ReplicaConfig;
  /** e.g. `noops-todo-dev-users-replica-for-rule`. */
  physicalName: string;
  /** The source table's physical name, which appears as `tableName` in change records. */
  sourcePhysicalName: string;
}
