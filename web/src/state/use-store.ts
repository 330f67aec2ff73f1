import { useEffect, useState } from 'preact/hooks';
import type { AppState, Store } from './store';

export function useStoreState(store: Store): AppState {
  const [state, setState] = useState(store.getState());
  useEffect(() => {
    // Catch a change made between the first render and this subscription.
    setState(store.getState());
    return store.subscribe(() => setState(store.getState()));
  }, [store]);
  return state;
}
