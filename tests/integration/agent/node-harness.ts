import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { converge, removeNodeConfinement, stopNode } from "../../../worker/agent/converge";
import { nodeRoot, type NodeConfig, type NodeRoot } from "../../../worker/agent/node-root";
import { runCommand } from "../../../worker/agent/run-command";
import { releaseLoopStore } from "../../../worker/agent/storage/loop-store";

// A throwaway node for one test file: a root under /var/tmp (see node-root.ts for why not /tmp),
// its own loopback address and ports, and a teardown that stops every master and deletes every
// user the file created, whatever state the tests left.

/** `edge`: the backend and hold ports (default 8080/8081 on the node's address) and extra listeners. */
export async function makeNode(
  address: string,
  httpPort: number,
  mysqlPort: number,
  edge: Pick<NodeConfig, "backendPort" | "holdPort" | "httpsPort" | "extraListen" | "trustedProxies"> = {},
): Promise<NodeRoot> {
  const dir = await mkdtemp("/var/tmp/shoal-agent-test-");
  // mkdtemp makes it 0700; mysql, www-data and the account users must pass through it.
  await chmod(dir, 0o755);
  return nodeRoot({ root: path.join(dir, "node"), address, httpPort, mysqlPort, ...edge });
}

/** A unique account username, so parallel test files never share a system user. */
export const uniqueUsername = (prefix: string) => `${prefix}${randomBytes(3).toString("hex")}`;

export async function destroyNode(node: NodeRoot): Promise<void> {
  try {
    await converge(node, { accounts: [], sites: [], databases: [] });
  } finally {
    await stopNode(node);
    await removeNodeConfinement(node);
    // Whatever converge could not remove (a failed test mid-way) still goes.
    for (const line of (await readFile("/etc/passwd", "utf8")).split("\n")) {
      const [name, , , , , home] = line.split(":");
      if (name && home && path.dirname(home) === node.homeDir) await runCommand("/usr/sbin/userdel", [name]).catch(() => {});
    }
    // A btrfs node's store is a mounted loop image under the root: unmount it before deleting.
    if (node.storage === "btrfs") await releaseLoopStore(node);
    await rm(path.dirname(node.root), { recursive: true, force: true });
  }
}

export type Response = { status: number; body: string; headers: http.IncomingHttpHeaders };

/**
 * GET through the node's front door with a Host header, as a browser sent there by DNS would
 * (`port` picks another listener: backendGet goes straight to the site vhosts).
 */
export function httpGet(
  node: Pick<NodeRoot, "address" | "httpPort">,
  host: string,
  urlPath: string,
  {
    port = node.httpPort,
    timeoutMs = 5_000,
    headers = {},
    localAddress,
  }: { port?: number; timeoutMs?: number; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: node.address, port, path: urlPath, headers: { ...headers, host }, agent: false, timeout: timeoutMs, localAddress },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        // A body cut off after the headers (the timeout below destroys the request) ends here,
        // not in req's "error": without these the promise would never settle.
        res.on("error", reject);
        res.on("close", () => {
          if (!res.complete) reject(new Error(`GET http://${host}${urlPath}: the response was cut off`));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET http://${host}${urlPath} timed out`)));
    req.on("error", reject);
  });
}

/** GET on the node's backend port: the site vhosts themselves, without the front door. */
export function backendGet(node: NodeRoot, host: string, urlPath: string): Promise<Response> {
  return httpGet(node, host, urlPath, { port: node.backendPort });
}

export const whoamiPhp = "<?php echo 'user=', posix_getpwuid(posix_geteuid())['name'];\n";

/**
 * Something outside the agent that keeps undoing its write: appends a comment to `file` whenever it
 * lacks one, every millisecond, until the returned function is called.
 */
export function startRewriter(file: string): () => void {
  const timer = setInterval(() => {
    if (!existsSync(file)) return;
    const content = readFileSync(file, "utf8");
    if (!content.endsWith("# rewritten\n")) writeFileSync(file, `${content}# rewritten\n`);
  }, 1);
  return () => clearInterval(timer);
}
