import { TOMBSTONE_ATTRIBUTE, type ReadModel } from '../../topology/index';

/**
 * The ProjectionExpression a reader sends to its replica: the read model's attributes and the tombstone
 * flag, each behind a placeholder (several, such as `status`, are DynamoDB reserved words).
 */
export function readProjection(model: ReadModel): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  const names = [...Object.keys(model), TOMBSTONE_ATTRIBUTE];
  return {
    ProjectionExpression: names.map((_, i) => `#p${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#p${i}`, name])),
  };
}
