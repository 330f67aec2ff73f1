import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * zod/mini, with the English messages installed: the schemas' issues become the 4xx error contract, and
 * unlike classic zod the mini build loads no messages by default. Schemas import zod from here so the
 * messages are configured once, wherever a schema exists. (zod/mini is classic zod's functional API at
 * about a tenth of the bundle size: within the 400 KB per-function budget of docs/benchmarks.md.)
 */
config(en());

export * from 'zod/mini';
