import { z } from 'zod';

// ASCII only, so lower-casing is the whole normalisation and the rule service finds the same key.
const userName = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'may contain letters, digits and . _ @ - and must start with a letter or digit');

// No composition rules (NIST 800-63B): length is what matters; the cap bounds hashing cost.
const password = z.string().min(8).max(256);

export const registerBody = z.object({ userName, password, email: z.email().max(254).optional() });

// Login only checks shapes: a name that could never register simply fails like a wrong password.
export const loginBody = z.object({
  userName: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
  type: z.string().max(32).optional(),
});

export const outLoginBody = z.object({ everywhere: z.boolean().optional() });
