import { readTextIfExists, writeFileAtomic } from "../config-file";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";
import type { EgressSpec } from "../../../server/contract/node-spec";
import { ensureNodeCgroup, nodeGroupMatch } from "./cgroup";

// Where a customer's processes may connect. One nftables table per node, on the output hook,
// matching every socket made inside the node's part of the cgroup tree (shoal/<address>: the
// accounts' groups are its children, so one rule covers each account's php-fpm, and later its cron
// jobs and SFTP sessions, from the moment the account's group exists). A site may reach its node's
// MariaDB and DNS, the addresses the admin allows, and the internet; loopback, private and
// link-local ranges and the cluster's own hosts are refused with a reset (TCP) or an ICMP error, so
// a refused connection fails at once instead of hanging. Nothing else on the machine is affected:
// the agent, nginx and the control plane are not in those groups.

const nft = "/usr/sbin/nft";

/** Ranges that are never the internet: every internal service of a node or the cluster lives here. */
export const refusedV4 = [
  "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
  "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
] as const;
export const refusedV6 = ["::1/128", "::/128", "::ffff:0:0/96", "64:ff9b::/96", "fc00::/7", "fe80::/10", "ff00::/8"] as const;

/** The node's table name: one per node, so nodes sharing a machine keep their own rules. */
export function egressTableName(node: NodeRoot): string {
  return `shoal_${node.address.replaceAll(".", "_")}`;
}

const dnsPort = 53;

/** The node's cgroup as nftables names it; `inode` tells a re-created group from the one loaded. */
export type NodeGroup = { path: string; level: number; inode: number };

export async function nodeGroup(node: NodeRoot): Promise<NodeGroup> {
  return nodeGroupMatch(node);
}

/** Pure: the same node, spec and group always give the same text (diff-node compares it). */
export function renderEgressRules(node: NodeRoot, egress: EgressSpec, group: NodeGroup): string {
  const table = egressTableName(node);
  const allow = egress.allow.map((a) =>
    a.port === null
      ? `        ip daddr ${a.address} accept`
      : `        ip daddr ${a.address} tcp dport ${a.port} accept\n        ip daddr ${a.address} udp dport ${a.port} accept`,
  );
  const refused = [...refusedV4, ...egress.clusterAddresses];
  // "table; delete table; table {...}" in one file: nft applies it as one transaction, so the rules
  // are replaced atomically whether or not the table existed.
  return `# Written by the Shoal agent; changes are overwritten. cgroup inode ${group.inode}
table inet ${table}
delete table inet ${table}
table inet ${table} {
    chain output {
        type filter hook output priority filter; policy accept;
        socket cgroupv2 level ${group.level} "${group.path}" jump account_egress
    }

    chain account_egress {
        ct state established,related accept
        ip daddr ${node.address} tcp dport ${node.mysqlPort} accept
        ip daddr ${node.address} tcp dport ${dnsPort} accept
        ip daddr ${node.address} udp dport ${dnsPort} accept
${allow.join("\n")}${allow.length > 0 ? "\n" : ""}        ip daddr { ${refused.join(", ")} } meta l4proto tcp reject with tcp reset
        ip daddr { ${refused.join(", ")} } reject with icmp type admin-prohibited
        ip6 daddr { ${refusedV6.join(", ")} } meta l4proto tcp reject with tcp reset
        ip6 daddr { ${refusedV6.join(", ")} } reject with icmpv6 type admin-prohibited
    }
}
`;
}

/** True when the node's table is loaded (a reboot or a flush empties the kernel's rules). */
async function tableLoaded(node: NodeRoot): Promise<boolean> {
  return runCommand(nft, ["list", "table", "inet", egressTableName(node)]).then(() => true, () => false);
}

/** The rules as last applied, or null when they are not in force (no file, or no table). */
export async function observeEgressRules(node: NodeRoot): Promise<string | null> {
  const applied = await readTextIfExists(node.egressRulesFile);
  if (applied === null) return null;
  return (await tableLoaded(node)) ? applied : null;
}

/** Loads `content` (renderEgressRules) as one transaction and keeps it as the applied copy. */
export async function applyEgressRules(node: NodeRoot, content: string): Promise<void> {
  await writeFileAtomic(`${node.egressRulesFile}.next`, content);
  await runCommand(nft, ["-f", `${node.egressRulesFile}.next`]);
  await writeFileAtomic(node.egressRulesFile, content);
}

/** Removes the node's table (stopNode does not: a node's sites stay confined while it is down). */
export async function removeEgressRules(node: NodeRoot): Promise<void> {
  if (await tableLoaded(node)) await runCommand(nft, ["delete", "table", "inet", egressTableName(node)]);
}

/**
 * After a reboot the kernel has no rules: loads the last applied ones again (the path in them
 * names the node's group, made here first), before any account's code is started. The next
 * converge renders them afresh.
 */
export async function restoreEgressRules(node: NodeRoot): Promise<void> {
  const applied = await readTextIfExists(node.egressRulesFile);
  if (applied === null || (await tableLoaded(node))) return;
  await ensureNodeCgroup(node);
  await runCommand(nft, ["-f", node.egressRulesFile]);
}
