import type { Store } from '../state/store';
import { useRoute } from '../state/use-route';
import { useStoreState } from '../state/use-store';
import { NoticeBar } from './notice-bar';
import { ReplicationView } from './replication-view';
import { SignIn } from './sign-in';
import { TodoApp } from './todo-app';

export function App({ store }: { store: Store }) {
  const state = useStoreState(store);
  const route = useRoute();

  if (state.session === 'checking') {
    return (
      <main class="page">
        <p class="loading" role="status">
          Loading…
        </p>
      </main>
    );
  }
  if (state.session === 'signed-out') return <SignIn store={store} state={state} />;

  return (
    <>
      <header class="topbar">
        <nav class="tabs" aria-label="Views">
          <a href="#/" aria-current={route.view === 'todos' ? 'page' : undefined}>
            Todos
          </a>
          <a href="#/replication" aria-current={route.view === 'replication' ? 'page' : undefined}>
            Replication
          </a>
        </nav>
        <p class="whoami">
          {state.user && (
            <>
              Signed in as <strong class="user-name">{state.user.name}</strong>
            </>
          )}
        </p>
        <button type="button" class="sign-out" onClick={() => void store.signOut()}>
          Sign out
        </button>
      </header>
      <main class="page">
        <NoticeBar store={store} notice={state.notice} />
        {route.view === 'replication' ? (
          <ReplicationView store={store} />
        ) : (
          <TodoApp store={store} state={state} filter={route.filter} />
        )}
      </main>
      {route.view === 'todos' && (
        <footer class="info">
          <p>Double-click a todo (or use its ✎ button) to edit it. Enter saves, Escape cancels.</p>
          <p>
            Data lives in your account through <code>/api/todos</code>.
          </p>
        </footer>
      )}
    </>
  );
}
