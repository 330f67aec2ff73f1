import type { Filter } from './todos';

export type Route = { view: 'todos'; filter: Filter } | { view: 'replication' };

/** Hash routes of the TodoMVC spec (`#/`, `#/active`, `#/completed`) plus `#/replication`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  switch (path) {
    case '/active':
      return { view: 'todos', filter: 'active' };
    case '/completed':
      return { view: 'todos', filter: 'completed' };
    case '/replication':
      return { view: 'replication' };
    default:
      return { view: 'todos', filter: 'all' };
  }
}
