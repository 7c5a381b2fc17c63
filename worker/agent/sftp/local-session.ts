import { spawn, type ChildProcess } from "node:child_process";
import type { FileHandle } from "node:fs/promises";
import type { Duplex } from "node:stream";
import { confinedCommand } from "../drivers/account-runtime";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";
import { openDirChecked } from "../storage/safe-fs";

// One SFTP session on the node that serves the account's sites: OpenSSH's sftp-server, run as the
// account's user inside its confinement (its cgroup, a mount namespace of its own with the
// platform's paths hidden, no_new_privs: confinedCommand, as its php-fpm master), chrooted into a
// root made for the session in that namespace:
//
//   /                    tmpfs, root's, 0555: the account can create nothing here
//   /<domain>/           each of its sites live on this node, bind-mounted from its site directory
//   /usr, /lib, /lib64   read-only, only until sftp-server has started (see below)
//   /etc/passwd          one line, the account's, for sftp-server's start-up check
//   /dev/null            which sftp-server opens at start
//
// sftp-server needs libc and its loader to start, and reads /etc/passwd once; once it has answered
// the client's INIT it needs no file outside the sites (names in long listings fall back to
// numbers). So the gateway holds the client's INIT back until the platform's part of the root is
// gone: it passes the INIT, waits for the VERSION reply, then unmounts /usr and removes the rest
// from the namespace (nsenter as root), and only then passes the VERSION on. By the time the client
// can send a request, `/` holds the sites and nothing else.
//
// An account can swap a directory of its own home for a symlink while a root program works there,
// so what gets mounted is checked after the mount: the agent opens each site directory without
// following a symlink anywhere on the path and passes its device and inode; the mount program
// compares them with the mounted directory's, and a session whose mount is anything else never
// starts (the mount dies with its namespace). A descriptor cannot be bind-mounted instead: it
// belongs to the agent's mount namespace, and the kernel refuses a bind from another namespace.

export const sftpServerBinary = "/usr/lib/openssh/sftp-server";

const buildRoot = `set -e
root="$1"; uid="$2"; gid="$3"; user="$4"; shift 4
mount -t tmpfs -o size=1m,mode=0755,nosuid,nodev shoal-sftp "$root"
mkdir "$root/usr" "$root/etc" "$root/dev"
touch "$root/dev/null"
mount --bind /dev/null "$root/dev/null"
mount --bind /usr "$root/usr"
mount -o remount,bind,ro,nosuid,nodev "$root/usr"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
echo "$user:x:$uid:$gid::/:/usr/sbin/nologin" > "$root/etc/passwd"
while [ "$1" != "--" ]; do
  mkdir "$root/$1"
  mount --bind "$2" "$root/$1"
  if [ "$(stat -c %d:%i "$root/$1")" != "$3" ]; then echo "$2 is not the site directory it was" >&2; exit 1; fi
  mount -o remount,bind,nosuid,nodev "$root/$1"
  shift 3
done
shift
chmod 0555 "$root"
exec /usr/sbin/chroot --userspec="$uid:$gid" --groups="$gid" "$root" "$@"`;

const dropPlatform = `set -e
root="$1"
umount -l "$root/usr"
rmdir "$root/usr"
umount -l "$root/dev/null"
rm -f "$root/lib" "$root/lib64" "$root/etc/passwd" "$root/dev/null"
rmdir "$root/etc" "$root/dev"`;

export type LocalSite = { name: string; dir: string };

export type LocalSessionInput = {
  node: NodeRoot;
  username: string;
  uid: number;
  gid: number;
  sites: readonly LocalSite[];
  /** The directory every session's root is mounted on, inside its own namespace. */
  mountPoint: string;
};

export type LocalSession = { child: ChildProcess; done: Promise<void> };

/** Reads one SFTP packet (uint32 length, then that many bytes) from a stream, keeping what follows. */
async function readPacket(stream: NodeJS.ReadableStream, what: string, maxBytes = 256 * 1024): Promise<{ packet: Buffer; rest: Buffer }> {
  let buffered = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.pause();
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4) return;
      const length = buffered.readUInt32BE(0);
      if (length > maxBytes) {
        cleanup();
        return reject(new Error(`${what}: a packet of ${length} bytes`));
      }
      if (buffered.length < 4 + length) return;
      cleanup();
      resolve({ packet: buffered.subarray(0, 4 + length), rest: buffered.subarray(4 + length) });
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`${what}: the stream ended before a whole packet`));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
    stream.resume();
  });
}

const SSH_FXP_INIT = 1;
const SSH_FXP_VERSION = 2;

/**
 * Runs sftp-server for `channel` as described above; resolves `done` when the session is over.
 * Throws (before anything of the account runs) when a site directory is not where it should be.
 */
export async function startLocalSession(channel: Duplex, input: LocalSessionInput): Promise<LocalSession> {
  const handles: FileHandle[] = [];
  let child: ChildProcess;
  try {
    const siteArgs: string[] = [];
    for (const site of input.sites) {
      const handle = await openDirChecked(site.dir);
      handles.push(handle);
      const st = await handle.stat({ bigint: true });
      siteArgs.push(site.name, site.dir, `${st.dev}:${st.ino}`);
    }
    const [file, args] = await confinedCommand(input.node, input.username, [
      "/bin/sh", "-c", buildRoot, "shoal-sftp-root", input.mountPoint, String(input.uid), String(input.gid), input.username, ...siteArgs, "--",
      sftpServerBinary, "-e", "-l", "ERROR", "-u", "0022",
    ]);
    // The client's INIT is read first: nothing of the account starts for a connection that never
    // speaks SFTP.
    const init = await readPacket(channel, "the client's INIT");
    if (init.packet[4] !== SSH_FXP_INIT) throw new Error("the client did not start with INIT");
    child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" } as unknown as NodeJS.ProcessEnv });
    const stderr: Buffer[] = [];
    child.stderr!.on("data", (chunk: Buffer) => {
      if (stderr.length < 64) stderr.push(chunk);
    });
    child.stdin!.write(init.packet);
    let version: { packet: Buffer; rest: Buffer };
    try {
      version = await readPacket(child.stdout!, "sftp-server's VERSION");
    } catch (e) {
      child.kill("SIGKILL");
      throw new Error(`sftp-server did not start: ${Buffer.concat(stderr).toString().trim() || (e as Error).message}`);
    }
    if (version.packet[4] !== SSH_FXP_VERSION) {
      child.kill("SIGKILL");
      throw new Error("sftp-server did not answer INIT with VERSION");
    }
    await runCommand("/usr/bin/nsenter", ["-t", String(child.pid), "-m", "--", "/bin/sh", "-c", dropPlatform, "shoal-sftp-drop", input.mountPoint]).catch((e: unknown) => {
      child.kill("SIGKILL");
      throw e;
    });
    channel.write(version.packet);
    if (version.rest.length) channel.write(version.rest);
    if (init.rest.length) child.stdin!.write(init.rest);
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
  channel.pipe(child.stdin!);
  child.stdout!.pipe(channel);
  const done = new Promise<void>((resolve) => {
    child.on("close", () => resolve());
    channel.on("close", () => child.stdin!.end());
  });
  return { child, done };
}
