import { domainToUnicode } from "node:url";
import { checkAsciiName, prepareName, stripRootDot } from "./dns-name";
import { reservedReason } from "./domain-name";
import { fail, ok, schemaFromParser, type Parsed } from "./parsed";
import { homoglyphReason } from "./script-mix";

/**
 * A reseller's panel hostname or a nameserver name. ASCII only: these go into TLS SNI matching,
 * NS records and glue, where the xn-- form is what is compared, so we store exactly what the
 * operator typed. ".localhost" names are allowed because that is how the local cluster reaches
 * each reseller's panel (panel.reseller-one.localhost).
 */
export function parseHostname(input: string): Parsed<string> {
  const prepared = prepareName(input, "hostname");
  if (!prepared.ok) return prepared;
  if (/[^\x00-\x7f]/.test(prepared.value)) {
    return fail("Use only ASCII letters, digits, hyphens and dots; write an internationalised name in its xn-- form.");
  }
  const host = stripRootDot(prepared.value);
  const error =
    checkAsciiName(host, "hostname") ?? reservedReason(host, { allowLocalhost: true }) ?? homoglyphReason(domainToUnicode(host));
  if (error) return fail(error);
  return ok(host);
}

export const hostnameSchema = schemaFromParser(parseHostname);
