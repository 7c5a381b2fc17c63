import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { converge, stopNode } from "../../../worker/agent/converge";
import { nodeRoot, type NodeRoot } from "../../../worker/agent/node-root";
import { runCommand } from "../../../worker/agent/run-command";

// A throwaway node for one test file: a root under /var/tmp (see node-root.ts for why not /tmp),
// its own loopback address and ports, and a teardown that stops every master and deletes every
// user the file created, whatever state the tests left.

export async function makeNode(address: string, httpPort: number, mysqlPort: number): Promise<NodeRoot> {
  const dir = await mkdtemp("/var/tmp/shoal-agent-test-");
  // mkdtemp makes it 0700; mysql, www-data and the account users must pass through it.
  await chmod(dir, 0o755);
  return nodeRoot({ root: path.join(dir, "node"), address, httpPort, mysqlPort });
}

/** A unique account username, so parallel test files never share a system user. */
export const uniqueUsername = (prefix: string) => `${prefix}${randomBytes(3).toString("hex")}`;

export async function destroyNode(node: NodeRoot): Promise<void> {
  try {
    await converge(node, { accounts: [], sites: [], databases: [] });
  } finally {
    await stopNode(node);
    // Whatever converge could not remove (a failed test mid-way) still goes.
    for (const line of (await readFile("/etc/passwd", "utf8")).split("\n")) {
      const [name, , , , , home] = line.split(":");
      if (name && home && path.dirname(home) === node.homeDir) await runCommand("/usr/sbin/userdel", [name]).catch(() => {});
    }
    await rm(path.dirname(node.root), { recursive: true, force: true });
  }
}

export type Response = { status: number; body: string };

/** GET through the node's own nginx with a Host header, as a browser sent there by DNS would. */
export function httpGet(node: NodeRoot, host: string, urlPath: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: node.address, port: node.httpPort, path: urlPath, headers: { host }, agent: false, timeout: 5_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET http://${host}${urlPath} timed out`)));
    req.on("error", reject);
  });
}

export const whoamiPhp = "<?php echo 'user=', posix_getpwuid(posix_geteuid())['name'];\n";
