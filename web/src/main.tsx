import { render } from 'preact';
import { api } from './api';
import { App } from './components/app';
import { createStore } from './state/store';

const store = createStore(api);
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App store={store} />, root);
  void store.start();
}
