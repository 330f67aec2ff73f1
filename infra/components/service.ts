import * as pulumi from '@pulumi/pulumi';
import { physicalName, routes, tableSpec, type FunctionSpec, type TableName } from '../../topology/index';
import type { Environment } from '../../topology/environment';
import { awsEnvironment, type AwsBindingValues } from '../environment';
import type { FunctionSettings } from '../config';
import type { Link } from '../link';
import type { ChangeStream } from './change-stream';
import type { HttpApi } from './http-api';
import { LambdaFunction } from './lambda-function';
import { Table } from './table';

/**
 * One microservice: the tables it exclusively owns, its function (with links to everything else it
 * may touch) and its routes on the shared API. A consumer of the change stream is subscribed here too.
 */
export class Service extends pulumi.ComponentResource {
  readonly tables: Partial<Record<TableName, Table>>;
  readonly fn: LambdaFunction;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:app:Service', name, {}, opts);
    const { spec } = args;
    if (spec.consumesChangeStream && !args.changeStream) {
      throw new Error(`Service "${spec.name}" consumes the change stream, so \`changeStream\` must be provided.`);
    }

    this.tables = createTables(this);
    this.fn = createFunction(this, this.tables);
    createRoutes(this.fn);
    if (spec.consumesChangeStream) args.changeStream!.subscribe(name, this.fn);
    this.registerOutputs({ functionName: this.fn.function.name, logGroupName: this.fn.logGroup.name });

    function createTables(parent: Service) {
      const tables: Partial<Record<TableName, Table>> = {};
      for (const table of spec.ownsTables) {
        tables[table] = new Table(`${name}-${table}`, {
          spec: tableSpec(table),
          physicalName: physicalName(args.prefix, table),
          production: args.production,
          changeStream: args.changeStream,
        }, { parent });
      }
      return tables;
    }

    function createFunction(parent: Service, tables: Partial<Record<TableName, Table>>) {
      const owned = Object.values(tables).map((table) => table.link('readwrite'));
      return new LambdaFunction(`${name}-function`, {
        functionName: physicalName(args.prefix, spec.name),
        description: spec.description,
        code: args.code,
        memoryMb: args.settings.memoryMb,
        timeoutSeconds: args.settings.timeoutSeconds,
        reservedConcurrency: args.settings.reservedConcurrency,
        logRetentionDays: args.logRetentionDays,
        environment: awsEnvironment(args.environment, { ...args.values, table: (table) => tables[table]!.table.name }),
        links: [...owned, ...args.links],
      }, { parent });
    }

    function createRoutes(fn: LambdaFunction) {
      const keys = routes.filter((route) => route.function === spec.name).map((route) => route.routeKey);
      if (keys.length > 0) args.api.route(spec.name, fn, keys);
    }
  }
}

export interface ServiceArgs {
  /** The function's topology entry: tables it owns, whether it consumes the change stream. */
  spec: FunctionSpec;
  /** Physical-name prefix, e.g. `noops-todo-dev`. */
  prefix: string;
  production: boolean;
  code: pulumi.Input<pulumi.asset.Archive>;
  settings: FunctionSettings;
  logRetentionDays: number;
  /** Its environment contract (topology/environment.ts `environmentOf`). */
  environment: Environment;
  /** The values of the bindings beyond its own tables (created here). */
  values: Omit<AwsBindingValues, 'table'>;
  /** Everything beyond its own tables that the service may use (replicas, keys, the stream). */
  links: Link[];
  api: HttpApi;
  /** Target of owned tables' streaming destinations, and the source for consumers. */
  changeStream?: ChangeStream;
}
