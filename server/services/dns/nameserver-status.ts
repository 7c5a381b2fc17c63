import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { z } from "zod";
import { resellerWhere, type Scope } from "../../auth/scope";
import { db } from "../../db";
import { AppError } from "../../errors";
import { resellerNameservers } from "./nameservers";

/**
 * The resolver the delegation check asks (SHOAL_DNS_RESOLVER, an address or address:port). Never
 * the host's /etc/resolv.conf: the panel only sends DNS where its operator says. Defaults to
 * loopback, where nothing public answers, so on a machine without one the check says "not live".
 */
const resolverSchema = z
  .string()
  .refine((s) => isIP(s.replace(/:\d+$/, "")) !== 0 || isIP(s) !== 0, "SHOAL_DNS_RESOLVER must be an IP address, optionally with :port")
  .default("127.0.0.1");

export type NameserverStatus = {
  own: boolean;
  nameservers: string[];
  defaults: string[];
  /** Own nameservers only: the address each must have at the registrar (glue), from the nodes. */
  glue: Array<{ name: string; address: string | null }>;
  delegation: { zone: string; live: boolean; detail: string } | null;
};

/** The domain the nameservers are named under (ns1.reseller.example → reseller.example). */
function parentZone(names: string[]): string | null {
  const parents = [...new Set(names.map((n) => n.split(".").slice(1).join(".")))];
  return parents.length === 1 && parents[0]!.includes(".") ? parents[0]! : null;
}

async function checkDelegation(zone: string, expected: string[]): Promise<{ live: boolean; detail: string }> {
  const server = resolverSchema.parse(process.env.SHOAL_DNS_RESOLVER);
  const resolver = new Resolver({ timeout: 1500, tries: 1 });
  resolver.setServers([server]);
  try {
    const answer = (await resolver.resolveNs(zone)).map((n) => n.toLowerCase().replace(/\.$/, ""));
    const missing = expected.filter((n) => !answer.includes(n));
    if (missing.length === 0) return { live: true, detail: `${zone} is delegated to ${answer.join(", ")}.` };
    return { live: false, detail: `${zone} is delegated to ${answer.join(", ") || "no nameservers"}, not to ${missing.join(", ")}.` };
  } catch (e) {
    const code = (e as { code?: string }).code ?? "no answer";
    return { live: false, detail: `Not live: the lookup of ${zone}'s NS records got no answer (${code}).` };
  }
}

/**
 * A reseller's nameservers as its brand settings show them: its own or the platform's defaults;
 * for its own, the glue addresses to set at its registrar (one node address per nameserver, in
 * turn) and, when asked, a real NS lookup of the domain they are under.
 */
export async function nameserverStatus(scope: Scope, input: { resellerId?: string | null; check: boolean }): Promise<NameserverStatus> {
  const resellerId = input.resellerId ?? scope.resellerId;
  // AND, not a spread: resellerWhere also filters on id, and a spread would replace the asked-for one.
  const reseller = await db.reseller.findFirst({ where: { AND: [{ id: resellerId }, resellerWhere(scope)] }, select: { id: true } });
  if (!reseller) throw AppError.notFound("Brand");
  const { nameservers, own } = await resellerNameservers(db, reseller.id);
  const settings = await db.platformSettings.findUnique({ where: { id: 1 }, select: { defaultNameservers: true } });
  const defaults = settings?.defaultNameservers ?? [];
  if (!own) return { own, nameservers, defaults, glue: [], delegation: null };
  const nodes = await db.node.findMany({ where: { status: { notIn: ["DEAD", "DRAINING"] } }, orderBy: { name: "asc" }, select: { address: true } });
  const glue = nameservers.map((name, i) => ({ name, address: nodes.length > 0 ? nodes[i % nodes.length]!.address : null }));
  const zone = parentZone(nameservers);
  const delegation = zone && input.check ? { zone, ...(await checkDelegation(zone, nameservers)) } : null;
  return { own, nameservers, defaults, glue, delegation };
}
