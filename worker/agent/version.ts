import { readFileSync } from "node:fs";
import { z } from "zod";

// The agent's version is the package's. This module must stay two folders below the repository
// root: the agent also runs bundled as var/build/agent.mjs, two folders deep as well, and the
// path below is resolved against whichever file is running.
export const agentVersion = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"))).version;
