import { BlockList, isIP } from "node:net";

/**
 * Parses a comma-separated list of CIDRs or single addresses (IPv4 and IPv6) into a BlockList.
 * A malformed entry throws with the entry named: a typo here must stop the process, not quietly
 * trust nobody (or everybody).
 */
export function parseTrustedProxies(spec: string): BlockList {
  const list = new BlockList();
  for (const raw of spec.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const [addressPart, prefixPart, extra] = entry.split("/");
    const address = normaliseIp(addressPart ?? "");
    if (!address || extra !== undefined) throw new Error(`TRUSTED_PROXY_CIDRS: "${entry}" is not an IP address or CIDR`);
    const family = isIP(address) === 4 ? "ipv4" : "ipv6";
    if (prefixPart === undefined) {
      list.addAddress(address, family);
      continue;
    }
    const max = family === "ipv4" ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixPart) || Number(prefixPart) > max) {
      throw new Error(`TRUSTED_PROXY_CIDRS: "${entry}" has a prefix length outside 0-${max}`);
    }
    list.addSubnet(address, Number(prefixPart), family);
  }
  return list;
}

/**
 * One address as it appears in a header or on a socket, reduced to the canonical form the
 * BlockList compares: no brackets, no port, no zone id, IPv4-mapped IPv6 (::ffff:a.b.c.d, what a
 * dual-stack socket reports for IPv4 peers) turned back into IPv4. Anything else is null.
 */
export function normaliseIp(value: string): string | null {
  let v = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracketed) v = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(v)) v = v.slice(0, v.lastIndexOf(":"));
  v = v.replace(/%.*$/, "");
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(v);
  if (mapped) v = mapped[1]!;
  const family = isIP(v);
  if (family === 0) return null;
  return family === 6 ? v.toLowerCase() : v;
}

function isTrusted(address: string, trusted: BlockList): boolean {
  return trusted.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
}

/**
 * The client address from an X-Forwarded-For chain: walk from the right (the hop nearest to us),
 * skip addresses of trusted proxies, and stop at the first address no trusted proxy vouches for.
 * Entries further left were written by someone we do not trust and are never read. With no
 * trusted proxies the answer is the rightmost entry. A malformed hop ends the walk: the last good
 * address to its right (a trusted proxy) is returned rather than a value nobody vouched for.
 */
export function clientIpFromForwardedFor(forwardedFor: string | null, trusted: BlockList): string | null {
  if (!forwardedFor) return null;
  const hops = forwardedFor.split(",");
  let candidate: string | null = null;
  for (let i = hops.length - 1; i >= 0; i--) {
    const address = normaliseIp(hops[i]!);
    if (!address) return candidate;
    candidate = address;
    if (!isTrusted(address, trusted)) return address;
  }
  return candidate;
}
