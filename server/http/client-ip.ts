import type { BlockList } from "node:net";
import { env } from "../env";
import { clientIpFromForwardedFor, parseTrustedProxies } from "./trusted-proxies";

// How the socket peer reaches a Next 16 route handler: it does not, directly. Next's server does
//   req.headers['x-forwarded-for'] ??= originalRequest.socket.remoteAddress
// (base-server.js, handleRequestImpl), i.e. it writes the peer only when the client sent no such
// header, so a client reaching Next directly could pick its own address. The panel therefore
// stamps the peer itself before Next sees the request (peer-forwarding.ts, installed from
// instrumentation.ts): from an untrusted peer the header is exactly the peer's address; from a
// trusted proxy the peer is appended to the proxy's chain. The walk below then reads:
// - the panel reached directly (no TRUSTED_PROXY_CIDRS): the socket address, whatever was sent;
// - behind proxies that append their peer (nginx `$proxy_add_x_forwarded_for`), listed in
//   TRUSTED_PROXY_CIDRS: walking from the right, trusted hops are skipped and the first untrusted
//   address is the client; entries left of it were written by the client and never believed.
let trusted: BlockList | undefined;

/** The configured trusted proxies (TRUSTED_PROXY_CIDRS), parsed once. */
export function trustedProxies(): BlockList {
  trusted ??= parseTrustedProxies(env.TRUSTED_PROXY_CIDRS);
  return trusted;
}

export function clientIp(headers: Headers): string | null {
  return clientIpFromForwardedFor(headers.get("x-forwarded-for"), trustedProxies());
}
