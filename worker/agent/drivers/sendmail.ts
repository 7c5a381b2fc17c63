import { chmod, chown, lstat, mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { readTextIfExists, writeFileAtomic } from "../config-file";
import type { NodeRoot } from "../node-root";

// The program PHP's mail() runs (every pool sets sendmail_path to it, as php_admin_value). It
// runs as the site's account, inside the account's confinement, and only queues the message: it
// lands in the account's spool, <root>/spool/mail/<username>/, owned by the account and 0700,
// one file per message named by time and a random part. Delivering from the spool is the mail
// service's job (docs/architecture.md, section 8); until then messages wait there.
//
// It is a small sh program with fixed text. It reads nothing from its environment (PHP code
// can't set any: putenv is disabled and clear_env is on, but native code could run it with
// anything): PATH, IFS and the locale are set here, and the account is the process's own uid,
// not a variable. Arguments are never evaluated: the options apps pass (-t, -i, -f <address>)
// are accepted, an address is checked against a strict grammar and otherwise unused, anything
// else is refused. A message over the size limit, or past the spool's message limit, is refused
// (mail() returns false), so one script in a loop can't fill the node's disk through it.

/** The largest message the wrapper queues, in bytes. */
export const maxMessageBytes = 10 * 1024 * 1024;
/** Messages an account's spool may hold before the wrapper refuses more. */
export const maxSpooledMessages = 1000;

export function renderSendmail(node: NodeRoot): string {
  // The node root's grammar (node-root.ts) has no quote, so it is safe inside '...'.
  return `#!/bin/sh
# Written by the node agent; changes are overwritten. Queues a message from stdin for delivery.
set -u
PATH=/usr/bin:/bin
IFS=' 	
'
LC_ALL=C
umask 077
max=${maxMessageBytes}
limit=${maxSpooledMessages}
spool='${node.mailSpoolRoot}'

usage() { echo "sendmail: $1" >&2; exit 64; }
checkaddr() {
  case "$1" in
    ""|-*|*[!A-Za-z0-9.@_+=-]*) usage "refusing sender address" ;;
  esac
}
while [ $# -gt 0 ]; do
  case "$1" in
    -t|-i|-oi|-ti|-it|-odi|-odb|-oem|-oee|--) ;;
    -f|-r) [ $# -ge 2 ] || usage "$1 needs an address"; checkaddr "$2"; shift ;;
    -f*|-r*) checkaddr "\${1#-?}" ;;
    *) usage "unsupported argument" ;;
  esac
  shift
done

user=$(id -un) || exit 75
case "$user" in ""|*[!a-z0-9_]*) exit 75 ;; esac
dir="$spool/$user"
[ -d "$dir" ] && [ ! -L "$dir" ] || { echo "sendmail: no spool for $user" >&2; exit 75; }
count=$(find "$dir" -maxdepth 1 -name '*.eml' -type f | wc -l)
[ "$count" -lt "$limit" ] || { echo "sendmail: the spool is full" >&2; exit 75; }

tmp=$(mktemp "$dir/.incoming.XXXXXXXXXX") || exit 75
head -c $((max + 1)) >"$tmp"
# Read to the end, so the sender never writes into a closed pipe.
cat >/dev/null
size=$(wc -c <"$tmp")
if [ "$size" -eq 0 ] || [ "$size" -gt "$max" ]; then
  rm -f "$tmp"
  echo "sendmail: the message is empty or larger than $max bytes" >&2
  exit 65
fi
name="$(date -u +%Y%m%dT%H%M%SZ).\${tmp##*.}.eml"
mv -n "$tmp" "$dir/$name" || { rm -f "$tmp"; exit 75; }
[ ! -e "$tmp" ] || { rm -f "$tmp"; exit 75; }
exit 0
`;
}

/** Installs the wrapper, root:root 0755, where the pools' sendmail_path points (idempotent). */
export async function ensureSendmail(node: NodeRoot): Promise<void> {
  const dir = path.dirname(node.sendmailPath);
  await mkdir(dir, { recursive: true });
  await chown(dir, 0, 0);
  await chmod(dir, 0o755);
  const content = renderSendmail(node);
  const current = await lstat(node.sendmailPath).catch(() => null);
  if (current?.isFile() && current.uid === 0 && current.gid === 0 && (current.mode & 0o7777) === 0o755 && (await readTextIfExists(node.sendmailPath)) === content) {
    return;
  }
  await writeFileAtomic(node.sendmailPath, content, 0o755);
  await chown(node.sendmailPath, 0, 0);
}

/**
 * The account's spool directory, the account's own and 0700. Its parent is root's and only
 * passable (0711), so no account can list the others or plant a symlink where the agent works.
 */
export async function ensureMailSpool(node: NodeRoot, user: { name: string; uid: number; gid: number }): Promise<void> {
  await mkdir(node.mailSpoolRoot, { recursive: true });
  await chmod(node.mailSpoolRoot, 0o711);
  const dir = node.mailSpool(user.name);
  await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e;
  });
  const s = await lstat(dir);
  if (!s.isDirectory()) throw new Error(`${dir} is not a directory; refusing to use it as a mail spool.`);
  await chown(dir, user.uid, user.gid);
  await chmod(dir, 0o700);
}

/** Whether the account's spool is in place with its owner and mode. */
export async function mailSpoolReady(node: NodeRoot, user: { name: string; uid: number }): Promise<boolean> {
  const s = await lstat(node.mailSpool(user.name)).catch(() => null);
  return !!s && s.isDirectory() && s.uid === user.uid && (s.mode & 0o7777) === 0o700;
}

/** The account's spool and anything queued in it (the account is leaving this node). */
export async function removeMailSpool(node: NodeRoot, username: string): Promise<void> {
  await rm(node.mailSpool(username), { recursive: true, force: true });
}

/** Messages queued for an account, oldest first (the files' names start with the time). */
export async function spooledMessages(node: NodeRoot, username: string): Promise<string[]> {
  const dir = node.mailSpool(username);
  if (!(await stat(dir).catch(() => null))?.isDirectory()) return [];
  return (await readdir(dir)).filter((name) => name.endsWith(".eml")).sort().map((name) => path.join(dir, name));
}
