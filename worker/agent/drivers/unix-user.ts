import { chmod, chown, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { NodeRoot } from "../node-root";
import { CommandError } from "../run-command";
import { lookupSystemGroupId, readSystemUsers, runUserCommand, type SystemUser } from "../system-users";
import { removeAccountCgroup } from "./cgroup";
import { ensureMailSpool, mailSpoolReady, removeMailSpool } from "./sendmail";

// A Linux user per hosting account: php-fpm runs the account's sites as this user, so accounts
// can't read each other's files. No login shell and no skeleton files: nobody logs in as it.

/** Marks the users the agent made, so it never adopts (or deletes) a user it did not create. */
export const accountComment = (accountId: string) => `Shoal account ${accountId}`;

export type ObservedAccount = {
  username: string;
  /** The comment of the system user, or null if there is no such user. */
  userComment: string | null;
  /** The home directory exists with owner user:www-data and mode 0750, and the mail spool is the user's. */
  homeReady: boolean;
};

/**
 * Accounts this node has: a home directory under the node root, or a system user whose home is
 * there (left behind by an interrupted removal).
 */
export async function observeAccounts(node: NodeRoot): Promise<ObservedAccount[]> {
  const users = await readSystemUsers();
  const wwwData = await lookupSystemGroupId("www-data");
  const names = new Set<string>(await readdir(node.homeDir).catch(() => []));
  for (const user of users.values()) {
    if (path.dirname(user.home) === node.homeDir && user.comment.startsWith("Shoal account ")) names.add(user.name);
  }
  const observed: ObservedAccount[] = [];
  for (const username of [...names].sort()) {
    const user = users.get(username);
    const home = await stat(node.accountHome(username)).catch(() => null);
    observed.push({
      username,
      userComment: user ? user.comment : null,
      homeReady:
        !!user &&
        !!home &&
        home.isDirectory() &&
        home.uid === user.uid &&
        home.gid === wwwData &&
        (home.mode & 0o7777) === 0o750 &&
        (await mailSpoolReady(node, user)),
    });
  }
  return observed;
}

/** useradd's exit code for a user or group name that is already taken. */
const nameInUse = 9;
/** userdel's exit code for a user that does not exist. */
const noSuchUser = 6;

/** The account's system user: the one this node or another on the machine made, or a new one. */
async function accountUser(home: string, account: { id: string; username: string }): Promise<SystemUser> {
  const existing = (await readSystemUsers()).get(account.username);
  if (!existing) {
    try {
      await runUserCommand("/usr/sbin/useradd", [
        "--no-create-home",
        "--home-dir", home,
        "--shell", "/usr/sbin/nologin",
        "--user-group",
        "--comment", accountComment(account.id),
        account.username,
      ]);
    } catch (e) {
      // Another node on this machine made it between the read above and the lock: whether it
      // is this account's user is decided below, as for one found at once.
      if (!(e instanceof CommandError && e.exitCode === nameInUse)) throw e;
    }
  }
  const user = existing ?? (await readSystemUsers()).get(account.username);
  if (!user) throw new Error(`useradd reported success but "${account.username}" is not in /etc/passwd.`);
  if (user.comment !== accountComment(account.id)) {
    throw new Error(
      `A system user "${account.username}" already exists and is not Shoal account ${account.id} (its comment is "${user.comment}"); refusing to take it over.`,
    );
  }
  return user;
}

export async function ensureUnixUser(node: NodeRoot, account: { id: string; username: string }): Promise<void> {
  const home = node.accountHome(account.username);
  const user = await accountUser(home, account);
  const wwwData = await lookupSystemGroupId("www-data");
  if (wwwData === undefined) throw new Error("The www-data group is missing: install nginx (scripts/node-lib.sh).");
  await mkdir(home, { recursive: true });
  // Group www-data so nginx can reach the site directories; nobody else can look inside.
  await chown(home, user.uid, wwwData);
  await chmod(home, 0o750);
  // Where PHP's mail() queues the account's messages (drivers/sendmail.ts).
  await ensureMailSpool(node, user);
}

/** Whether any process on this machine runs as `uid` (another node's, on a one-machine cluster). */
async function hasProcesses(uid: number): Promise<boolean> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
    const real = /^Uid:\s+(\d+)/m.exec(status);
    if (real && Number(real[1]) === uid) return true;
  }
  return false;
}

/**
 * Removes the account's home (everything under it), its cgroup and its system user. The pools
 * must already be gone; anything of the account still running on this node is killed first.
 */
export async function removeUnixUser(node: NodeRoot, username: string): Promise<void> {
  const home = node.accountHome(username);
  if (path.dirname(home) !== node.homeDir) throw new Error(`Refusing to remove ${home}: not an account home.`);
  const user: SystemUser | undefined = (await readSystemUsers()).get(username);
  if (user && !user.comment.startsWith("Shoal account ")) {
    throw new Error(`The system user "${username}" was not made by Shoal; refusing to delete it.`);
  }
  // Every process of the account on this node is in its cgroup: killed there, and only there
  // (nodes sharing a machine run the same user in their own groups).
  await removeAccountCgroup(node, username);
  await rm(home, { recursive: true, force: true });
  await removeMailSpool(node, username);
  // The same user can serve this account on several nodes of one machine (the local cluster);
  // only the node whose root holds its passwd home deletes it, and not while another node still
  // runs processes as it (userdel would refuse, and the uid must not be reused under them).
  if (user && path.dirname(user.home) === node.homeDir && !(await hasProcesses(user.uid))) {
    try {
      await runUserCommand("/usr/sbin/userdel", [username]);
    } catch (e) {
      // Gone already: another node of this machine removed the same account a moment before.
      if (!(e instanceof CommandError && e.exitCode === noSuchUser)) throw e;
    }
  }
}
