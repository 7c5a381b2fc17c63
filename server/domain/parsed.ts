import { z } from "zod";

/** What every name grammar returns: the canonical value, or one sentence a customer can act on. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

/**
 * A zod schema around a parser, so forms, tRPC inputs and services all report the parser's own
 * sentence (zod's generic messages would not say which rule was broken).
 */
export function schemaFromParser<T>(parse: (input: string) => Parsed<T>) {
  return z.string().transform((input, ctx): T => {
    const result = parse(input);
    if (result.ok) return result.value;
    ctx.addIssue({ code: "custom", message: result.error, input });
    return z.NEVER;
  });
}

/** Shortens user input quoted back in an error so a 500-character paste stays readable. */
export function quote(value: string, max = 20): string {
  return `"${value.length > max ? `${value.slice(0, max)}…` : value}"`;
}
