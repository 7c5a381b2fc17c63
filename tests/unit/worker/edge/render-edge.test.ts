import { describe, expect, it } from "vitest";
import { renderNginxConf, renderVhost } from "../../../../worker/agent/drivers/nginx";
import { nodeRoot } from "../../../../worker/agent/node-root";
import * as pages from "../../../../worker/edge/pages";
import { backendUpstream, renderEdgeConf, renderFrontDoor } from "../../../../worker/edge/render-edge";
import { parseRouteTable, type Route } from "../../../../worker/edge/route-table";

const config = {
  root: "/var/lib/shoal/node1",
  address: "127.0.20.1",
  httpPort: 80,
  backendPort: 8080,
  holdPort: 8081,
  extraListen: ["127.0.0.1:80"],
  mysqlPort: 3306,
};
const node = nodeRoot(config);
const route = (siteId: string, domains: string[], extra: Partial<Route> = {}): Route => ({
  siteId,
  domains,
  target: { address: "127.0.20.2", port: 8080 },
  epoch: 1,
  paused: false,
  ...extra,
});

describe("renderEdgeConf", () => {
  it("renders one keepalive upstream per backend and the hold upstream, each with its no-keepalive twin, and the Host map", () => {
    const table = parseRouteTable({
      routes: [
        route("site1", ["b.example.test", "a.example.test"]),
        route("site2", ["c.example.test"], { target: { address: "127.0.20.3", port: 18202 } }),
        route("site3", ["held.example.test"], { paused: true, target: null }),
        route("site4", ["nowhere.example.test"], { target: null }),
        route("site5", ["d.example.test"]),
      ],
    });
    expect(renderEdgeConf(node, table)).toBe(`# Shoal front-door routes, rendered by the agent from /var/lib/shoal/node1/etc/routes.json; changes are overwritten.
map_hash_bucket_size 256;
map_hash_max_size 2048;

upstream shoal_hold {
    server 127.0.20.1:8081 max_fails=0;
    keepalive 32;
}
upstream shoal_hold_fresh {
    server 127.0.20.1:8081 max_fails=0;
}
upstream shoal_backend_127_0_20_2_8080 {
    server 127.0.20.2:8080 max_fails=0;
    server 127.0.20.2:8080 max_fails=0;
    keepalive 32;
}
upstream shoal_backend_127_0_20_2_8080_fresh {
    server 127.0.20.2:8080 max_fails=0;
}
upstream shoal_backend_127_0_20_3_18202 {
    server 127.0.20.3:18202 max_fails=0;
    server 127.0.20.3:18202 max_fails=0;
    keepalive 32;
}
upstream shoal_backend_127_0_20_3_18202_fresh {
    server 127.0.20.3:18202 max_fails=0;
}

map $host $shoal_route {
    hostnames;
    default "";
    a.example.test shoal_backend_127_0_20_2_8080;
    b.example.test shoal_backend_127_0_20_2_8080;
    c.example.test shoal_backend_127_0_20_3_18202;
    d.example.test shoal_backend_127_0_20_2_8080;
    held.example.test shoal_hold;
}

# The hop's source address (proxy_bind): the node's own, which the backends and the hold service
# believe X-Forwarded-For from. Not on this node's unix socket, where an address cannot be bound.
map $shoal_route $shoal_bind {
    default 127.0.20.1;
}
`);
  });

  it("reaches this node's own backend through its unix socket, under the same upstream name", () => {
    const conf = renderEdgeConf(node, parseRouteTable({ routes: [route("site1", ["a.example.test"], { target: { address: "127.0.20.1", port: 8080 } })] }));
    expect(conf).toContain("upstream shoal_backend_127_0_20_1_8080 {\n    server unix:/var/lib/shoal/node1/run/backend/nginx.sock max_fails=0;\n");
    expect(conf).toContain("    a.example.test shoal_backend_127_0_20_1_8080;\n");
    // A socket has no address to bind the hop to: that upstream alone is reached unbound.
    expect(conf).toContain("map $shoal_route $shoal_bind {\n    default 127.0.20.1;\n    shoal_backend_127_0_20_1_8080 \"\";\n}\n");
  });

  it("sends a viaHold site to the hold service whether paused or not, so its pause and release render the same file", () => {
    const moving = (paused: boolean) => renderEdgeConf(node, parseRouteTable({ routes: [route("site1", ["moving.example.test"], { viaHold: true, paused })] }));
    expect(moving(false)).toContain("    moving.example.test shoal_hold;\n");
    expect(moving(true)).toBe(moving(false));
    // Without it, the same route goes straight to its backend.
    expect(renderEdgeConf(node, parseRouteTable({ routes: [route("site1", ["moving.example.test"])] }))).toContain("    moving.example.test shoal_backend_127_0_20_2_8080;\n");
  });

  it("is the same file whatever order the table came in", () => {
    const routes = [route("site1", ["a.example.test"]), route("site2", ["b.example.test"], { target: { address: "127.0.20.9", port: 1 } })];
    expect(renderEdgeConf(node, parseRouteTable({ routes: [...routes].reverse() }))).toBe(renderEdgeConf(node, parseRouteTable({ routes })));
  });

  it("sizes the map's hash for the number of domains", () => {
    const many = parseRouteTable({ routes: Array.from({ length: 3000 }, (_, i) => route(`s${i}`, [`d${i}.example.test`])) });
    expect(renderEdgeConf(node, many)).toContain("map_hash_max_size 8192;");
  });

  it("names upstreams with digits and underscores only", () => {
    expect(backendUpstream({ address: "10.0.0.12", port: 8080 })).toBe("shoal_backend_10_0_0_12_8080");
  });
});

describe("the front door and the backend in nginx.conf", () => {
  const conf = renderNginxConf(node);

  it("listens on the node's address and the extra listeners, logs in the shoal_edge format, and includes edge.conf", () => {
    expect(conf).toContain("        listen 127.0.20.1:80 default_server;\n        listen 127.0.0.1:80 default_server;\n");
    expect(conf).toContain("log_format shoal_edge '$msec $host $status $request_time';");
    expect(conf).toContain("access_log /var/lib/shoal/node1/log/edge-access.log shoal_edge buffer=32k flush=1s;");
    expect(conf).toContain("include /var/lib/shoal/node1/etc/nginx/edge.conf;");
    expect(conf).toContain("proxy_pass http://$shoal_route;");
    expect(conf).toContain("proxy_set_header X-Edge 127.0.20.1;");
    // The client is the front door's peer, and the next hop comes from the node's address.
    expect(conf).toContain("proxy_set_header X-Forwarded-For $remote_addr;\n        proxy_set_header X-Real-IP $remote_addr;\n");
    expect(conf).toContain("proxy_bind $shoal_bind;");
    expect(conf).toContain("proxy_read_timeout 100s;");
    // The backend's own default server, so an unknown Host on the backend port is a 404 too.
    expect(conf).toMatch(
      /listen 127\.0\.20\.1:8080 default_server;\n\s+listen unix:\/var\/lib\/shoal\/node1\/run\/backend\/nginx\.sock default_server;\n\s+server_name _;\n\s+return 404;/,
    );
    // log_format must come before the access_log that names it, and edge.conf before the vhosts.
    expect(conf.indexOf("log_format shoal_edge")).toBeLessThan(conf.indexOf("shoal_edge buffer"));
    expect(conf.indexOf("edge.conf")).toBeLessThan(conf.indexOf("sites/*.conf"));
  });

  it("sends a GET or HEAD whose hop failed to the hold service, and everything else to an error page", () => {
    const location = (name: string) => {
      const start = conf.indexOf(`        location ${name} {\n`);
      return conf.slice(start, conf.indexOf("\n        }\n", start));
    };
    // Refused or closed twice, then once more on a new connection (GET and HEAD only), then wait.
    expect(location("/")).toContain("error_page 502 = @shoal_retry;\n            error_page 504 = @shoal_timed_out;\n");
    expect(location("@shoal_retry")).toContain("error_page 502 = @shoal_wait;");
    expect(location("@shoal_retry")).toContain(`if ($request_method !~ ^(GET|HEAD)$) {\n                return 502 '${pages.unreachablePage}';`);
    // A timeout waits only when the connection was never made; a slow backend's 504 is final.
    const timedOut = location("@shoal_timed_out");
    expect(timedOut).toContain('if ($upstream_connect_time !~ "-$") {');
    expect(timedOut).toContain("error_page 418 = @shoal_wait;");
    expect(timedOut).toContain(`return 504 '${pages.timeoutPage}';`);
    // The hold service is on the node's address, whatever the route's own hop was bound to.
    expect(location("@shoal_wait")).toContain("proxy_bind 127.0.20.1;\n            proxy_pass http://shoal_hold;");
    expect(location("@shoal_wait")).toContain("error_page 502 @shoal_unreachable;");
    expect(conf).toContain("proxy_connect_timeout 2s;");
    expect(conf).toContain("recursive_error_pages on;");
  });

  it("puts the site vhosts on the backend port and believes X-Forwarded-For only from front doors", () => {
    const trusting = nodeRoot({ ...config, trustedProxies: ["10.0.0.0/24"] });
    const vhost = renderVhost(trusting, {
      siteId: "site1",
      domains: ["a.example.test"],
      status: "ACTIVE",
      siteDir: "/var/lib/shoal/node1/home/alice/sites/site1",
      documentRoot: "public",
    });
    expect(vhost).toContain("    listen 127.0.20.1:8080;\n    listen unix:/var/lib/shoal/node1/run/backend/nginx.sock;\n");
    expect(vhost).not.toContain(":80;");
    expect(vhost).toContain(
      "    set_real_ip_from unix:;\n    set_real_ip_from 127.0.20.1;\n    set_real_ip_from 10.0.0.0/24;\n    real_ip_header X-Forwarded-For;\n",
    );
    // PHP's copies of the forwarding headers are the address nginx settled on, never the client's own.
    expect(vhost).toContain("        fastcgi_param HTTP_X_FORWARDED_FOR $remote_addr;\n        fastcgi_param HTTP_X_REAL_IP $remote_addr;\n");
  });

  it("refuses a node config whose ports clash or whose extra listeners are not IPv4:port", () => {
    expect(() => nodeRoot({ root: "/n", address: "127.0.20.1", httpPort: 8080, mysqlPort: 3306 })).toThrow(/must differ/);
    expect(() => nodeRoot({ root: "/n", address: "127.0.20.1", httpPort: 80, mysqlPort: 3306, extraListen: ["0.0.0.0:80; x"] })).toThrow(
      /IPv4:port/,
    );
    expect(() => nodeRoot({ root: "/n", address: "127.0.20.1", httpPort: 80, mysqlPort: 3306, trustedProxies: ["10.0.0.0/33"] })).toThrow(
      /CIDR/,
    );
  });
});

describe("edge pages", () => {
  it("contain nothing nginx would read inside a single-quoted return string", () => {
    for (const [name, html] of Object.entries(pages)) {
      expect(html, name).not.toMatch(/['\\$]/);
      expect(html, name).toMatch(/^<!doctype html>/);
    }
    expect(renderFrontDoor(node)).toContain(`return 404 '${pages.unknownHostPage}';`);
  });
});
