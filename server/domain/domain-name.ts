import { domainToASCII, domainToUnicode } from "node:url";
import { checkAsciiName, isUnder, prepareName, stripRootDot } from "./dns-name";
import { fail, ok, schemaFromParser, type Parsed } from "./parsed";
import { homoglyphReason } from "./script-mix";

// Server-only: the IDNA conversion is Node's (node:url). Client forms can validate loosely and
// let the tRPC input schema give the final word.

/**
 * Special-use names (RFC 6761, 6762, 7686, 8375, and ".internal" reserved by ICANN in 2024) that
 * never resolve on the public internet: hosting one would only produce a site and a certificate
 * request that can never work, and ".localhost" is how the platform's own panels are reached.
 * ".test" and ".example" are special-use too but stay allowed: tests and demos use them, and
 * they can't collide with the platform's own names.
 */
export const reservedDomainSuffixes = ["localhost", "local", "internal", "invalid", "arpa", "onion"] as const;

/** The platform's own names: a customer must never be able to claim them or anything under them. */
export const platformReservedDomains = ["shoal.localhost"] as const;

export type DomainName = { ascii: string; unicode: string };

/** Shared with hostname.ts, which allows ".localhost" for the local cluster's panels. */
export function reservedReason(ascii: string, opts: { allowLocalhost: boolean }): string | null {
  const platform = platformReservedDomains.find((d) => isUnder(ascii, d));
  if (platform) return `"${ascii}" belongs to the platform itself and cannot be used.`;
  const suffix = reservedDomainSuffixes.find((s) => isUnder(ascii, s) && !(opts.allowLocalhost && s === "localhost"));
  if (suffix) return `Names ending in ".${suffix}" are reserved and cannot be used here.`;
  return null;
}

export function parseDomainName(input: string): Parsed<DomainName> {
  const prepared = prepareName(input, "domain name");
  if (!prepared.ok) return prepared;
  let name = prepared.value;
  if (/[^\x00-\x7f]/.test(name)) {
    name = domainToASCII(name);
    if (name === "") return fail("This is not a valid internationalised domain name.");
  }
  const ascii = stripRootDot(name);
  const error = checkAsciiName(ascii, "domain name") ?? reservedReason(ascii, { allowLocalhost: false });
  if (error) return fail(error);
  const unicode = domainToUnicode(ascii);
  const homoglyph = homoglyphReason(unicode);
  if (homoglyph) return fail(homoglyph);
  return ok({ ascii, unicode });
}

export const domainNameSchema = schemaFromParser(parseDomainName);
