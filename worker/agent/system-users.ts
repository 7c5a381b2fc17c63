import { readFile } from "node:fs/promises";
import { runCommand } from "./run-command";

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

/**
 * Every agent on this machine takes this lock around useradd and userdel. The nodes of a
 * one-machine cluster share /etc/passwd, and each converges the same account at the same moment:
 * without it, two agents that both found the user missing ran useradd together and the second
 * failed ("username already in use", or the shadow files' own lock refused it). A flock is
 * released by the kernel when its holder dies, so a crashed agent never leaves it held.
 */
export const userDatabaseLock = "/run/lock/shoal-users.lock";

/** Runs useradd, userdel, ... holding the machine-wide user database lock (waits up to 60 s for it). */
export function runUserCommand(file: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return runCommand("/usr/bin/flock", ["--exclusive", "--timeout", "60", userDatabaseLock, file, ...args], { timeoutMs: 90_000 });
}
