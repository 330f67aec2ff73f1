import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TOMBSTONE_ATTRIBUTE, USERS_FOR_RULE, type ReplicaItem } from '../../topology/index';
import { readProjection } from '../shared/replica-read';
import { isConditionalCheckFailed } from '../shared/errors';
import { traced } from '../shared/tracing';
import { DONE } from '../shared/domain-rules';
import { StaleVersion, type Todo, type TodoPage, type TodoRepository } from './domain';

// `key`, `name`, `status`, `order` and `version` are DynamoDB reserved words.
const NAMES = { '#userId': 'userId', '#key': 'key', '#version': 'version', '#status': 'status' };
const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DynamoTodoRepository implements TodoRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(userId: string, key: string): Promise<Todo | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { userId, key }, ConsistentRead: true }));
    return Item as Todo | undefined;
  }

  async list(userId: string): Promise<Todo[]> {
    const items: Todo[] = [];
    for await (const page of this.query(userId)) items.push(...page);
    return items;
  }

  /** Collects `limit + 1` matches so a next link is only offered when a next item really exists. */
  async page(userId: string, { limit, afterKey, completed }: { limit: number; afterKey?: string; completed?: boolean }): Promise<TodoPage> {
    const items: Todo[] = [];
    const filter =
      completed === undefined
        ? {}
        : { FilterExpression: completed ? '#status = :done' : '#status <> :done', ExpressionAttributeValues: { ':done': DONE } };
    for await (const page of this.query(userId, { ...filter, Limit: limit + 1 }, afterKey)) {
      items.push(...page);
      if (items.length > limit) break;
    }
    if (items.length <= limit) return { items };
    const kept = items.slice(0, limit);
    return { items: kept, nextKey: kept[kept.length - 1]?.key };
  }

  async create(todo: Todo): Promise<void> {
    await this.conditional(
      new PutCommand({ TableName: this.table, Item: traced(todo), ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': 'key' } }),
    );
  }

  async replace(todo: Todo, expectedVersion: number): Promise<void> {
    await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: traced(todo),
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': expectedVersion },
      }),
    );
  }

  async remove(userId: string, key: string, expectedVersion: number): Promise<void> {
    await this.conditional(
      new DeleteCommand({
        TableName: this.table,
        Key: { userId, key },
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': expectedVersion },
      }),
    );
  }

  /** Query + BatchWriteItem (dynalite has no transactions), retrying what DynamoDB leaves unprocessed. */
  async removeAll(userId: string): Promise<number> {
    let removed = 0;
    for await (const page of this.query(userId, { ProjectionExpression: '#userId, #key' })) {
      for (let i = 0; i < page.length; i += BATCH_SIZE) {
        const keys = page.slice(i, i + BATCH_SIZE).map(({ userId: u, key }) => ({ userId: u, key }));
        await this.batchDelete(keys);
        removed += keys.length;
      }
    }
    return removed;
  }

  private async batchDelete(keys: Array<{ userId: string; key: string }>): Promise<void> {
    let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      if (attempt > MAX_BATCH_ATTEMPTS) throw new Error(`BatchWriteItem left ${requests.length} deletes unprocessed`);
      if (attempt > 1) await sleep(Math.min(1000, 25 * 2 ** attempt) * Math.random());
      const { UnprocessedItems } = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
      requests = (UnprocessedItems?.[this.table] ?? []) as typeof requests;
    }
  }

  private async *query(userId: string, extra: Partial<QueryCommandInput> = {}, afterKey?: string): AsyncGenerator<Todo[]> {
    let startKey: Record<string, unknown> | undefined = afterKey ? { userId, key: afterKey } : undefined;
    do {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#userId = :userId',
          ...extra,
          ExpressionAttributeNames: pick(NAMES, extra, '#userId'),
          ExpressionAttributeValues: { ':userId': userId, ...extra.ExpressionAttributeValues },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      yield (result.Items ?? []) as Todo[];
      startKey = result.LastEvaluatedKey;
    } while (startKey);
  }

  private async conditional(command: PutCommand | DeleteCommand): Promise<void> {
    try {
      await this.db.send(command as PutCommand);
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw new StaleVersion();
      throw err;
    }
  }
}

/** DynamoDB rejects unused ExpressionAttributeNames, so send only the ones the expressions mention. */
function pick(names: Record<string, string>, input: Partial<QueryCommandInput>, ...always: string[]): Record<string, string> {
  const used = [input.FilterExpression, input.ProjectionExpression].join(' ');
  return Object.fromEntries(Object.entries(names).filter(([alias]) => always.includes(alias) || used.includes(alias)));
}

export interface UserSummary {
  userId?: string;
  displayName?: string;
  sessionVersion: number;
}

/**
 * The rule service's read-only view of users, from its replica (never the user service's table). The
 * replica holds only the `USERS_FOR_RULE` read model, and the item type comes from that same definition.
 */
export class ReplicaUserDirectory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async lookup(userName: string): Promise<UserSummary | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { userName: userName.toLowerCase() }, ...readProjection(USERS_FOR_RULE) }),
    );
    const user = Item as ReplicaItem<typeof USERS_FOR_RULE> | undefined;
    if (!user || user[TOMBSTONE_ATTRIBUTE]) return undefined;
    return { userId: user.userId, displayName: user.displayName, sessionVersion: user.sessionVersion ?? 0 };
  }
}
