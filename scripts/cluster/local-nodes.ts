import { isIPv4 } from "node:net";
import { z } from "zod";

// The shape of a node as the local cluster scripts and the cluster test harness register it.

export const localNodeNameSchema = z.string().regex(/^node-[1-9][0-9]{0,2}$/, 'A local node is named "node-<n>".');

const port = z.coerce.number().int().min(1).max(65535);

export const localNodeSchema = z.strictObject({
  name: localNodeNameSchema,
  address: z.string().refine(isIPv4, "Must be an IPv4 address."),
  agentPort: port,
  httpPort: port,
  backendPort: port,
  sftpPort: port.default(2222),
});
export type LocalNode = z.infer<typeof localNodeSchema>;
export type LocalNodeInput = z.input<typeof localNodeSchema>;
