import { isIPv4, isIPv6 } from "node:net";
import { canonicalIPv6 } from "./aaaa";
import type { ZoneRecord } from "./types";

/** Low, so a node that dies leaves the answers within seconds of its record leaving the zone. */
export const siteAddressTtl = 60;
export const nameserverTtl = 3600;
export const soaTtl = 300;

/**
 * The records the platform writes in every zone, as the zone editor shows them (marked, not
 * editable) and as the node spec should serve them: NS at the apex for each nameserver, and when
 * a site is hosted on the domain A/AAAA at the apex and www for every node that serves it.
 */
export function platformRecords(input: { nameservers: string[]; siteAddresses: string[] }): ZoneRecord[] {
  const base = { priority: null, weight: null, port: null };
  const out: ZoneRecord[] = input.nameservers.map((ns) => ({ ...base, name: "@", type: "NS", ttl: nameserverTtl, content: ns }));
  const v4 = [...new Set(input.siteAddresses.filter((a) => isIPv4(a)))].sort();
  const v6 = [...new Set(input.siteAddresses.filter((a) => isIPv6(a)).map(canonicalIPv6))].sort();
  for (const name of ["@", "www"]) {
    for (const a of v4) out.push({ ...base, name, type: "A", ttl: siteAddressTtl, content: a });
    for (const a of v6) out.push({ ...base, name, type: "AAAA", ttl: siteAddressTtl, content: a });
  }
  return out;
}
