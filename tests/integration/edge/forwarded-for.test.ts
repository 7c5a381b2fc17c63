import net from "node:net";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { testNodeTls } from "../../helpers/cluster-tls";
import { waitFor } from "../../../worker/agent/wait-for";
import { destroyNode, makeNode, uniqueUsername } from "../agent/node-harness";
import { agentCall, request, track } from "./edge-harness";

// The address PHP sees is the visitor's, and only a front door can say who that is. A client that
// reaches an internal port directly (the backend's vhosts, the hold service) with forwarding
// headers of its own is seen as the address it connected from. And every internal listener is on
// the node's own address only.

const secret = "forwarded-for-test-secret-0123456789abcdef";
const visitor = "127.0.44.50"; // a browser's address, through a front door
const insider = "127.0.44.60"; // a process on the machine that goes straight to internal ports
const forged = { "x-forwarded-for": "6.6.6.6", "x-real-ip": "6.6.6.6" };
const username = uniqueUsername("xff");
const domain = "xff.example.test";

let a: NodeRoot;
let b: NodeRoot;
let agentA: AgentServer;
let agentB: AgentServer;
const agentPort = (node: NodeRoot) => node.httpPort + 4;
const api = (node: NodeRoot, agent: AgentServer) => ({ address: node.address, port: agent.port, secret });

const infoPhp = `<?php
header('Content-Type: text/plain');
echo 'addr=', $_SERVER['REMOTE_ADDR'], ' xff=', $_SERVER['HTTP_X_FORWARDED_FOR'] ?? '-', ' real=', $_SERVER['HTTP_X_REAL_IP'] ?? '-';
`;
const seen = (address: string) => `addr=${address} xff=${address} real=${address}`;

const route = (paused: boolean) => ({ siteId: "site1", domains: [domain], target: { address: a.address, port: a.backendPort }, epoch: 1, paused });
async function putRoutes(paused: boolean) {
  for (const [node, agent] of [[a, agentA], [b, agentB]] as const) {
    const reply = await agentCall(api(node, agent), "PUT", "/v1/routes", { routes: [route(paused)] });
    expect(reply.status, JSON.stringify(reply.json)).toBe(200);
  }
}

const get = (address: string, port: number, localAddress: string | undefined) =>
  request({ address, port, host: domain, path: "/info.php", headers: forged, localAddress });

/** Whether anything accepts a TCP connection at address:port. */
function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

beforeAll(async () => {
  // A believes forwarding headers from B (another node's front door), as the cluster configures it.
  a = await makeNode("127.0.44.1", 17440, 17441, { backendPort: 17442, holdPort: 17443, trustedProxies: ["127.0.44.2"] });
  b = await makeNode("127.0.44.2", 17445, 17446, { backendPort: 17447, holdPort: 17448, trustedProxies: ["127.0.44.1"] });
  agentA = await startAgentServer({ host: a.address, port: agentPort(a), secret, nodeRoot: a, tls: await testNodeTls(a) });
  agentB = await startAgentServer({ host: b.address, port: agentPort(b), secret, nodeRoot: b, tls: await testNodeTls(b) });
  const spec = {
    accounts: [{ id: "acc1", username, status: "ACTIVE" }],
    sites: [{ id: "site1", accountId: "acc1", domains: [domain], documentRoot: "public", phpSettings: {}, status: "ACTIVE" }],
    // One database, so that the node's MariaDB runs and its listener can be checked too.
    databases: [{ id: "db1", accountId: "acc1", name: `${username}_db`, users: [{ username: `${username}_db`, password: "correct-horse-battery-staple" }] }],
  };
  const converged = await agentCall(api(a, agentA), "PUT", "/v1/spec", spec);
  expect(converged.json.results.filter((r: { ok: boolean }) => !r.ok)).toEqual([]);
  expect((await agentCall(api(b, agentB), "PUT", "/v1/spec", { accounts: [], sites: [], databases: [] })).json.failed).toBe(0);
  await writeFile(path.join(a.siteDir(username, "site1"), "public", "info.php"), infoPhp);
  await putRoutes(false);
}, 90_000);

afterAll(async () => {
  await Promise.all([agentA?.close(), agentB?.close()]);
  await Promise.all([a && destroyNode(a), b && destroyNode(b)]);
}, 60_000);

describe("the visitor's address", () => {
  it("is the one that connected to the front door, whatever the client wrote, through either node", async () => {
    for (const node of [a, b]) {
      const res = await get(node.address, node.httpPort, visitor);
      expect(res.status).toBe(200);
      expect(res.body).toBe(seen(visitor));
    }
  });

  it("is the one that connected, for a client that goes straight to the backend port", async () => {
    // From another loopback address and from 127.0.0.1 (the default source): neither is a front door.
    for (const source of [insider, undefined]) {
      const res = await get(a.address, a.backendPort, source);
      expect(res.status).toBe(200);
      expect(res.body).toBe(seen(source ?? "127.0.0.1"));
    }
  });

  it("is the one that connected, for a client that goes straight to a hold service (its own node's or another's)", async () => {
    for (const node of [a, b]) {
      const res = await get(node.address, node.holdPort, insider);
      expect(res.status).toBe(200);
      expect(res.body).toBe(seen(insider));
    }
  });

  it("survives the hold service: a paused site's request through another node's front door reaches PHP with the visitor's address", async () => {
    await putRoutes(true);
    const held = track(get(b.address, b.httpPort, visitor));
    await waitFor("the request to be held", async () => (await agentCall(api(b, agentB), "GET", "/v1/routes")).json.held === 1);
    expect(held.settled()).toBe(false);
    await putRoutes(false);
    const res = await held.promise;
    expect(res.status).toBe(200);
    expect(res.body).toBe(seen(visitor));
  });
});

describe("internal listeners", () => {
  it("are on the node's own address only: another loopback address of the machine reaches none of them", async () => {
    const ports = { frontDoor: a.httpPort, backend: a.backendPort, hold: a.holdPort, agent: agentPort(a), mariadb: a.mysqlPort };
    for (const [name, port] of Object.entries(ports)) {
      expect(await accepts(a.address, port), `${name} on ${a.address}`).toBe(true);
      expect(await accepts("127.0.44.3", port), `${name} on 127.0.44.3`).toBe(false);
      expect(await accepts("127.0.0.1", port), `${name} on 127.0.0.1`).toBe(false);
    }
  });
});
