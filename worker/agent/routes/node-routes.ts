import { nodeMetricsSchema } from "../../../server/contract/node-metrics";
import { probeAnswerSchema, probeRequestSchema } from "../../../server/contract/node-probe";
import { healthAnswerSchema, stateAnswerSchema } from "../../../server/contract/node-state";
import { parseOr422 } from "../agent-error";
import { observeNode } from "../converge";
import type { MetricsSampler } from "../metrics";
import type { NodeRoot } from "../node-root";
import { probeFrontDoor } from "../peer-probe";
import { answer, readJsonBody, type AgentRoute } from "../router";
import { agentVersion } from "../version";

// The node itself: is the agent up, its heartbeat, what it observes, and whether it reaches
// another node's front door.


export type NodeRoutesContext = {
  node: NodeRoot;
  startedAt: number;
  metrics: MetricsSampler;
  /** Whether the front door still waits for its first route table after a crash. */
  awaitingRoutes?: (() => boolean) | undefined;
  /** The document roots of the last spec given, which GET /v1/state reports site stores against. */
  documentRoots: () => ReadonlyMap<string, string>;
};

export function nodeRoutes(context: NodeRoutesContext): AgentRoute[] {
  const { node } = context;
  return [
    {
      path: "/v1/health",
      methods: { GET: async () => answer(healthAnswerSchema, { ok: true, version: agentVersion, uptime: Math.floor((Date.now() - context.startedAt) / 1000) }) },
    },
    // The control plane asks, having lost another node's heartbeat, before it declares it dead.
    {
      path: "/v1/probe",
      methods: {
        POST: async ({ req }) => {
          const target = parseOr422(probeRequestSchema, await readJsonBody(req), "INVALID_PROBE", "The probe request is invalid.", "(body)");
          return answer(probeAnswerSchema, await probeFrontDoor(target, node.address));
        },
      },
    },
    // The heartbeat, polled twice a second (metrics.ts). edge.confirmed false: the node came back
    // from a crash and its front door waits for the control plane's current route table.
    {
      path: "/v1/metrics",
      methods: { GET: async () => answer(nodeMetricsSchema, { ...(await context.metrics.sample()), edge: { confirmed: !(context.awaitingRoutes?.() ?? false) } }) },
    },
    { path: "/v1/state", methods: { GET: async () => answer(stateAnswerSchema, await observedState(node, context.documentRoots())) } },
  ];
}

async function observedState(node: NodeRoot, documentRoots: ReadonlyMap<string, string>) {
  const observed = await observeNode(node, documentRoots);
  return {
    nginx: { running: observed.nginx.running, vhosts: Object.keys(observed.nginx.vhosts) },
    phpFpm: { running: Object.values(observed.phpFpm.mains).some((m) => m.running), pools: Object.keys(observed.phpFpm.pools) },
    accounts: observed.accounts.map((a) => ({ username: a.username, ready: a.homeReady && a.userComment !== null })),
    siteStores: observed.siteStores,
    mariadb: {
      running: observed.mariadb.running,
      initialised: observed.mariadb.initialised,
      databases: observed.mariadb.state?.databases ?? null,
      users: observed.mariadb.state?.users.map((u) => ({ username: u.username, host: u.host, locked: u.locked, grants: u.grants })) ?? null,
    },
  };
}
