import { db } from "../../db";
import type { PlanFieldBounds } from "../../domain/platform-bounds";
import { readPlanBounds } from "../settings/read-platform-settings";

/** Platform-wide and the same for every reseller: no tenant row in it. */
export async function getPlanBounds(): Promise<{ fields: PlanFieldBounds; copyNodes: number }> {
  const { allowed, copyNodes } = await readPlanBounds(db);
  return { fields: allowed, copyNodes };
}
