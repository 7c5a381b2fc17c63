import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, toLog, type Log } from "../../../../server/observability/logger";
import { bearerMatches, isLoopback } from "../../../../server/observability/metrics-http";

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
  return { stream, lines: () => chunks.join("").split("\n").filter((l) => l !== "") };
}

describe("logger", () => {
  it("writes one JSON line per event with the component, the message under msg and the ids as fields", () => {
    const out = capture();
    const log = toLog(createLogger("control", { destination: out.stream, pretty: false }));
    log("move s1: done, edges answer 200", { siteId: "s1", operationId: "o1", nodeId: "n1" });
    log("control worker started (balancer on)");
    const [first, second] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ level: "info", component: "control", msg: "move s1: done, edges answer 200", siteId: "s1", operationId: "o1", nodeId: "n1" });
    expect(typeof first!.time).toBe("string");
    expect(second).toMatchObject({ component: "control", msg: "control worker started (balancer on)" });
  });

  it("keeps the message text findable by the patterns that read worker logs", () => {
    const out = capture();
    toLog(createLogger("control", { destination: out.stream, pretty: false }))("replicated snap-2 of site s1 to node-2: 512 bytes (incremental from snap-1)", { siteId: "s1" });
    expect(out.lines()[0]).toMatch(/replicated (\S+) of site s1 to node-2: (\d+) bytes \((incremental from \S+|full)\)/);
  });

  it("prints human-readable lines when pretty", () => {
    const out = capture();
    createLogger("agent", { destination: out.stream, pretty: true }).warn({ nodeId: "n1" }, "Could not resume nginx");
    const text = out.lines().join("\n");
    expect(text).toContain("WARN");
    expect(text).toContain("[agent] Could not resume nginx");
    expect(text).toContain('nodeId: "n1"');
  });

  it("accepts the workers' plain (line) => void functions as a Log", () => {
    const lines: string[] = [];
    const plain = (line: string) => void lines.push(line);
    const log: Log = plain;
    log("x", { siteId: "s" });
    expect(lines).toEqual(["x"]);
  });
});

describe("metrics access", () => {
  it("counts only this machine's loopback addresses as loopback", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopback("127.0.31.2")).toBe(false);
    expect(isLoopback("203.0.113.9")).toBe(false);
    expect(isLoopback(null)).toBe(false);
    expect(isLoopback("")).toBe(false);
  });

  it("matches the bearer token exactly, and never without one configured", () => {
    expect(bearerMatches("Bearer token-0123456789abcdef", "token-0123456789abcdef")).toBe(true);
    expect(bearerMatches("Bearer token-0123456789abcdeX", "token-0123456789abcdef")).toBe(false);
    expect(bearerMatches("bearer token-0123456789abcdef", "token-0123456789abcdef")).toBe(false);
    expect(bearerMatches(null, "token-0123456789abcdef")).toBe(false);
    expect(bearerMatches("Bearer ", "")).toBe(false);
    expect(bearerMatches("Bearer x", undefined)).toBe(false);
  });
});
