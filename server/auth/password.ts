import { hash, verify } from "@node-rs/argon2";
import { z } from "zod";

// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. The numeric 2 is Algorithm.Argon2id:
// the package declares that enum as a `const enum`, which isolatedModules cannot inline, and its
// runtime export is an empty object.
const ARGON2ID = 2;
const options = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;
// Long enough for any passphrase, short enough that hashing stays cheap for an attacker's junk.
export const MAX_PASSWORD_LENGTH = 128;

export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters.`);

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

export async function verifyPassword({ hash: digest, password }: { hash: string; password: string }): Promise<boolean> {
  try {
    return await verify(digest, password);
  } catch {
    // A malformed stored hash is a failed sign-in, not a server error page.
    return false;
  }
}
