import http from "node:http";
import https from "node:https";
import type { BlockList } from "node:net";
import { normaliseIp } from "./trusted-proxies";

/**
 * The X-Forwarded-For a request should carry once its socket peer is known. Next 16 only fills the
 * header with the peer when the client sent none (`??=`), so a client talking to the panel
 * directly could choose its own address. Here the peer is always made the last hop:
 * - a peer that is not a trusted proxy: the header becomes exactly the peer (what it claims is
 *   unverifiable and dropped);
 * - a trusted proxy: the peer is appended to the chain the proxy sent, so clientIp's walk from the
 *   right skips it and reads the address the proxy wrote.
 * An unknown peer (a closed socket) leaves no header, so nothing unverified is believed.
 */
export function forwardedForWithPeer(
  sent: string | string[] | undefined,
  peer: string | undefined,
  trusted: BlockList,
): string | undefined {
  const address = peer ? normaliseIp(peer) : null;
  if (!address) return undefined;
  const family = address.includes(":") ? "ipv6" : "ipv4";
  if (!trusted.check(address, family)) return address;
  const chain = (Array.isArray(sent) ? sent.join(",") : (sent ?? "")).trim();
  return chain ? `${chain}, ${address}` : address;
}

/** Sets a Node request's X-Forwarded-For from its socket peer (forwardedForWithPeer). */
export function stampPeer(req: http.IncomingMessage, trusted: BlockList): void {
  const value = forwardedForWithPeer(req.headers["x-forwarded-for"], req.socket?.remoteAddress, trusted);
  if (value === undefined) delete req.headers["x-forwarded-for"];
  else req.headers["x-forwarded-for"] = value;
}

let installed = false;

/**
 * Makes every HTTP(S) server in this process stamp the socket peer into X-Forwarded-For before
 * any listener sees a request. `next start` creates its server itself and gives application code
 * no hook between the socket and the header, so the 'request' event is intercepted on the server
 * prototypes; the panel calls this from its instrumentation hook, before requests are handled.
 */
export function installPeerForwarding(trusted: BlockList): void {
  if (installed) return;
  installed = true;
  for (const proto of [http.Server.prototype, https.Server.prototype] as Array<{ emit: (event: string | symbol, ...args: unknown[]) => boolean }>) {
    const emit = proto.emit;
    proto.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
      if (event === "request") stampPeer(args[0] as http.IncomingMessage, trusted);
      return emit.call(this, event, ...args);
    };
  }
}
