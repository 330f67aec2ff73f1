import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CHANGE_CONSUMER } from '../../topology/index';
import type { Link } from '../link';
import type { LambdaFunction } from './lambda-function';

/**
 * Lambda reads the stream with these on the consumer's own role. ListStreams is left out: it only
 * accepts Resource "*", and the event source mapping, given the stream ARN, never calls it.
 */
const STREAM_READ = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:SubscribeToShard'];

/** 14 days, SQS's maximum: time to inspect and replay a failed batch. */
const FAILURE_RETENTION_SECONDS = 14 * 24 * 3600;

/**
 * The single durable, ordered log of every change to every owned table (the "binlog"), and the
 * queue where the event source mapping parks the coordinates of batches it gave up on.
 */
export class ChangeStream extends pulumi.ComponentResource {
  readonly stream: aws.kinesis.Stream;
  readonly failureQueue: aws.sqs.Queue;

  constructor(private readonly name: string, args: ChangeStreamArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:replication:ChangeStream', name, {}, opts);

    this.stream = createStream(this);
    this.failureQueue = createFailureQueue(this);
    this.registerOutputs({ streamName: this.stream.name, failureQueueUrl: this.failureQueue.url });

    function createStream(parent: ChangeStream) {
      const provisioned = args.mode === 'PROVISIONED';
      return new aws.kinesis.Stream(`${name}-stream`, {
        name: args.physicalName,
        streamModeDetails: { streamMode: args.mode },
        // On-demand streams size themselves; AWS rejects a shard count for them.
        shardCount: provisioned ? args.shardCount : undefined,
        retentionPeriod: args.retentionHours,
        // The AWS-managed key: encryption at rest without a key policy or kms:Decrypt grants to manage.
        encryptionType: 'KMS',
        kmsKeyId: 'alias/aws/kinesis',
      }, { parent });
    }

    function createFailureQueue(parent: ChangeStream) {
      return new aws.sqs.Queue(`${name}-failures`, {
        name: `${args.physicalName}-failures`,
        messageRetentionSeconds: FAILURE_RETENTION_SECONDS,
        // SQS-managed keys need no kms grants for the sender (Lambda, on the consumer's role).
        sqsManagedSseEnabled: true,
      }, { parent });
    }
  }

  /** What a consumer needs: read the stream, report failed batches to the queue. */
  link(): Link {
    return {
      statements: [
        { actions: STREAM_READ, resources: [this.stream.arn] },
        { actions: ['sqs:SendMessage'], resources: [this.failureQueue.arn] },
      ],
    };
  }

  /**
   * Triggers `consumer`'s `live` alias with batches from every shard, with the same settings the local
   * emulation uses. The consumer must already hold `link()`: AWS checks the role when the mapping is
   * created. An alias ARN is a valid FunctionName for a mapping ("CreateEventSourceMapping", AWS Lambda
   * API Reference), so a release moves the consumer with the alias instead of through `$LATEST`.
   */
  subscribe(consumerName: string, consumer: LambdaFunction): aws.lambda.EventSourceMapping {
    return new aws.lambda.EventSourceMapping(`${this.name}-${consumerName}`, {
      eventSourceArn: this.stream.arn,
      functionName: consumer.alias.arn,
      startingPosition: CHANGE_CONSUMER.startingPosition,
      batchSize: CHANGE_CONSUMER.batchSize,
      maximumBatchingWindowInSeconds: CHANGE_CONSUMER.maximumBatchingWindowSeconds,
      bisectBatchOnFunctionError: CHANGE_CONSUMER.bisectBatchOnFunctionError,
      maximumRetryAttempts: CHANGE_CONSUMER.maximumRetryAttempts,
      maximumRecordAgeInSeconds: CHANGE_CONSUMER.maximumRecordAgeSeconds,
      parallelizationFactor: CHANGE_CONSUMER.parallelizationFactor,
      // Retry from the first failed record instead of the whole batch (the handler reports them).
      functionResponseTypes: ['ReportBatchItemFailures'],
      destinationConfig: { onFailure: { destinationArn: this.failureQueue.arn } },
    }, { parent: this, dependsOn: [consumer.policy] });
  }
}

export interface ChangeStreamArgs {
  /** e.g. `noops-todo-dev-changes`. */
  physicalName: string;
  mode: 'ON_DEMAND' | 'PROVISIONED';
  /** Only for PROVISIONED. */
  shardCount: number;
  retentionHours: number;
}
