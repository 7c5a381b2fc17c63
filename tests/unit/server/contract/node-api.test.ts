import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentErrorBodySchema } from "../../../../server/contract/agent-error";
import { applyAnswerSchema, specAnswerSchema, stepResultSchema } from "../../../../server/contract/node-apply";
import { probeRequestSchema } from "../../../../server/contract/node-probe";
import { drainRequestSchema, routeTableSchema, routesAnswerSchema } from "../../../../server/contract/route-table";
import { createdSnapshotSchema } from "../../../../server/contract/snapshot-answers";
import { createSnapshotRequestSchema, restoreRequestSchema } from "../../../../server/contract/snapshot-requests";
import { AgentRejectedError, agentClient } from "../../../../worker/control/agent-client";
import { agentTransport, type AgentTransport } from "../../../../server/contract/agent-transport";
import { controlSubject, nodeSubject, throwawayCa } from "../../../helpers/cluster-tls";

// The node API's contract holds on both sides: a request the agent gets with a field renamed or
// missing is refused, and so is an answer the client gets.

const paths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => result.error?.issues.map((i) => i.path.join(".")) ?? [];

describe("the agent's side: requests", () => {
  it("refuses a renamed or missing field of a request body", () => {
    expect(paths(drainRequestSchema.safeParse({ siteId: "site1" }))).toEqual(["timeoutMs"]);
    expect(drainRequestSchema.safeParse({ siteId: "site1", timeoutMs: 10 }).success).toBe(true);
    expect(probeRequestSchema.safeParse({ addr: "127.0.0.1", port: 80 }).success).toBe(false);
    expect(paths(createSnapshotRequestSchema.safeParse({ snapshot: "s-20261201T201500Z" }))).toEqual(expect.arrayContaining(["name"]));
    expect(createSnapshotRequestSchema.safeParse({ name: "s-20261201T201500Z" }).success).toBe(true);
    expect(paths(restoreRequestSchema.safeParse({ name: "s-20261201T201500Z" }))).toEqual(["keepCurrentAs"]);
  });

  it("refuses a route table whose routes are under another name or miss their epoch", () => {
    const route = { siteId: "site1", domains: ["example.com"], target: { address: "10.0.0.1", port: 8080 }, epoch: 1, paused: false };
    expect(routeTableSchema.safeParse({ routes: [route] }).success).toBe(true);
    expect(routeTableSchema.safeParse({ table: [route] }).success).toBe(false);
    const { epoch: _, ...withoutEpoch } = route;
    expect(paths(routeTableSchema.safeParse({ routes: [withoutEpoch] }))).toEqual(["routes.0.epoch"]);
  });
});

describe("the client's side: answers", () => {
  it("refuses an answer with a field renamed or missing", () => {
    expect(specAnswerSchema.safeParse({ ok: true, changes: 0, failed: 0, results: [] }).success).toBe(true);
    expect(paths(specAnswerSchema.safeParse({ ok: true, changes: 0, failed: 0, steps: [] }))).toEqual(["results"]);
    expect(routesAnswerSchema.safeParse({ ok: true, applied: 1 }).success).toBe(false);
    expect(applyAnswerSchema.safeParse({ spec: { ok: true, changes: 0, failed: 0, results: [] } }).success).toBe(false);
    expect(createdSnapshotSchema.safeParse({ name: "s-20261201T201500Z", takenAt: "2026-12-01T20:15:00Z", sizeBytes: 0, databases: [] }).success).toBe(false);
    expect(agentErrorBodySchema.safeParse({ error: { code: "INVALID_SPEC", text: "The spec is invalid." } }).success).toBe(false);
  });

  it("reads a failed step's objects, and refuses one whose kind it does not know", () => {
    const failed = { step: "write vhost site1", kind: "installVhost", ok: false, error: "nginx -t failed", objects: [{ kind: "site", id: "site1" }] };
    expect(stepResultSchema.parse(failed)).toEqual(failed);
    expect(stepResultSchema.safeParse({ ...failed, objects: [{ kind: "mailbox", id: "m1" }] }).success).toBe(false);
    // A failed step without its error is no result.
    const { error: _, ...withoutError } = failed;
    expect(stepResultSchema.safeParse(withoutError).success).toBe(false);
  });
});

describe("agentClient", () => {
  let answer: unknown = null;
  let server: https.Server;
  let port = 0;
  let transport: AgentTransport;
  let ca: Awaited<ReturnType<typeof throwawayCa>>;
  // A stand-in agent over TLS from a CA of this test's own; the client is the real one.
  beforeAll(async () => {
    ca = await throwawayCa();
    server = https.createServer(await ca.issue(nodeSubject("127.0.0.1")), (req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    transport = agentTransport(await ca.issue(controlSubject));
  });
  afterAll(async () => {
    await transport.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ca.remove();
  });
  const client = () => agentClient({ name: "node1", address: "127.0.0.1", agentPort: port }, { clusterSecret: "x".repeat(32), timeoutMs: 5_000, transport });
  const spec = { accounts: [], sites: [], databases: [] };

  it("parses an answer that keeps the contract", async () => {
    answer = { ok: true, changes: 0, failed: 0, results: [] };
    await expect(client().putSpec(spec)).resolves.toEqual(answer);
  });

  it("fails an answer missing a field with an error that names it", async () => {
    answer = { ok: true, changes: 0, failed: 0 };
    const error = await client().putSpec(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentRejectedError);
    expect(error).toMatchObject({ status: 200, issues: [{ path: "results" }] });
    expect(String(error)).toContain("Node node1 refused the request (200): unexpected answer: results:");
  });

  it("fails an answer with a renamed field the same way", async () => {
    answer = { spec: { ok: true, changes: 0, failed: 0, results: [] }, route: { ok: true, applied: 0, stale: [] } };
    const error = await client().putApply(spec, { routes: [] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 200, issues: [{ path: "routes" }] });
  });
});
