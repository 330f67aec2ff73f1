import { buildAll } from '../bundle/build';

// `npm run build`: the web app, then every function bundle, into dist/.
await buildAll();
