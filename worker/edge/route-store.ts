import { mkdir } from "node:fs/promises";
import path from "node:path";
import { readTextIfExists, writeFileAtomic } from "../agent/config-file";
import type { NodeRoot } from "../agent/node-root";
import { parseRouteTable, type RouteTable } from "./route-table";

// The route table on disk (etc/routes.json), so that an agent restart keeps routing (and keeps
// fencing: the epochs held survive it). Written whole and atomically; read back through the same
// schema as a PUT body, because the file is outside the process and could have been edited.

export async function loadRouteTable(node: NodeRoot): Promise<RouteTable> {
  const text = await readTextIfExists(node.routesFile);
  if (text === null) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${node.routesFile} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseRouteTable(json);
}

export function serialiseRouteTable(table: RouteTable): string {
  return `${JSON.stringify({ routes: table }, null, 1)}\n`;
}

export async function saveRouteTable(node: NodeRoot, table: RouteTable): Promise<void> {
  await mkdir(path.dirname(node.routesFile), { recursive: true });
  // 0600: the table says where every customer's site lives; nobody but the agent needs it.
  await writeFileAtomic(node.routesFile, serialiseRouteTable(table), 0o600);
}
