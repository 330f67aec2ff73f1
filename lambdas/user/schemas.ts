import * as z from '../shared/zod';

// ASCII only, so lower-casing is the whole normalisation and the rule service finds the same key.
const userName = z
  .string()
  .check(
    z.minLength(3),
    z.maxLength(64),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'may contain letters, digits and . _ @ - and must start with a letter or digit'),
  );

// No composition rules (NIST 800-63B): length is what matters; the cap bounds hashing cost.
const password = z.string().check(z.minLength(8), z.maxLength(256));

export const registerBody = z.object({ userName, password, email: z.optional(z.email().check(z.maxLength(254))) });

// Login only checks shapes: a name that could never register simply fails like a wrong password.
const credentials = {
  userName: z.string().check(z.minLength(1), z.maxLength(256)),
  password: z.string().check(z.minLength(1), z.maxLength(1024)),
};

export const loginBody = z.object({ ...credentials, type: z.optional(z.string().check(z.maxLength(32))) });

/** `POST /api/login/token`: the same credentials, for API clients. */
export const tokenBody = z.object(credentials);

export const outLoginBody = z.object({ everywhere: z.optional(z.boolean()) });
