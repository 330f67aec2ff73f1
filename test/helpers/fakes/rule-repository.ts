import { StaleVersion, type Todo, type TodoPage, type TodoRepository } from '../../../lambdas/rule/domain';

/** In-memory TodoRepository with the same conditional-write semantics as the DynamoDB one. */
export class MemoryTodoRepository implements TodoRepository {
  readonly items = new Map<string, Todo>();
  writes = 0;
  /** Runs before the next conditional write: lets a test slip in a concurrent change. */
  beforeNextWrite?: () => void;

  private id(userId: string, key: string) {
    return `${userId}/${key}`;
  }

  private interfere() {
    const hook = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    hook?.();
  }

  async get(userId: string, key: string) {
    const item = this.items.get(this.id(userId, key));
    return item && { ...item };
  }

  async list(userId: string) {
    return [...this.items.values()].filter((t) => t.userId === userId).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async page(userId: string, { limit, afterKey, completed }: { limit: number; afterKey?: string; completed?: boolean }): Promise<TodoPage> {
    const all = (await this.list(userId)).filter((t) => (afterKey === undefined || t.key > afterKey) && (completed === undefined || (t.status === 2) === completed));
    const items = all.slice(0, limit);
    return all.length > limit ? { items, nextKey: items[items.length - 1]?.key } : { items };
  }

  async create(todo: Todo) {
    this.interfere();
    if (this.items.has(this.id(todo.userId, todo.key))) throw new StaleVersion();
    this.writes++;
    this.items.set(this.id(todo.userId, todo.key), { ...todo });
  }

  async replace(todo: Todo, expectedVersion: number) {
    this.interfere();
    if (this.items.get(this.id(todo.userId, todo.key))?.version !== expectedVersion) throw new StaleVersion();
    this.writes++;
    this.items.set(this.id(todo.userId, todo.key), { ...todo });
  }

  async remove(userId: string, key: string, expectedVersion: number) {
    this.interfere();
    if (this.items.get(this.id(userId, key))?.version !== expectedVersion) throw new StaleVersion();
    this.writes++;
    this.items.delete(this.id(userId, key));
  }

  async removeAll(userId: string) {
    const mine = await this.list(userId);
    for (const t of mine) this.items.delete(this.id(userId, t.key));
    this.writes += mine.length;
    return mine.length;
  }
}
