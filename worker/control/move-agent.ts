import { z } from "zod";
import { AgentRejectedError, AgentUnreachableError, type AgentAddress } from "../../server/cluster/agent-client";
import { agentSecret } from "../../server/cluster/cluster-secrets";
import { snapshotName } from "../../server/domain/snapshot-name";

// The agent calls only a planned move makes (worker/control/move-site.ts), with the answers it
// reads: a route push that says whether it reloaded nginx, the drain of a paused site at an edge,
// and promote with and without `standby`. Same errors as server/cluster/agent-client.ts (which
// other work is changing at the same time; these can move there).

const routesAnswer = z.object({
  ok: z.boolean(),
  stale: z.array(z.object({ siteId: z.string(), have: z.number(), got: z.number() })),
  // Agents from before viaHold do not say; they reloaded whenever the file changed.
  reloaded: z.boolean().default(true),
});
const drainAnswer = z.object({ drained: z.boolean(), inFlight: z.number().int().min(0), waitedMs: z.number().min(0) });
const promoteAnswer = z.object({
  unchangedDatabases: z.array(z.string()).default([]),
  timingsMs: z.object({ keepCurrent: z.number(), files: z.number(), databases: z.number(), total: z.number() }),
});
const snapshotAnswer = z.object({
  name: z.string(),
  takenAt: z.string(),
  sizeBytes: z.number().int().min(0),
  timingsMs: z.object({ dump: z.number(), snapshot: z.number() }),
});
const receivedAnswer = z.object({ name: z.string(), sizeBytes: z.number().int().min(0) });
const errorBody = z.object({ error: z.object({ message: z.string(), issues: z.array(z.object({ path: z.string(), message: z.string() })).optional() }) });

export function moveAgent(node: AgentAddress, clusterSecret: string) {
  const token = agentSecret(clusterSecret, node.name);
  const base = `http://${node.address}:${node.agentPort}`;

  async function call<T>(method: string, path: string, schema: z.ZodType<T>, body: unknown, timeoutMs: number): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw unreachable(e);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AgentRejectedError(node.name, res.status, `not JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const parsed = errorBody.safeParse(json);
      throw new AgentRejectedError(node.name, res.status, parsed.success ? parsed.data.error.message : text.slice(0, 200), parsed.success ? (parsed.data.error.issues ?? []) : []);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AgentRejectedError(node.name, res.status, `unexpected answer: ${parsed.error.message}`);
    return parsed.data;
  }

  const unreachable = (e: unknown) => new AgentUnreachableError(node.name, e instanceof Error ? ((e.cause as { code?: string } | undefined)?.code ?? e.message) : String(e));
  const streamPath = (siteId: string, name: string) => `/v1/sites/${encodeURIComponent(siteId)}/snapshots/${encodeURIComponent(name)}/stream`;

  /** PUT .../stream here, the body streamed from another node's GET. */
  async function receive(siteId: string, name: string, body: ReadableStream<Uint8Array>, storage: string, sizeLater: boolean) {
    let res: Response;
    try {
      res = await fetch(`${base}${streamPath(siteId, name)}${sizeLater ? "?sizeLater=1" : ""}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "x-shoal-storage": storage },
        body,
        // @ts-expect-error Node's fetch streams a request body only in half-duplex mode.
        duplex: "half",
        signal: AbortSignal.timeout(3_600_000),
      });
    } catch (e) {
      throw unreachable(e);
    }
    const text = await res.text();
    if (!res.ok) throw new AgentRejectedError(node.name, res.status, text.slice(0, 300));
    return receivedAnswer.parse(JSON.parse(text));
  }

  const promotePath = (siteId: string) => `/v1/sites/${encodeURIComponent(siteId)}/promote`;
  return {
    receive,
    /** A snapshot of the site's files and databases; `sizeLater` lists it before its size is summed. */
    createSnapshot: (siteId: string, name: string, databases: string[], sizeLater = false) =>
      call("POST", `/v1/sites/${encodeURIComponent(siteId)}/snapshots`, snapshotAnswer, { name, databases, ...(sizeLater ? { sizeLater: true } : {}) }, 300_000),
    /**
     * Streams snapshot `name` from this node to `target` (incremental from `parent`), as
     * agent-client's sendSnapshotTo does, with the receiver's sizeLater.
     */
    async sendSnapshotTo(target: { receive: typeof receive }, siteId: string, name: string, parent: string | null, sizeLater = false) {
      let source: Response;
      try {
        source = await fetch(`${base}${streamPath(siteId, name)}${parent ? `?parent=${encodeURIComponent(parent)}` : ""}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3_600_000) });
      } catch (e) {
        throw unreachable(e);
      }
      if (!source.ok || !source.body) throw new AgentRejectedError(node.name, source.status, (await source.text()).slice(0, 300));
      let bytes = 0;
      const counted = source.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            bytes += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      const info = await target.receive(siteId, name, counted, source.headers.get("x-shoal-storage") ?? "", sizeLater);
      return { bytes, info };
    },
    putRoutes: (routes: unknown) => call("PUT", "/v1/routes", routesAnswer, { routes }, 30_000),
    /** Waits up to timeoutMs for the site's requests in flight through this edge's hold service to finish. */
    drain: (siteId: string, timeoutMs: number) => call("POST", "/v1/routes/drain", drainAnswer, { siteId, timeoutMs }, timeoutMs + 5_000),
    /** Stages snapshot `name` as the site's standby here: volume and databases, not routed. */
    stage: (siteId: string, name: string, databases: string[]) => call("POST", promotePath(siteId), promoteAnswer, { name, databases, standby: true }, 300_000),
    /** Makes snapshot `name` the live volume and databases (a standby is replaced, unchanged dumps not reloaded). */
    promote: (siteId: string, name: string, databases: string[]) =>
      call("POST", promotePath(siteId), promoteAnswer, { name, databases, keepCurrentAs: snapshotName("pre", new Date()) }, 300_000),
  };
}
