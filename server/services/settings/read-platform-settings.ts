import type { Db, Tx } from "../../db";
import type { EgressSpec } from "../../contract/node-spec";
import { egressSpecSchema } from "../../contract/node-spec";
import { effectivePlanBounds, platformBoundKeys, type PlanFieldBounds, type PlatformBounds } from "../../domain/platform-bounds";

export type PlatformSettingsRow = { bounds: PlatformBounds; egressAllow: EgressSpec["allow"]; defaultNameservers: string[]; updatedAt: Date };

export const platformSettingsId = 1;

/**
 * The platform's settings row (id 1, made by its migration; made again with the defaults if
 * someone deleted it). egressAllow is checked again on the way out: it reaches every node.
 */
export async function readPlatformSettings(tx: Db | Tx): Promise<PlatformSettingsRow> {
  const row =
    (await tx.platformSettings.findUnique({ where: { id: platformSettingsId } })) ??
    (await tx.platformSettings.upsert({ where: { id: platformSettingsId }, create: { id: platformSettingsId }, update: {} }));
  const bounds = Object.fromEntries(platformBoundKeys.map((key) => [key, row[key]])) as PlatformBounds;
  return { bounds, egressAllow: egressSpecSchema.shape.allow.parse(row.egressAllow), defaultNameservers: row.defaultNameservers, updatedAt: row.updatedAt };
}

/** Nodes a site's copy can go to: every node but those being drained. */
export function countCopyNodes(tx: Db | Tx): Promise<number> {
  return tx.node.count({ where: { status: { not: "DRAINING" } } });
}

/** What each plan field may be right now, for the plan services and the plan form. */
export async function readPlanBounds(tx: Db | Tx): Promise<{ allowed: PlanFieldBounds; bounds: PlatformBounds; copyNodes: number }> {
  const settings = await readPlatformSettings(tx);
  const copyNodes = await countCopyNodes(tx);
  return { allowed: effectivePlanBounds(settings.bounds, copyNodes), bounds: settings.bounds, copyNodes };
}
