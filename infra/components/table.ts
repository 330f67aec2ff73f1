import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { keyAttributesOf, type TableSpec } from '../../topology/index';
import { DYNAMODB_INDEX_READ, DYNAMODB_READ, DYNAMODB_WRITE, type Link } from '../link';
import type { ChangeStream } from './change-stream';

/**
 * A service's own table: on-demand, point-in-time recovery, KMS encryption and, when the topology
 * marks it `streamed`, a Kinesis streaming destination into the change stream (the binlog).
 */
export class Table extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  readonly streamingDestination?: aws.dynamodb.KinesisStreamingDestination;

  constructor(name: string, private readonly args: TableArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:data:Table', name, {}, opts);
    if (args.spec.streamed && !args.changeStream) {
      throw new Error(`Table "${args.spec.name}" is streamed, so \`changeStream\` must be provided.`);
    }

    this.table = createTable(this);
    this.streamingDestination = args.spec.streamed ? createStreamingDestination(this, args.changeStream!) : undefined;
    this.registerOutputs({ name: this.table.name, arn: this.table.arn });

    function createTable(parent: Table) {
      return new aws.dynamodb.Table(`${name}-table`, {
        ...keySchema(args.spec),
        name: args.physicalName,
        billingMode: 'PAY_PER_REQUEST',
        pointInTimeRecovery: { enabled: true },
        // Without this DynamoDB still encrypts, but with an AWS-owned key that CloudTrail cannot audit.
        serverSideEncryption: { enabled: true },
        deletionProtectionEnabled: args.production,
        ttl: args.spec.ttlAttribute ? { attributeName: args.spec.ttlAttribute, enabled: true } : undefined,
      }, { parent, ...ownedTableReplacement(args.production) });
    }

    function createStreamingDestination(parent: Table, stream: ChangeStream) {
      // No IAM role: DynamoDB writes to the stream itself. MICROSECOND precision lets the replicator
      // order changes made within the same millisecond.
      return new aws.dynamodb.KinesisStreamingDestination(`${name}-changes`, {
        tableName: parent.table.name,
        streamArn: stream.stream.arn,
        approximateCreationDateTimePrecision: 'MICROSECOND',
        // Precision, table and stream force a replacement, and a table streams to a given stream through
        // one destination only: the old one must go first. Changes made in between are not captured, so
        // run `npm run replicas -- verify` (and backfill) after such a change.
      }, { parent, deleteBeforeReplace: true });
    }
  }

  /** Read access (`read`) or full item access (`readwrite`). */
  link(access: 'read' | 'readwrite'): Link {
    return tableLink(this.table, access === 'read' ? DYNAMODB_READ : [...DYNAMODB_READ, ...DYNAMODB_WRITE]);
  }
}

/**
 * A key schema change (hash or range key, local indexes) replaces a table, and DynamoDB table names are
 * unique per account and region, so Pulumi's default (create the new table first) fails with
 * "Table already exists". Replacing in either order loses every item: in production `protect` makes
 * Pulumi refuse the replacement (and the deletion) at preview, and a key change becomes a migration to a
 * new table; elsewhere the old table is deleted first, which a dev stack's disposable data allows.
 */
export function ownedTableReplacement(production: boolean): pulumi.CustomResourceOptions {
  return production ? { protect: true } : { deleteBeforeReplace: true };
}

/** Topology's key schema as the provider's table arguments. */
export function keySchema(spec: Pick<TableSpec, 'hashKey' | 'rangeKey'>): Pick<aws.dynamodb.TableArgs, 'hashKey' | 'rangeKey' | 'attributes'> {
  return { hashKey: spec.hashKey.name, rangeKey: spec.rangeKey?.name, attributes: keyAttributesOf(spec).map((k) => ({ name: k.name, type: k.type })) };
}

export function tableLink(table: aws.dynamodb.Table, actions: string[]): Link {
  const indexActions = actions.filter((a) => DYNAMODB_INDEX_READ.includes(a));
  return {
    statements: [
      { actions, resources: [table.arn] },
      ...(indexActions.length ? [{ actions: indexActions, resources: [pulumi.interpolate`${table.arn}/index/*`] }] : []),
    ],
  };
}

export interface TableArgs {
  /** Key schema, TTL attribute, env var and whether it is streamed, from topology/. */
  spec: TableSpec;
  /** e.g. `noops-todo-dev-rules`. */
  physicalName: string;
  /** Deletion protection on production stacks. */
  production: boolean;
  /** Required for streamed tables. */
  changeStream?: ChangeStream;
}
