import http from "node:http";
import type { ProbeAnswer, ProbeRequest } from "../../server/contract/node-probe";

// A peer probe (POST /v1/probe): the control plane, having lost a node's heartbeat, asks the
// other nodes whether THEY can still reach that node's front door. Any HTTP answer counts as
// reachable (the probe sends a Host no site has, so nginx answers its own 404 page): what matters
// is whether the node still serves, not whether its agent does (an agent can crash while nginx
// keeps serving, and then nothing must fail over). A refused or timed-out connection is not.

/** The Host the probe sends: .invalid is reserved (RFC 6761), so no site can answer to it. */
export const probeHost = "shoal-probe.invalid";

export function probeFrontDoor(target: ProbeRequest, localAddress?: string): Promise<ProbeAnswer> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<ProbeAnswer, "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...r, ms: ms() });
    };
    const req = http.request({
      host: target.address,
      port: target.port,
      method: "GET",
      path: "/",
      headers: { host: probeHost, connection: "close" },
      agent: false,
      localAddress,
    });
    // One deadline for connect and answer alike: a frozen node accepts no connection (or accepts
    // one in the kernel and never answers), and both mean it does not serve.
    const timer = setTimeout(() => finish({ reachable: false, status: null, error: `no answer within ${target.timeoutMs} ms` }), target.timeoutMs);
    req.on("response", (res) => {
      res.resume();
      finish({ reachable: true, status: res.statusCode ?? null, error: null });
    });
    req.on("error", (e: NodeJS.ErrnoException) => finish({ reachable: false, status: null, error: e.code ?? e.message }));
    req.end();
  });
}
