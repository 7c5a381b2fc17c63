import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { sftpSpecSchema, type NodeSpec, type SftpAccountSpec } from "../../../server/contract/node-spec";
import type { NodeRoot } from "../node-root";
import type { LocalSite } from "./local-session";

// What the gateway knows, from the last spec the node converged: every account that may sign in
// (the cluster's SFTP directory, the same on every node), and which of them have sites live here.
// Kept in a root-only file too, so a gateway that starts with the control plane down (the agent
// restarted during an outage) still signs accounts in.

export const sftpDirectoryFileSchema = z.strictObject({
  sftp: sftpSpecSchema,
  /** username → its sites live on this node: the name shown at / (the site's first domain) and its id. */
  local: z.record(z.string(), z.array(z.strictObject({ name: z.string(), siteId: z.string() }))),
  /** Addresses of the cluster's nodes: only they may present the cluster key to forward a session. */
  peers: z.array(z.string()),
});
export type SftpDirectoryFile = z.infer<typeof sftpDirectoryFileSchema>;

export type SftpDirectory = {
  account(username: string): SftpAccountSpec | undefined;
  /** Its sites live on this node (directories to mount), or [] when none is. */
  localSites(username: string): LocalSite[];
  isPeer(address: string): boolean;
};

export const directoryFile = (node: NodeRoot) => path.join(node.root, "etc/sftp/directory.json");

export function directoryFromSpec(spec: NodeSpec): SftpDirectoryFile | null {
  if (!spec.sftp) return null;
  const usernames = new Map(spec.accounts.map((a) => [a.id, a]));
  const local: SftpDirectoryFile["local"] = {};
  for (const site of spec.sites) {
    const account = usernames.get(site.accountId);
    if (!account || account.status !== "ACTIVE" || site.status !== "ACTIVE") continue;
    (local[account.username] ??= []).push({ name: site.domains[0]!, siteId: site.id });
  }
  for (const sites of Object.values(local)) sites.sort((a, b) => a.name.localeCompare(b.name));
  return { sftp: spec.sftp, local, peers: spec.egress.clusterAddresses };
}

export function toDirectory(node: NodeRoot, file: SftpDirectoryFile | null): SftpDirectory {
  const accounts = new Map((file?.sftp.accounts ?? []).map((a) => [a.username, a]));
  const peers = new Set(file?.peers ?? []);
  return {
    account: (username) => accounts.get(username),
    localSites: (username) => (file?.local[username] ?? []).map((s) => ({ name: s.name, dir: node.siteDir(username, s.siteId) })),
    isPeer: (address) => peers.has(address.replace(/^::ffff:/, "")),
  };
}

export async function saveDirectory(node: NodeRoot, file: SftpDirectoryFile): Promise<void> {
  const target = directoryFile(node);
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(file), { mode: 0o600 });
  await rename(temp, target);
}

export async function loadDirectory(node: NodeRoot): Promise<SftpDirectoryFile | null> {
  try {
    return sftpDirectoryFileSchema.parse(JSON.parse(await readFile(directoryFile(node), "utf8")));
  } catch {
    return null;
  }
}
