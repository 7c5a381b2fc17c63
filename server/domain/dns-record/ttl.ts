import { fail, ok, type Parsed } from "../parsed";

/** One minute to one week: low enough to move, high enough not to hammer the nameservers. */
export const minTtl = 60;
export const maxTtl = 604_800;
export const defaultTtl = 3600;

export function parseTtl(input: number | undefined | null): Parsed<number> {
  if (input === undefined || input === null) return ok(defaultTtl);
  if (!Number.isInteger(input)) return fail("The TTL is a whole number of seconds.");
  if (input < minTtl || input > maxTtl) return fail(`The TTL must be between ${minTtl} seconds and one week (${maxTtl} seconds).`);
  return ok(input);
}

/** A 16-bit number field (MX/SRV priority, SRV weight and port). */
export function parseUint16(input: number | undefined | null, noun: string, opts: { min?: number } = {}): Parsed<number> {
  const min = opts.min ?? 0;
  if (input === undefined || input === null) return fail(`Enter the ${noun}.`);
  if (!Number.isInteger(input) || input < min || input > 65535) return fail(`The ${noun} must be a whole number from ${min} to 65535.`);
  return ok(input);
}
