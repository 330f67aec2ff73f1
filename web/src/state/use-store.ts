import { useLayoutEffect, useState } from 'preact/hooks';
import type { AppState, Store } from './store';

export function useStoreState(store: Store): AppState {
  const [state, setState] = useState(store.getState());
  // A layout effect subscribes as soon as the first render is committed. A passive effect waits for the
  // next frame, so an answer arriving before that frame (the preloaded first page often does) would
  // reach the screen a frame late, and many frames late on a busy machine.
  useLayoutEffect(() => {
    // Catch a change made between the first render and this subscription.
    setState(store.getState());
    return store.subscribe(() => setState(store.getState()));
  }, [store]);
  return state;
}
