import type { BlockList } from "node:net";
import { env } from "../env";
import { clientIpFromForwardedFor, parseTrustedProxies } from "./trusted-proxies";

// How the socket peer reaches a Next 16 route handler (checked in node_modules/next/dist/server/
// base-server.js, handleRequestImpl): it does not, directly. Next's server does
//   req.headers['x-forwarded-for'] ??= originalRequest.socket.remoteAddress
// i.e. it writes the peer address into X-Forwarded-For only when the request has no such header,
// and neither appends to nor overwrites one that is already there. `NextRequest.ip` no longer
// exists and no other request field carries the socket address.
//
// Consequences, and the design:
// - A client that talks to Next directly without the header: X-Forwarded-For is exactly its socket
//   address, so the rightmost entry is right.
// - Behind proxies that append their peer (nginx `$proxy_add_x_forwarded_for`): Next leaves the
//   chain alone (the proxy's own address is not added), so we walk it from the right, skipping
//   addresses in TRUSTED_PROXY_CIDRS (multi-hop set-ups), and take the first untrusted one. Entries
//   left of it were written by the client and are never believed.
// - A client that reaches Next directly AND sends its own X-Forwarded-For chooses the value: Next
//   hides its socket address, so no code in a route handler can tell. The per-IP login limit is
//   only as good as the deployment: Next must listen where only the trusted proxies reach it (the
//   edge), and that proxy must append or overwrite the header. The per-account limit does not
//   depend on this.
let trusted: BlockList | undefined;

export function clientIp(headers: Headers): string | null {
  trusted ??= parseTrustedProxies(env.TRUSTED_PROXY_CIDRS);
  return clientIpFromForwardedFor(headers.get("x-forwarded-for"), trusted);
}
