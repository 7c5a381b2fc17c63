import { isIPv4, isIPv6 } from "node:net";
import { typeFail, typeOk, type RecordInput, type TypeResult } from "./types";

/** The one spelling of an IPv6 address (RFC 5952: lower case, longest zero run compressed). */
export function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** AAAA: one IPv6 address, stored in its canonical form. */
export function parseAaaaData(input: RecordInput): TypeResult {
  const value = input.value.trim().replace(/^\[(.*)\]$/, "$1");
  if (value === "") return typeFail({ value: "Enter an IPv6 address, such as 2001:db8::10." });
  if (isIPv4(value)) return typeFail({ value: "This is an IPv4 address: use an A record for it." });
  if (!isIPv6(value) || value.includes("%")) return typeFail({ value: "Enter an IPv6 address, such as 2001:db8::10." });
  return typeOk({ content: canonicalIPv6(value) });
}
