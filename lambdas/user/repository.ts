import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RULES_FOR_USER, TOMBSTONE_ATTRIBUTE, type ReplicaItem } from '../../topology/index';
import { isOpen } from '../shared/domain-rules';
import { readProjection } from '../shared/replica-read';
import { isConditionalCheckFailed } from '../shared/errors';
import { traced } from '../shared/tracing';
import { StaleUser, UserNameTaken, type FailureCounter, type LoginAttemptRepository, type TodoCounts, type User, type UserRepository } from './domain';

export class DynamoUserRepository implements UserRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(userName: string): Promise<User | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { userName }, ConsistentRead: true }));
    return Item as User | undefined;
  }

  async create(user: User): Promise<void> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: traced(user), ConditionExpression: 'attribute_not_exists(userName)' }));
    } catch (err) {
      throw isConditionalCheckFailed(err) ? new UserNameTaken() : err;
    }
  }

  async replace(user: User, expectedVersion: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: traced(user),
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (err) {
      throw isConditionalCheckFailed(err) ? new StaleUser() : err;
    }
  }
}

/** Failure counters keyed `user#<name>` / `ip#<address>`; `expiresAt` is the table's TTL attribute. */
export class DynamoLoginAttempts implements LoginAttemptRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(id: string): Promise<FailureCounter | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }));
    return Item ? { count: Number(Item.failures ?? 0), expiresAt: Number(Item.expiresAt ?? 0) } : undefined;
  }

  async addFailure(id: string, nowSeconds: number, expiresAt: number): Promise<FailureCounter> {
    try {
      // TTL deletion lags (up to days on AWS, never in dynalite): an expired counter counts as absent.
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: 'ADD failures :one',
          ConditionExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':one': 1, ':now': nowSeconds },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { count: Number(Attributes?.failures ?? 1), expiresAt: Number(Attributes?.expiresAt ?? expiresAt) };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    // Two concurrent first failures may both land here; losing one count is harmless.
    await this.db.send(new PutCommand({ TableName: this.table, Item: { id, failures: 1, expiresAt } }));
    return { count: 1, expiresAt };
  }

  async extend(id: string, expiresAt: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({ TableName: this.table, Key: { id }, UpdateExpression: 'SET expiresAt = :at', ExpressionAttributeValues: { ':at': expiresAt } }),
    );
  }

  async clear(id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { id } }));
  }
}

/**
 * Counts from the user service's replica of the rules table (never the rule service's own table), which
 * holds only the `RULES_FOR_USER` read model; the item type comes from that same definition.
 */
export class ReplicaTodoCounts implements TodoCounts {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async count(userId: string): Promise<{ open: number; total: number }> {
    let open = 0;
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'userId = :userId',
          ...readProjection(RULES_FOR_USER),
          ExpressionAttributeValues: { ':userId': userId },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (page.Items ?? []) as Array<ReplicaItem<typeof RULES_FOR_USER>>) {
        if (item[TOMBSTONE_ATTRIBUTE]) continue;
        total++;
        if (isOpen(item.status)) open++;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { open, total };
  }
}
