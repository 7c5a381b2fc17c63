import { z } from "zod";

// What a node says about itself outside the heartbeat: GET /v1/health (is the agent up) and
// GET /v1/state (what it observes: which services run and which objects exist). Password hashes
// and config file bodies stay on the node; the control plane diffs specs, not files.

export const healthAnswerSchema = z.object({ ok: z.literal(true), version: z.string(), uptime: z.number().int().min(0) });

export const stateAnswerSchema = z.object({
  nginx: z.object({ running: z.boolean(), vhosts: z.array(z.string()) }),
  phpFpm: z.object({ running: z.boolean(), pools: z.array(z.string()) }),
  accounts: z.array(z.object({ username: z.string(), ready: z.boolean() })),
  siteStores: z.array(z.object({ siteId: z.string(), username: z.string(), ready: z.boolean() })),
  mariadb: z.object({
    running: z.boolean(),
    initialised: z.boolean(),
    /** null while mariadbd is not running. */
    databases: z.array(z.string()).nullable(),
    users: z.array(z.object({ username: z.string(), host: z.string(), locked: z.boolean(), grants: z.array(z.string()) })).nullable(),
  }),
});
