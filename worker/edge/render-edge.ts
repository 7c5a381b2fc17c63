import type { NodeRoot } from "../agent/node-root";
import { loopPage, timeoutPage, unknownHostPage, unreachablePage } from "./pages";
import type { RouteTable, RouteTarget } from "./route-table";

// What the node's nginx renders for its front door. Two parts: the front-door server block,
// which depends only on the node (part of nginx.conf, renderNginxConf), and edge.conf, which the
// route table decides (upstreams and the Host map, rewritten on every PUT /v1/routes).
//
// One hop, never a loop: a front door proxies only to backend ports (site vhosts, which serve
// files and PHP and never proxy) or to this agent's hold service (which forwards only to a
// backend port). A request that already carries X-Edge came from a front door, so a front
// door that receives one (a target wrongly pointing at a front door) refuses it with 508 instead
// of passing it on again.

export const holdUpstream = "shoal_hold";
/** The twin of every upstream that keeps no connections alive: the front door's last try. */
const freshSuffix = "_fresh";

/** A route target's upstream block name; only digits and underscores join the fixed prefix. */
export function backendUpstream(target: RouteTarget): string {
  return `shoal_backend_${target.address.replaceAll(".", "_")}_${target.port}`;
}

/** The upstreams and the $host → upstream map. Every value was grammar-checked (route-table.ts). */
export function renderEdgeConf(node: NodeRoot, table: RouteTable): string {
  const targets = new Map<string, RouteTarget>();
  const entries: [string, string][] = [];
  for (const route of table) {
    let upstream: string;
    // A site a move is under goes through the hold service all along (route-table.ts, viaHold).
    if (route.paused || route.viaHold) upstream = holdUpstream;
    else if (route.target) {
      upstream = backendUpstream(route.target);
      targets.set(upstream, route.target);
    } else continue; // served nowhere and not held: the map's default, a 404
    for (const domain of route.domains) entries.push([domain, upstream]);
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const upstreams = [...targets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  // This node's own backend is reached through its unix socket (same vhosts, cheaper hop).
  const local = (t: RouteTarget) => t.address === node.address && t.port === node.backendPort;
  const server = (t: RouteTarget) => (local(t) ? `unix:${node.backendSocket}` : `${t.address}:${t.port}`);
  const localUpstreams = upstreams.filter(([, t]) => local(t)).map(([name]) => name);

  // nginx builds the map's hash at the end of the map block, with the sizes set before it. A
  // bucket must hold the longest key (253 characters); the table must be able to spread every key.
  let maxSize = 2048;
  while (maxSize < entries.length * 2) maxSize *= 2;

  // Keepalive: the hop to a backend reuses connections, so the front door costs no TCP handshake
  // per request (bench/edge.ts measures what the hop costs).
  //
  // Each backend is listed twice. nginx never retries a request on an upstream of one server (it
  // sets the tries left to zero after the first failure), so when the backend's nginx reloads
  // and closes the idle kept-alive connections, a request that just went out on one of them got
  // a 502. With two entries an idempotent request is retried; max_fails=0: one address behind
  // both entries must never be marked down ("no live upstreams" for 10 s). Two entries are two
  // tries, though, and both can land on cached connections the reload is closing: each upstream
  // has a twin, <name>_fresh, without keepalive, that the front door's last try goes to
  // (renderFrontDoor, @shoal_retry), which is always a new connection.
  const upstreamBlock = (name: string, server: string, twice: boolean) => `upstream ${name} {
    server ${server} max_fails=0;
${twice ? `    server ${server} max_fails=0;
` : ""}    keepalive 32;
}
upstream ${name}${freshSuffix} {
    server ${server} max_fails=0;
}
`;
  return `# Shoal front-door routes, rendered by the agent from ${node.routesFile}; changes are overwritten.
map_hash_bucket_size 256;
map_hash_max_size ${maxSize};

${upstreamBlock(holdUpstream, `${node.address}:${node.holdPort}`, false)}${upstreams
    .map(([name, t]) => upstreamBlock(name, server(t), true))
    .join("")}
map $host $shoal_route {
    hostnames;
    default "";
${entries.map(([domain, upstream]) => `    ${domain} ${upstream};\n`).join("")}}

# The hop's source address (proxy_bind): the node's own, which the backends and the hold service
# believe X-Forwarded-For from. Not on this node's unix socket, where an address cannot be bound.
map $shoal_route $shoal_bind {
    default ${node.address};
${localUpstreams.map((name) => `    ${name} "";\n`).join("")}}
`;
}

const quoted = (html: string) => `'${html}'`;

/**
 * The front door: every hosted domain arrives here and is proxied, Host preserved, to the upstream
 * the map names. The read timeouts are long because a request may wait in the hold service (up to
 * 30 s) and then run on the backend, whose own fastcgi timeout (60 s) must fire first.
 *
 * When the hop itself fails, a GET or HEAD is not answered with an error page but goes to this
 * node's hold service (@shoal_wait), which keeps it until the backend takes a connection again or
 * the route table sends the site to another node (a failover), bounded by the hold's timeout
 * (hold-service.ts). That is the case for a backend that refused the connection or closed it
 * without an answer (a node that died, with a request inside it or not: an idempotent request is
 * safe to send again) and for one that took no connection in time (a node cut off). A backend
 * that took the request and did not answer in time is slow, not gone: its request is not sent
 * again (the 504 page). Other methods get the error page at once: a POST may have run.
 */
export function renderFrontDoor(node: NodeRoot): string {
  const listens = [`${node.address}:${node.httpPort}`, ...node.extraListen]
    .map((address) => `        listen ${address} default_server;\n`)
    .join("");
  return `    # Parsed by the metrics collector for per-site request rates: keep the fields and their order.
    log_format shoal_edge '$msec $host $status $request_time';

    # The front door (render-edge.ts). An unknown host gets a plain 404 page, never some other site.
    server {
${listens}        server_name _;
${frontDoorBody(node, "http")}    }
`;
}

/**
 * What every front-door server does, plain or TLS (render-tls.ts renders a server per certificate
 * around this same body). On plain HTTP it also answers ACME HTTP-01 challenges from the files the
 * agent writes (a token none of ours falls through to the site, which may answer its own) and
 * sends a site that asked for it to HTTPS.
 */
export function frontDoorBody(node: NodeRoot, scheme: "http" | "https"): string {
  const httpsAuthority = node.httpsPort === 443 ? "$host" : `$host:${node.httpsPort}`;
  const plainOnly =
    scheme === "http"
      ? `        location ^~ /.well-known/acme-challenge/ {
            root ${node.acmeRoot};
            default_type "text/plain";
            add_header X-Edge ${node.address} always;
            try_files $uri @shoal_site;
        }
        location @shoal_site {
            if ($http_x_edge) {
                return 508 ${quoted(loopPage)};
            }
            if ($shoal_route = "") {
                return 404 ${quoted(unknownHostPage)};
            }
            proxy_pass http://$shoal_route;
        }
`
      : "";
  const redirect =
    scheme === "http"
      ? `            if ($shoal_https_redirect) {
                return 308 https://${httpsAuthority}$request_uri;
            }
`
      : "";
  // HSTS only over TLS (a browser ignores it on plain HTTP); an empty value adds no header.
  const hsts = scheme === "https" ? `        add_header Strict-Transport-Security $shoal_hsts always;
` : "";
  return `        access_log ${node.edgeAccessLog} shoal_edge buffer=32k flush=1s;
        # The pages below are returned as text; proxied responses keep their own Content-Type.
        types { }
        default_type "text/html; charset=utf-8";

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        # The client is whoever connected here; a client's own X-Forwarded-For is not passed on.
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Real-IP $remote_addr;
        # From the node's address (edge.conf's map), the only source the next hop believes.
        proxy_bind $shoal_bind;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Edge ${node.address};
        add_header X-Edge ${node.address} always;
${hsts}        # A node on the cluster's network takes a connection in well under a millisecond; this
        # leaves room for one lost SYN (sent again after a second). Each of a backend's two
        # entries gets it, so a node that takes no connection costs 4 s before its GETs wait.
        proxy_connect_timeout 2s;
        proxy_send_timeout 100s;
        proxy_read_timeout 100s;
        # Each failure of the hop goes through the named locations below, one after the other
        # (each has error pages of its own); a site's own 502 passes through untouched.
        recursive_error_pages on;

${plainOnly}        location / {
            if ($http_x_edge) {
                return 508 ${quoted(loopPage)};
            }
${redirect}            if ($shoal_route = "") {
                return 404 ${quoted(unknownHostPage)};
            }
            error_page 502 = @shoal_retry;
            error_page 504 = @shoal_timed_out;
            proxy_pass http://$shoal_route;
        }
        # A hop that failed on both tries (cached connections a reload was closing) gets one more
        # on a new connection (edge.conf's <upstream>_fresh), GET and HEAD only.
        location @shoal_retry {
            error_page 502 = @shoal_wait;
            error_page 504 = @shoal_timed_out;
            if ($request_method !~ ^(GET|HEAD)$) {
                return 502 ${quoted(unreachablePage)};
            }
            proxy_pass http://\${shoal_route}${freshSuffix};
        }
        # A timeout: the connection was not made (the last try's connect time is "-"), or the
        # backend has the request and is slow.
        location @shoal_timed_out {
            error_page 418 = @shoal_wait;
            if ($request_method !~ ^(GET|HEAD)$) {
                return 504 ${quoted(timeoutPage)};
            }
            if ($upstream_connect_time !~ "-$") {
                return 504 ${quoted(timeoutPage)};
            }
            return 418;
        }
        # GET and HEAD whose backend is unreachable wait in this node's hold service. It is on
        # the node's address, which it believes X-Forwarded-For from (also for a route to this
        # node's own unix socket, where $shoal_bind is empty).
        location @shoal_wait {
            error_page 502 @shoal_unreachable;
            error_page 504 @shoal_timeout;
            proxy_bind ${node.address};
            proxy_pass http://${holdUpstream};
        }
        location @shoal_unreachable {
            return 502 ${quoted(unreachablePage)};
        }
        location @shoal_timeout {
            return 504 ${quoted(timeoutPage)};
        }
`;
}
