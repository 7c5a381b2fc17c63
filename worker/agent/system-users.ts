import { readFile } from "node:fs/promises";

// Reads the local account databases directly: useradd writes these files, and one read per
// converge is cheaper than a getent process per account.

export type SystemUser = { name: string; uid: number; gid: number; comment: string; home: string; shell: string };

export async function readSystemUsers(): Promise<Map<string, SystemUser>> {
  const users = new Map<string, SystemUser>();
  for (const line of (await readFile("/etc/passwd", "utf8")).split("\n")) {
    const [name, , uid, gid, comment, home, shell] = line.split(":");
    if (!name || uid === undefined || gid === undefined) continue;
    users.set(name, { name, uid: Number(uid), gid: Number(gid), comment: comment ?? "", home: home ?? "", shell: shell ?? "" });
  }
  return users;
}

export async function lookupSystemUser(name: string): Promise<SystemUser | undefined> {
  return (await readSystemUsers()).get(name);
}

export async function lookupSystemGroupId(name: string): Promise<number | undefined> {
  for (const line of (await readFile("/etc/group", "utf8")).split("\n")) {
    const [group, , gid] = line.split(":");
    if (group === name && gid !== undefined) return Number(gid);
  }
  return undefined;
}
