import { existsSync } from "node:fs";
import { readdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { signedHeaders, unsignedPayload } from "../../../server/contract/agent-signature";
import { controlTlsDir } from "../../../server/contract/agent-transport";
import { readTlsIdentity } from "../../../server/contract/cluster-tls";
import { testNodeTls } from "../../helpers/cluster-tls";
import { waitFor } from "../../../worker/agent/wait-for";
import { backendGet, destroyNode, httpGet, makeNode, uniqueUsername, whoamiPhp } from "./node-harness";

// The agent's HTTP API in front of a real node, called over TLS as the control plane calls it
// (tls.test.ts tries the TLS layer itself): nothing gets past the signature check (no replay), a bad spec is
// refused with its path before anything is touched, a good one converges (the site answers through
// the node's nginx), and repeated or concurrent PUTs are idempotent and never interleave.

const address = "127.0.10.3";
const secret = "s3cret-for-the-api-test-0123456789abcdef";
let node: NodeRoot;
let agent: AgentServer;
const username = uniqueUsername("api");

const spec = {
  accounts: [{ id: "acc1", username, status: "ACTIVE" }],
  sites: [
    { id: "site1", accountId: "acc1", domains: ["api.example.test"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
  ],
  databases: [],
};

type Reply = { status: number; headers: http.IncomingHttpHeaders; json: any };

function call(method: string, urlPath: string, opts: { token?: string | null; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const token = opts.token === undefined ? secret : opts.token;
  // Signed as the control plane signs (a fresh nonce each time); `headers` may replace any of it.
  const headers: Record<string, string> = { ...(token === null ? {} : signedHeaders(token, method, urlPath, opts.body)), ...opts.headers };
  if (opts.body !== undefined) {
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(Buffer.byteLength(opts.body));
  }
  // Raw https.request, not fetch: these calls send what no client of ours would (a huge body, a
  // wrong content type) and read the agent's answer before it closes the connection.
  const { ca, cert, key } = readTlsIdentity(controlTlsDir());
  return new Promise((resolve, reject) => {
    const req = https.request({ host: address, port: agent.port, method, path: urlPath, headers, agent: false, timeout: 60_000, ca, cert, key }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

const putSpec = (body: unknown) => call("PUT", "/v1/spec", { body: JSON.stringify(body) });

beforeAll(async () => {
  node = await makeNode(address, 18103, 13103);
  agent = await startAgentServer({ host: address, port: 17103, secret, nodeRoot: node, tls: await testNodeTls(node) });
});

afterAll(async () => {
  await agent?.close();
  if (node) await destroyNode(node);
}, 60_000);

describe("agent HTTP API", () => {
  it("rejects a missing, wrong or differently sized token with 401 JSON, on every route", async () => {
    const tokens = [null, "x".repeat(secret.length), secret.slice(0, -1), `${secret}0`, "short", ""];
    for (const token of tokens) {
      for (const [method, route] of [["GET", "/v1/health"], ["GET", "/v1/state"], ["GET", "/v1/routes"], ["GET", "/nope"]] as const) {
        const reply = await call(method, route, { token });
        expect(reply.status, `${method} ${route} with ${String(token)}`).toBe(401);
        expect(reply.headers["content-type"]).toMatch(/^application\/json/);
        expect(reply.json.error.code).toBe("UNAUTHENTICATED");
      }
    }
    const lowerCase = await call("GET", "/v1/health", { token: null, headers: { authorization: `bearer ${secret}` } });
    expect(lowerCase.status).toBe(401);
    const basic = await call("GET", "/v1/health", { token: null, headers: { authorization: `Basic ${secret}` } });
    expect(basic.status).toBe(401);
  });

  it("refuses the right secret as a bearer token, a request sent again, a stale one, and one whose path or body changed", async () => {
    expect((await call("GET", "/v1/health", { token: null, headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    // A captured request: accepted once, refused when sent again as it was.
    const captured = signedHeaders(secret, "GET", "/v1/health");
    expect((await call("GET", "/v1/health", { token: null, headers: captured })).status).toBe(200);
    const replayed = await call("GET", "/v1/health", { token: null, headers: captured });
    expect(replayed.status).toBe(401);
    expect(replayed.json.error.code).toBe("UNAUTHENTICATED");
    // Signed well, but a minute old (or from a minute ahead): outside the window.
    for (const skew of [-60_000, 60_000]) {
      expect((await call("GET", "/v1/health", { token: null, headers: signedHeaders(secret, "GET", "/v1/health", "", Date.now() + skew) })).status).toBe(401);
    }
    // The signature covers the path and the body.
    expect((await call("GET", "/v1/state", { token: null, headers: signedHeaders(secret, "GET", "/v1/health") })).status).toBe(401);
    const probe = JSON.stringify({ address, port: 18199, timeoutMs: 500 });
    const swapped = await call("POST", "/v1/probe", { token: null, body: probe, headers: signedHeaders(secret, "POST", "/v1/probe", JSON.stringify({ address, port: 18198, timeoutMs: 500 })) });
    expect(swapped.status).toBe(401);
    // Only a snapshot stream upload may leave its body unhashed.
    expect((await call("POST", "/v1/probe", { token: null, body: probe, headers: signedHeaders(secret, "POST", "/v1/probe", unsignedPayload) })).status).toBe(401);
    expect((await call("POST", "/v1/probe", { body: probe })).status).toBe(200);
  });

  it("does not converge an unauthenticated PUT, even a valid spec", async () => {
    const reply = await call("PUT", "/v1/spec", { token: "wrong-token", body: JSON.stringify(spec) }).catch((e: unknown) => e);
    // The agent closes without reading the body, so the client may see a reset instead of the 401.
    expect((reply as Reply).status).toBe(401);
    expect(existsSync(node.root)).toBe(false);
  });

  it("answers health with the right token, 404 for an unknown route and 405 for a wrong method", async () => {
    const health = await call("GET", "/v1/health");
    expect(health.status).toBe(200);
    expect(health.headers["content-type"]).toMatch(/^application\/json/);
    expect(health.json).toEqual({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/), uptime: expect.any(Number) });

    const missing = await call("GET", "/v1/nothing");
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("NOT_FOUND");

    const wrong = await call("POST", "/v1/health", { body: "{}" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe("GET");
    expect((await call("GET", "/v1/spec")).status).toBe(405);
  });

  it("probes another node's front door: any HTTP answer is reachable; refused or silent is not; a bad request is 422 with its paths", async () => {
    const probe = (body: unknown) => call("POST", "/v1/probe", { body: JSON.stringify(body) });
    const bad = await probe({ address: "not-an-ip", port: 0, timeoutMs: 5 });
    expect(bad.status).toBe(422);
    expect(bad.json.error.code).toBe("INVALID_PROBE");
    expect(bad.json.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["address", "port", "timeoutMs"]);
    expect((await probe({ address, port: 80, extra: true })).status).toBe(422);

    // Nothing listens: refused at once.
    const refused = await probe({ address, port: 18199, timeoutMs: 1_000 });
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({ reachable: false, status: null });
    expect(refused.json.ms).toBeLessThan(1_000);

    // An HTTP server answers (whatever it says): reachable.
    const web = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => web.listen(18198, address, r));
    // A listener that accepts and never answers, as a hung node's kernel does.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(18197, address, r));
    try {
      expect((await probe({ address, port: 18198 })).json).toMatchObject({ reachable: true, status: 404, error: null });
      const hung = await probe({ address, port: 18197, timeoutMs: 300 });
      expect(hung.json).toMatchObject({ reachable: false, status: null, error: "no answer within 300 ms" });
      expect(hung.json.ms).toBeGreaterThanOrEqual(290);
    } finally {
      silent.close();
      web.close();
    }
  });

  it("refuses a bad spec with 422 and its path, and bodies that are not JSON or too big, touching nothing", async () => {
    const bad = structuredClone(spec);
    bad.sites[0]!.domains[0] = "evil.test\nserver {";
    const reply = await putSpec(bad);
    expect(reply.status).toBe(422);
    expect(reply.json.error.code).toBe("INVALID_SPEC");
    expect(reply.json.error.issues).toEqual([{ path: "sites.0.domains.0", message: "Must not contain line breaks." }]);

    const notJson = await call("PUT", "/v1/spec", { body: "{not json" });
    expect(notJson.status).toBe(400);
    const wrongType = await call("PUT", "/v1/spec", { body: JSON.stringify(spec), headers: { "content-type": "text/plain" } });
    expect(wrongType.status).toBe(415);
    const huge = await call("PUT", "/v1/spec", { body: JSON.stringify({ ...spec, pad: "x".repeat(1024 * 1024) }) }).catch(
      (e: unknown) => e,
    );
    expect((huge as Reply).status).toBe(413);

    expect(existsSync(node.root)).toBe(false);
    expect((await call("GET", "/v1/health")).status).toBe(200);
  });

  it("converges a good spec, the site answers through the node's front door once routed, and the same PUT again changes nothing", async () => {
    const first = await putSpec(spec);
    expect(first.status).toBe(200);
    expect(first.json.results.filter((r: { ok: boolean }) => !r.ok)).toEqual([]);
    expect(first.json).toMatchObject({ ok: true, failed: 0 });
    expect(first.json.changes).toBe(first.json.results.length);
    expect(first.json.results.map((r: { kind: string }) => r.kind)).toEqual(
      expect.arrayContaining(["ensureAccount", "ensureSiteStore", "installPool", "installVhost"]),
    );

    await writeFile(path.join(node.siteDir(username, "site1"), "public", "whoami.php"), whoamiPhp);
    expect((await httpGet(node, "api.example.test", "/whoami.php")).status).toBe(404);
    const routed = await call("PUT", "/v1/routes", {
      body: JSON.stringify({
        routes: [{ siteId: "site1", domains: ["api.example.test"], target: { address, port: node.backendPort }, epoch: 1, paused: false }],
      }),
    });
    expect(routed.status).toBe(200);
    expect(routed.json).toEqual({ ok: true, applied: 1, stale: [], conflicts: [], reloaded: true });
    // The same table again changes nothing nginx sees: no reload (what a move's pause relies on).
    const same = await call("PUT", "/v1/routes", {
      body: JSON.stringify({
        routes: [{ siteId: "site1", domains: ["api.example.test"], target: { address, port: node.backendPort }, epoch: 1, paused: false }],
      }),
    });
    expect(same.json).toEqual({ ok: true, applied: 1, stale: [], conflicts: [], reloaded: false });
    // Nothing of site1 is in flight through the hold service: drained at once; a bad body is a 422.
    const drain = await call("POST", "/v1/routes/drain", { body: JSON.stringify({ siteId: "site1", timeoutMs: 1000 }) });
    expect(drain.json).toMatchObject({ drained: true, inFlight: 0 });
    expect((await call("POST", "/v1/routes/drain", { body: JSON.stringify({ siteId: "../x", timeoutMs: 1000 }) })).status).toBe(422);
    // The PUT answers once the new routes are in force: no waiting needed.
    const res = await httpGet(node, "api.example.test", "/whoami.php");
    expect(res.status).toBe(200);
    expect(res.body).toBe(`user=${username}`);
    expect(res.headers["x-edge"]).toBe(address);

    const again = await putSpec(spec);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ ok: true, changes: 0, failed: 0, results: [] });

    const state = await call("GET", "/v1/state");
    expect(state.status).toBe(200);
    expect(state.json).toMatchObject({
      nginx: { running: true, vhosts: ["site1"] },
      phpFpm: { running: true, pools: ["site1"] },
      accounts: [{ username, ready: true }],
      siteStores: [{ siteId: "site1", username, ready: true }],
    });
  });

  it("serialises concurrent PUTs: both succeed and the second has nothing left to do", async () => {
    const twoSites = structuredClone(spec);
    twoSites.sites.push({ ...spec.sites[0]!, id: "site2", domains: ["two.api.example.test"] });
    const [a, b] = await Promise.all([putSpec(twoSites), putSpec(twoSites)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const replies = [a.json, b.json];
    // Arrival order decides which one does the work; exactly one of them does.
    const worked = replies.filter((r) => r.changes > 0);
    expect(worked).toHaveLength(1);
    expect(worked[0]).toMatchObject({ ok: true, failed: 0 });
    expect(worked[0].results.map((r: { step: string }) => r.step).join("\n")).toContain("site2");
    expect(replies.filter((r) => r.changes === 0)).toEqual([{ ok: true, changes: 0, failed: 0, results: [] }]);
    expect((await readdir(node.vhostDir)).sort()).toEqual(["site1.conf", "site2.conf"]);
    await waitFor("the second site", async () => (await backendGet(node, "two.api.example.test", "/")).status === 200);

    await rm(path.join(node.siteDir(username, "site1"), "public", "whoami.php"));
  });
});
