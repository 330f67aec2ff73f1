import * as pulumi from '@pulumi/pulumi';

/** One IAM Allow statement: exact actions on exact resources. */
export interface Statement {
  actions: string[];
  resources: pulumi.Input<string>[];
}

/**
 * What a function needs to use a resource, declared by the resource's component (SST's `link`): the
 * IAM statements that allow exactly that use. The environment key naming the resource is topology's
 * (topology/environment.ts); infra/environment.ts gives it its value.
 */
export interface Link {
  statements: Statement[];
}

export const DYNAMODB_READ = ['dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'];
export const DYNAMODB_WRITE = ['dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** Queries and scans may target a secondary index, whose ARN is `<table>/index/<name>`. */
export const DYNAMODB_INDEX_READ = ['dynamodb:Query', 'dynamodb:Scan'];

export function mergeLinks(links: Link[]): Link {
  return { statements: links.flatMap((l) => l.statements) };
}

/** The inline policy document of a role, as JSON. */
export function policyDocument(statements: Statement[]): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({ Effect: 'Allow', Action: s.actions, Resource: s.resources })),
  });
}
