import { z } from "zod";
import { nodeLoadOutput, nodeStatusSchema } from "../node/register-node.schema";
import { tenantStatusSchema } from "../site/site.schema";

// The cluster map as the browser receives it, from this procedure (polling) and from the
// server-sent events route (app/api/admin/cluster/events), which sends the same shape.
export const getClusterMapInput = z.object({}).strict().optional();

const nodeView = z.object({
  id: z.string(),
  name: z.string(),
  status: nodeStatusSchema,
  heartbeatAgeSec: z.number().int().nullable(),
  silentSec: z.number().int().nullable(),
  capacitySites: z.number().int(),
  load: nodeLoadOutput.omit({ diskUsedMb: true, diskTotalMb: true }).nullable(),
  liveSites: z.number().int(),
  replicaSites: z.number().int(),
});

const siteView = z.object({
  id: z.string(),
  name: z.string(),
  status: tenantStatusSchema,
  liveNodeId: z.string().nullable(),
  epoch: z.number().int(),
  pinnedNodeId: z.string().nullable(),
  requestsPerSec: z.number().nullable(),
  paused: z.boolean(),
  move: z.object({ operationId: z.string(), step: z.string().nullable(), stepsDone: z.number().int(), stepsTotal: z.number().int() }).nullable(),
  replicas: z.array(z.object({ nodeId: z.string(), lagSec: z.number().int().nullable() })),
  newestSnapshotAgeSec: z.number().int().nullable(),
  protected: z.boolean(),
});

export const clusterMapOutput = z.object({ generatedAt: z.string(), nodes: z.array(nodeView), sites: z.array(siteView) });
export type ClusterMapOutput = z.infer<typeof clusterMapOutput>;
