import { buildWeb } from '../web/build';
import { bundleAllFunctions } from './bundle';

/** Builds the web app, then every function bundle (the static one embeds the web app). */
const started = performance.now();
const web = await buildWeb();
console.log(`web: ${web.files.length} files, JS ${(web.jsGzipBytes / 1024).toFixed(1)} KB gzipped, CSS ${(web.cssGzipBytes / 1024).toFixed(1)} KB gzipped`);
for (const fn of await bundleAllFunctions()) {
  console.log(`function ${fn.name.padEnd(10)} ${(fn.bytes / 1024).toFixed(1)} KB minified`);
}
console.log(`built in ${Math.round(performance.now() - started)} ms`);
