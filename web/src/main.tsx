import { render } from 'preact';
import { api } from './api';
import { App } from './components/app';
import { createStore } from './state/store';

const store = createStore(api);
const root = document.getElementById('app');
if (root) {
  // Started before the first render, so the (usually preloaded) first page is being read meanwhile.
  void store.start();
  root.textContent = '';
  render(<App store={store} />, root);
}
