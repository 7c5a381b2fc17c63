import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import type { NodeRoot } from "../node-root";
import { databaseNameSchema, siteIdSchema, snapshotNameSchema } from "./names";
import { previewRollback } from "./rollback-preview";
import { siteStorage, StorageError } from "./site-storage";

// The agent's snapshot API (mounted by ../server.ts after the bearer check):
//   POST   /v1/sites/:id/snapshots                 {name, databases, sizeLater?, reuseIfUnchanged?} → the snapshot
//   GET    /v1/sites/:id/snapshots                                           → {snapshots}
//   DELETE /v1/sites/:id/snapshots/:name
//   POST   /v1/sites/:id/restore                   {name, keepCurrentAs, databases?}
//   GET    /v1/sites/:id/snapshots/:name/files?path=P                        → a listing, or the file's bytes
//   POST   /v1/sites/:id/restore-file              {name, path}
//   GET    /v1/sites/:id/snapshots/:name/diff?databases=a,b&limit=N          → RollbackPreview
//          (what restoring it would change: files and databases; rollback-preview.ts)
//   POST   /v1/sites/:id/promote                   {name, databases?, keepCurrentAs?, standby?} → PromoteResult
//          (snapshot name becomes the live volume, its dumps the databases: a move or a failover)
//   GET    /v1/sites/:id/snapshots/:name/stream?parent=P                     → the send stream
//   PUT    /v1/sites/:id/snapshots/:name/stream?sizeLater=1 (the stream as the body) → the received snapshot
//   GET    /v1/usage                                                         → UsageReport
//          (disk use of each site live here: files, dumps, snapshots; databases; usage.ts)
// A stream says which driver made it (x-shoal-storage); a node only takes its own kind.

/** Largest snapshot stream a node takes in one PUT. */
export const maxReceiveBytes = 64 * 1024 ** 3;
/** A receive whose sender goes quiet this long is cut. */
const receiveIdleMs = 60_000;

const snapshotBody = z.strictObject({ name: snapshotNameSchema, databases: z.array(databaseNameSchema).max(64).default([]), sizeLater: z.boolean().optional(), reuseIfUnchanged: snapshotNameSchema.optional() });
const restoreBody = z.strictObject({
  name: snapshotNameSchema,
  keepCurrentAs: snapshotNameSchema,
  databases: z.array(databaseNameSchema).max(64).optional(),
});
const promoteBody = z.strictObject({
  name: snapshotNameSchema,
  databases: z.array(databaseNameSchema).max(64).optional(),
  keepCurrentAs: snapshotNameSchema.optional(),
  standby: z.boolean().optional(),
});
const restoreFileBody = z.strictObject({ name: snapshotNameSchema, path: z.string().max(4096) });
const diffQuery = z.strictObject({
  databases: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(",") : []))
    .pipe(z.array(databaseNameSchema).max(64)),
  limit: z.coerce.number().int().min(0).max(1000).default(200),
});

export type StorageApiContext = {
  /** The agent's lock (converges, route changes): restores change the live site and take it too. */
  lock: { run<T>(task: () => Promise<T>): Promise<T> };
  readJsonBody(req: IncomingMessage): Promise<unknown>;
};

const pattern = /^\/v1\/sites\/([^/]+)\/(snapshots|restore|restore-file|promote)(?:\/([^/]+)(?:\/(files|stream|diff))?)?$/;

/** True when the request is a snapshot stream upload (the server gives it no overall time limit). */
export function isStreamUpload(req: IncomingMessage): boolean {
  const m = pattern.exec((req.url ?? "/").split("?")[0] ?? "/");
  return req.method === "PUT" && m?.[4] === "stream";
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ApiError(422, "INVALID", `The ${what} is invalid.`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

const statusOf: Record<StorageError["code"], number> = { NOT_FOUND: 404, ALREADY_EXISTS: 409, CONFLICT: 409, INVALID: 422 };

export function createStorageApi(node: NodeRoot, context: StorageApiContext) {
  const storage = siteStorage(node);

  async function route(req: IncomingMessage, res: ServerResponse, m: RegExpExecArray, url: URL): Promise<void> {
    const [, rawId, noun, rawName, leaf] = m;
    const method = req.method ?? "GET";
    const siteId = parse(siteIdSchema, decodeURIComponent(rawId!), "site id");
    const name = rawName === undefined ? undefined : parse(snapshotNameSchema, decodeURIComponent(rawName), "snapshot name");
    const allow = (methods: string[]) => {
      if (!methods.includes(method)) {
        res.setHeader("allow", methods.join(", "));
        throw new ApiError(405, "METHOD_NOT_ALLOWED", `${url.pathname} does not accept ${method}.`);
      }
    };
    if (noun === "snapshots" && name === undefined) {
      allow(["GET", "POST"]);
      if (method === "GET") return sendJson(res, 200, { storage: storage.kind, snapshots: await storage.listSnapshots(siteId) });
      const body = parse(snapshotBody, await context.readJsonBody(req), "body");
      const made = await storage.createSnapshot(siteId, body.name, { databases: body.databases, ...(body.sizeLater ? { sizeLater: true } : {}), ...(body.reuseIfUnchanged ? { reuseIfUnchanged: body.reuseIfUnchanged } : {}) });
      // 200: nothing was made, the site is still that snapshot.
      return sendJson(res, made.reused ? 200 : 201, made);
    }
    if (noun === "snapshots" && leaf === undefined) {
      allow(["DELETE"]);
      await storage.deleteSnapshot(siteId, name!);
      return sendJson(res, 200, { ok: true });
    }
    if (noun === "snapshots" && leaf === "files") {
      allow(["GET"]);
      const entry = await storage.readSnapshotFile(siteId, name!, url.searchParams.get("path") ?? "");
      if (entry.type !== "file") return sendJson(res, 200, entry);
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": entry.sizeBytes,
        "last-modified": new Date(entry.mtime).toUTCString(),
        "x-shoal-mode": entry.mode.toString(8),
        "cache-control": "no-store",
      });
      await pipeline(entry.open(), res);
      return;
    }
    if (noun === "snapshots" && leaf === "diff") {
      allow(["GET"]);
      const query = parse(diffQuery, Object.fromEntries(url.searchParams), "query");
      return sendJson(res, 200, await previewRollback(node, storage, siteId, name!, { databases: query.databases, limits: { listed: query.limit } }));
    }
    if (noun === "snapshots" && leaf === "stream") {
      allow(["GET", "PUT"]);
      if (method === "GET") {
        const parent = url.searchParams.get("parent");
        const stream = await storage.sendSnapshot(siteId, name!, parent === null ? undefined : parse(snapshotNameSchema, parent, "parent"));
        res.writeHead(200, { "content-type": "application/octet-stream", "x-shoal-storage": storage.kind, "cache-control": "no-store" });
        // A failed send cuts the response (no clean end), so the receiver refuses it.
        await pipeline(stream, res).catch(() => res.destroy());
        return;
      }
      if (!/^application\/octet-stream\s*(;|$)/i.test(req.headers["content-type"] ?? "")) {
        throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "The body must be application/octet-stream.");
      }
      if (req.headers["x-shoal-storage"] !== storage.kind) {
        throw new ApiError(422, "INVALID", `This node's storage is ${storage.kind}; the stream must come from the same driver (x-shoal-storage).`);
      }
      if (Number(req.headers["content-length"]) > maxReceiveBytes) throw new ApiError(413, "PAYLOAD_TOO_LARGE", `A stream must be at most ${maxReceiveBytes} bytes.`);
      req.setTimeout(receiveIdleMs, () => req.destroy(new Error("The sender went quiet.")));
      // ?sizeLater=1: see SiteStorage.createSnapshot (a move's final delta).
      const received = await storage.receiveSnapshot(siteId, req, { name: name!, maxBytes: maxReceiveBytes, ...(url.searchParams.get("sizeLater") === "1" ? { sizeLater: true } : {}) });
      return sendJson(res, 201, received);
    }
    if (noun === "restore" && name === undefined) {
      allow(["POST"]);
      const body = parse(restoreBody, await context.readJsonBody(req), "body");
      const result = await context.lock.run(() =>
        storage.restoreSnapshot(siteId, body.name, { keepCurrentAs: body.keepCurrentAs, ...(body.databases ? { databases: body.databases } : {}) }),
      );
      return sendJson(res, 200, result);
    }
    if (noun === "promote" && name === undefined) {
      allow(["POST"]);
      const body = parse(promoteBody, await context.readJsonBody(req), "body");
      // The agent's lock too: a converge must never observe the store half-swapped.
      const result = await context.lock.run(() =>
        storage.promoteSnapshot(siteId, body.name, {
          ...(body.databases ? { databases: body.databases } : {}),
          ...(body.keepCurrentAs ? { keepCurrentAs: body.keepCurrentAs } : {}),
          ...(body.standby ? { standby: true } : {}),
        }),
      );
      return sendJson(res, 200, result);
    }
    if (noun === "restore-file" && name === undefined) {
      allow(["POST"]);
      const body = parse(restoreFileBody, await context.readJsonBody(req), "body");
      return sendJson(res, 200, await context.lock.run(() => storage.restoreFile(siteId, body.name, body.path)));
    }
    throw new ApiError(404, "NOT_FOUND", `No route ${url.pathname}.`);
  }

  return {
    /** Answers the request if it is a snapshot route; false leaves it to the caller. */
    async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const url = new URL(req.url ?? "/", "http://agent");
      const usage = url.pathname === "/v1/usage";
      if (!usage && !url.pathname.startsWith("/v1/sites/")) return false;
      const m = pattern.exec(url.pathname);
      try {
        if (usage) {
          if (req.method !== "GET") {
            res.setHeader("allow", "GET");
            throw new ApiError(405, "METHOD_NOT_ALLOWED", `${url.pathname} does not accept ${req.method}.`);
          }
          sendJson(res, 200, await storage.measureUsage());
          return true;
        }
        if (!m) throw new ApiError(404, "NOT_FOUND", `No route ${url.pathname}.`);
        await route(req, res, m, url);
      } catch (e) {
        if (res.headersSent) {
          res.destroy();
          return true;
        }
        if (!req.complete) res.setHeader("connection", "close");
        if (e instanceof ApiError) sendJson(res, e.status, { error: { code: e.code, message: e.message, ...e.extra } });
        else if (e instanceof StorageError) sendJson(res, statusOf[e.code], { error: { code: e.code, message: e.message } });
        else if (e instanceof URIError) sendJson(res, 400, { error: { code: "BAD_REQUEST", message: "The path is not valid percent-encoding." } });
        else {
          // The server's own body errors (415, 413, 400) carry their status.
          const status = (e as { status?: unknown }).status;
          if (typeof status === "number" && status >= 400 && status < 500) {
            sendJson(res, status, { error: { code: status === 413 ? "PAYLOAD_TOO_LARGE" : status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : "BAD_REQUEST", message: (e as Error).message } });
          } else sendJson(res, 500, { error: { code: "INTERNAL", message: e instanceof Error ? e.message : String(e) } });
        }
      }
      return true;
    },
  };
}
