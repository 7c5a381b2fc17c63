import { createHash, timingSafeEqual } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { normaliseIp } from "../http/trusted-proxies";

// /metrics is never public: it names nodes and sites' traffic and shows how busy the cluster is.
// A scrape is answered when it comes from this machine's loopback address (a Prometheus or curl
// on the same host) or carries the process's bearer token. Only 127.0.0.1 and ::1 count as
// loopback: the local cluster gives each emulated node its own 127.0.x.y address, and those stand
// for other machines.

export function isLoopback(address: string | null | undefined): boolean {
  const ip = address ? normaliseIp(address) : null;
  return ip === "127.0.0.1" || ip === "::1";
}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * Whether `authorization` is "Bearer <token>". Hashed before the compare so timingSafeEqual sees
 * equal lengths and the time taken says nothing about the token; no token configured: never.
 */
export function bearerMatches(authorization: string | null | undefined, token: string | undefined): boolean {
  if (!token) return false;
  const given = /^Bearer ([\x21-\x7e]+)$/.exec(authorization ?? "")?.[1] ?? "";
  return timingSafeEqual(digest(given), digest(token)) && given !== "";
}

export const metricsPath = "/metrics";

export function isMetricsRequest(req: IncomingMessage): boolean {
  return (req.url ?? "").split("?")[0] === metricsPath;
}

/** Answers a scrape: 401 unless `allowed`, 405 for anything but GET/HEAD, else the registry's text. */
export async function answerScrape(req: IncomingMessage, res: ServerResponse, registry: Registry, allowed: boolean): Promise<void> {
  if (!allowed) {
    res.writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Bearer realm="shoal-metrics"', connection: "close" });
    res.end("A loopback caller or a valid bearer token is required.\n");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" });
    res.end();
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  res.end(req.method === "HEAD" ? undefined : body);
}

export type MetricsServer = { port: number; close(): Promise<void> };

/**
 * A server that answers only /metrics, for a process that has no HTTP server of its own (the
 * control worker). It listens on `host` (loopback unless told otherwise) and does not keep the
 * process alive.
 */
export function startMetricsServer(options: { host: string; port: number; registry: Registry; token?: string; beforeScrape?: () => Promise<void> }): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (!isMetricsRequest(req)) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("Only /metrics is served here.\n");
      return;
    }
    const allowed = isLoopback(req.socket.remoteAddress) || bearerMatches(req.headers.authorization, options.token);
    void (async () => {
      if (allowed) await options.beforeScrape?.();
      await answerScrape(req, res, options.registry, allowed);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${e instanceof Error ? e.message : String(e)}\n`);
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      server.unref();
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : options.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
