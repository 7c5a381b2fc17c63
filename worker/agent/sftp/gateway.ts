import { timingSafeEqual } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import ssh2, { type AuthContext, type Connection, type ParsedKey, type ServerChannel } from "ssh2";
import { verifyPassword } from "../../../server/auth/password";
import type { NodeRoot } from "../node-root";
import { lookupSystemUser } from "../system-users";
import { AttemptLimiter } from "./attempt-limiter";
import type { SftpDirectory } from "./directory";
import { startLocalSession } from "./local-session";

// The node's SFTP gateway (docs/architecture.md, "SFTP through any node"). Every node accepts every
// account: it checks the password (argon2id hash) or public key against the directory in its spec,
// then either runs the session here (the account's sites are live on this node) or forwards the
// session's channel to the gateway of the node that serves them. Gateways speak to each other with
// the same ssh2 protocol, both sides proving they hold the cluster host key: the caller signs in
// with it as its user key, and checks that the callee's host key is that same key.

// ssh2 is CommonJS whose exports Node's ESM loader cannot list: take them from the default export.
const { Client, Server, utils } = ssh2;

export type Log = (line: string, fields?: Record<string, unknown>) => void;

export type SftpGatewayOptions = {
  node: NodeRoot;
  host: string;
  port: number;
  /** The cluster host key, OpenSSH private key text (the same on every node). */
  hostKey: string;
  directory: () => SftpDirectory;
  log?: Log;
};

export type SftpGateway = {
  port: number;
  /** Ends every session of `username` on this node (its sites left it); the clients reconnect. */
  endSessions(username: string, reason: string): number;
  close(): Promise<void>;
};

type Signed = { username: string; forwarded: boolean };

function sameKey(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startSftpGateway(options: SftpGatewayOptions): Promise<SftpGateway> {
  const { node } = options;
  const log: Log = options.log ?? (() => {});
  const parsedHostKey = utils.parseKey(options.hostKey);
  if (parsedHostKey instanceof Error || Array.isArray(parsedHostKey)) throw new Error("The cluster SFTP host key cannot be read.");
  const hostKey: ParsedKey = parsedHostKey;
  const hostPublic = hostKey.getPublicSSH();
  const limiter = new AttemptLimiter();
  const mountPoint = path.join(node.root, "run/sftp");
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  const sessions = new Map<string, Set<() => void>>();
  const connections = new Set<Connection>();

  const server = new Server({ hostKeys: [options.hostKey], ident: "SSH-2.0-Shoal" }, (client: Connection, info) => {
    const address = info.ip;
    let signed: Signed | null = null;
    connections.add(client);
    client.on("close", () => connections.delete(client));
    client.on("error", () => {});
    client.on("authentication", (ctx: AuthContext) => {
      void authenticate(ctx, address).then((result) => {
        if (result) signed = result;
      });
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        // No shell, no exec, no port forwarding: only the sftp subsystem is answered.
        session.on("subsystem", (accept, reject, { name }) => {
          if (name !== "sftp" || !signed) return reject();
          const channel = accept();
          void serve(channel, signed);
        });
      });
    });
  });

  async function authenticate(ctx: AuthContext, address: string): Promise<Signed | null> {
    const username = ctx.username;
    const account = options.directory().account(username);
    if (ctx.method === "password") {
      // Counted before it is checked, also for a name that does not exist (it says nothing either way).
      if (!limiter.reserve(username, address)) {
        log("SFTP sign-in refused: too many wrong passwords.", { username, address });
        ctx.reject();
        return null;
      }
      const ok = account?.passwordHash ? await verifyPassword({ hash: account.passwordHash, password: ctx.password }) : false;
      if (!ok) {
        ctx.reject(["password", "publickey"]);
        return null;
      }
      limiter.refund(username, address);
      ctx.accept();
      return { username, forwarded: false };
    }
    if (ctx.method === "publickey") {
      const offered = Buffer.from(ctx.key.data);
      // Another node's gateway forwarding a session it has already authenticated.
      const fromPeer = sameKey(offered, hostPublic) && options.directory().isPeer(address);
      const allowed = fromPeer || (account?.keys ?? []).some((k) => {
        const parsed = utils.parseKey(k);
        return !(parsed instanceof Error) && !Array.isArray(parsed) && sameKey(parsed.getPublicSSH(), offered);
      });
      if (!account || !allowed) {
        ctx.reject(["password", "publickey"]);
        return null;
      }
      if (!ctx.signature) {
        // The client asks whether this key would do; it signs next.
        ctx.accept();
        return null;
      }
      const key = utils.parseKey(`${ctx.key.algo} ${offered.toString("base64")}`);
      const valid = !(key instanceof Error) && !Array.isArray(key) && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
      if (!valid) {
        ctx.reject(["password", "publickey"]);
        return null;
      }
      ctx.accept();
      return { username, forwarded: fromPeer };
    }
    ctx.reject(["password", "publickey"]);
    return null;
  }

  function track(username: string, end: () => void): () => void {
    let set = sessions.get(username);
    if (!set) sessions.set(username, (set = new Set()));
    set.add(end);
    return () => {
      set.delete(end);
      if (set.size === 0) sessions.delete(username);
    };
  }

  async function serve(channel: ServerChannel, signed: Signed): Promise<void> {
    const { username } = signed;
    const directory = options.directory();
    const account = directory.account(username);
    const sites = directory.localSites(username);
    const fail = (why: string) => {
      channel.stderr.write(`${why}\n`);
      channel.exit(1);
      channel.end();
    };
    if (!account) return fail("This account may not use SFTP.");
    if (sites.length > 0) {
      const user = await lookupSystemUser(username);
      if (!user) return fail("This account is not ready on this server yet; try again in a minute.");
      const untrack = track(username, () => {
        channel.exit(0);
        channel.end();
      });
      try {
        const session = await startLocalSession(channel, { node, username, uid: user.uid, gid: user.gid, sites, mountPoint });
        const end = () => session.child.kill("SIGTERM");
        untrack();
        const untrackChild = track(username, end);
        await session.done;
        untrackChild();
        channel.exit(0);
        channel.end();
      } catch (e) {
        untrack();
        log("SFTP session could not start.", { username, error: e instanceof Error ? e.message : String(e) });
        fail("The session could not start on this server; try again.");
      }
      return;
    }
    // A forwarded session is never forwarded again: two nodes with different views of where the
    // account lives must not bounce it between them.
    const target = account.liveAt[0];
    if (signed.forwarded || !target) return fail("This account has no site live yet.");
    forward(channel, username, target, fail);
  }

  function forward(channel: ServerChannel, username: string, target: string, fail: (why: string) => void): void {
    const [host, port] = target.split(":");
    const upstream = new Client();
    const untrack = track(username, () => upstream.end());
    upstream.on("ready", () => {
      upstream.subsys("sftp", (err, stream) => {
        if (err) {
          upstream.end();
          return fail("The server that holds your sites did not answer; try again.");
        }
        channel.pipe(stream).pipe(channel);
        stream.on("close", () => {
          channel.exit(0);
          channel.end();
          upstream.end();
        });
        channel.on("close", () => stream.end());
      });
    });
    upstream.on("error", (e) => {
      log("SFTP forward failed.", { username, target, error: e.message });
      fail("The server that holds your sites did not answer; try again.");
    });
    upstream.on("close", untrack);
    upstream.connect({
      host,
      port: Number(port),
      localAddress: options.host,
      username,
      privateKey: options.hostKey,
      // The node at the other end must hold the cluster key too.
      hostVerifier: (key: Buffer) => sameKey(key, hostPublic),
      readyTimeout: 10_000,
      keepaliveInterval: 15_000,
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  log(`SFTP gateway listening on ${options.host}:${typeof bound === "object" && bound ? bound.port : options.port}.`);
  return {
    port: typeof bound === "object" && bound ? bound.port : options.port,
    endSessions(username, reason) {
      const set = sessions.get(username);
      if (!set) return 0;
      log("Ending SFTP sessions.", { username, reason, count: set.size });
      for (const end of [...set]) end();
      return set.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const set of sessions.values()) for (const end of [...set]) end();
        server.close(() => resolve());
        for (const client of connections) client.end();
      }),
  };
}
