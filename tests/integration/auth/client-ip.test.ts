import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth } from "../../../server/auth/auth";
import { clientIp } from "../../../server/http/client-ip";
import { installPeerForwarding, stampPeer } from "../../../server/http/peer-forwarding";
import { parseTrustedProxies } from "../../../server/http/trusted-proxies";
import { makeWorld } from "../../helpers/fixtures";

// The panel reached directly (no TRUSTED_PROXY_CIDRS): a real HTTP server with the peer stamping
// the panel installs from instrumentation.ts, in front of better-auth's handler, as Next's server
// is in front of the route handler.
let server: http.Server;
let base: string;

beforeAll(async () => {
  await makeWorld();
  installPeerForwarding(parseTrustedProxies(""));
  server = http.createServer((req, res) => void answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  if (req.url === "/whoami") {
    res.end(clientIp(headers) ?? "none");
    return;
  }
  const reply = await auth.handler(
    new Request(`http://localhost:3000${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined }),
  );
  res.writeHead(reply.status, { "content-type": "application/json" });
  res.end(await reply.text());
}

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("the per-address sign-in limit with the panel reached directly", () => {
  it("keys on the socket address, whatever X-Forwarded-For the client invents", async () => {
    const who = await fetch(`${base}/whoami`, { headers: { "x-forwarded-for": "198.51.100.7, 198.51.100.8" } });
    expect(await who.text()).toBe("127.0.0.1");

    // A different invented address and account on every guess: only the per-address limit (20
    // failures in 15 minutes) can stop this, and it must.
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const res = await fetch(`${base}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", host: "localhost:3000", "x-forwarded-for": `198.51.100.${i + 1}` },
        body: JSON.stringify({ email: `guess-${i}@example.test`, password: "wrong-password-1" }),
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
  });
});

describe("stampPeer", () => {
  const fakeReq = (peer: string, xff?: string) =>
    ({ socket: { remoteAddress: peer }, headers: xff ? { "x-forwarded-for": xff } : {} }) as unknown as http.IncomingMessage;
  const ipOf = (req: http.IncomingMessage) => clientIp(new Headers({ "x-forwarded-for": String(req.headers["x-forwarded-for"] ?? "") }));

  it("from a trusted proxy, reads the address the proxy appended and never what the client wrote", () => {
    const trusted = parseTrustedProxies("10.0.0.0/8");
    const req = fakeReq("::ffff:10.1.2.3", "6.6.6.6, 203.0.113.50");
    stampPeer(req, trusted);
    expect(req.headers["x-forwarded-for"]).toBe("6.6.6.6, 203.0.113.50, 10.1.2.3");
  });

  it("from an untrusted peer, drops the header the client sent", () => {
    const req = fakeReq("203.0.113.9", "10.0.0.1");
    stampPeer(req, parseTrustedProxies("10.0.0.0/8"));
    expect(req.headers["x-forwarded-for"]).toBe("203.0.113.9");
    expect(ipOf(req)).toBe("203.0.113.9");
  });
});
