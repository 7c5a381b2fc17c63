import path from "node:path";
import { build } from "esbuild";

// The node agent runs from one bundled ES module (var/build/agent.mjs), not through tsx: tsx
// keeps its TypeScript loader and transform caches in every agent, a large share of the agent's
// memory (figures in bench/README.md), and an agent is meant to stay small beside the sites it
// serves. npm packages stay external (node_modules); the bundle is build output, rebuilt by every
// start and never committed. It sits two folders deep, like worker/agent/, so the paths its code
// takes from import.meta.url (package.json) hold.

const root = path.resolve(import.meta.dirname, "../..");
export const agentBundle = path.join(root, "var/build/agent.mjs");

/**
 * How node runs the agent: a small young generation (V8 reserves up to 3 x 16 MB for it by
 * default on 64-bit), since the agent's allocations are short-lived request and converge garbage.
 * scripts/cluster.sh passes the same flags.
 */
export const agentNodeFlags = ["--max-semi-space-size=2"];

export async function buildAgent(): Promise<string> {
  return bundle("worker/agent/main.ts", agentBundle);
}

/**
 * The control worker of `npm start` is bundled the same way (var/build/control.mjs), for the
 * start-up time: a worker its supervisor restarts is consuming again about 2 s sooner than
 * through tsx, which compiles the whole worker tree at every start.
 */
export const controlBundle = path.join(root, "var/build/control.mjs");

export async function buildControlWorker(): Promise<string> {
  return bundle("worker/control/main.ts", controlBundle);
}

async function bundle(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    logLevel: "warning",
  });
  return outfile;
}

// `build-agent.ts` bundles the agent, `build-agent.ts control` the control worker.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  if (process.argv[2] === "control") await buildControlWorker();
  else await buildAgent();
}
