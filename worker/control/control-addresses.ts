import { ipv4OrCidrSchema } from "../../server/contract/node-spec";

// The control plane's own addresses (Postgres, Redis, the panel, workers), which customers' code
// must not reach even when they are public: they go into every node's egress.clusterAddresses
// beside the nodes'. Read from the control worker's configuration once at start-up (main.ts) and
// the same for every spec this process builds, so two reconciles never disagree about them.

let configured: readonly string[] = [];

/** The IPv4 literal hosts of the service URLs, and SHOAL_CONTROL_ADDRESSES (IPv4 or CIDR, commas). */
export function controlAddressesFrom(urls: readonly string[], extra: string | undefined): string[] {
  const hosts = urls.map((u) => {
    try {
      return new URL(u).hostname;
    } catch {
      return "";
    }
  });
  const listed = (extra ?? "").split(",").map((s) => s.trim());
  return [...new Set([...hosts, ...listed].filter((a) => a !== "" && ipv4OrCidrSchema.safeParse(a).success))].sort();
}

export function setControlAddresses(addresses: readonly string[]): void {
  configured = [...addresses];
}

export function controlAddresses(): readonly string[] {
  return configured;
}
