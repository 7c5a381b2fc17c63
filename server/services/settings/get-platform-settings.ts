import type { Db, Tx } from "../../db";
import { db } from "../../db";
import type { EgressSpec } from "../../contract/node-spec";
import { platformBoundKeys, platformBoundTargets, type PlatformBoundKey, type PlatformBounds } from "../../domain/platform-bounds";
import { countCopyNodes, readPlatformSettings } from "./read-platform-settings";

export type PlatformSettingsView = {
  bounds: PlatformBounds;
  egressAllow: EgressSpec["allow"];
  defaultNameservers: string[];
  copyNodes: number;
  plansOverBounds: Partial<Record<PlatformBoundKey, number>>;
  updatedAt: Date;
};

/** Live plans past each bound: what lowering it left as it was (shown beside the field). */
async function countPlansOverBounds(tx: Db | Tx, bounds: PlatformBounds): Promise<Partial<Record<PlatformBoundKey, number>>> {
  const out: Partial<Record<PlatformBoundKey, number>> = {};
  for (const key of platformBoundKeys) {
    const { field, side } = platformBoundTargets[key];
    const count = await tx.plan.count({ where: { archivedAt: null, [field]: side === "max" ? { gt: bounds[key] } : { lt: bounds[key] } } });
    if (count > 0) out[key] = count;
  }
  return out;
}

// Platform-wide, not a tenant's row: only admins reach this (permission settings.read).
export async function getPlatformSettings(tx: Db | Tx = db): Promise<PlatformSettingsView> {
  const settings = await readPlatformSettings(tx);
  return {
    bounds: settings.bounds,
    egressAllow: settings.egressAllow,
    defaultNameservers: settings.defaultNameservers,
    copyNodes: await countCopyNodes(tx),
    plansOverBounds: await countPlansOverBounds(tx, settings.bounds),
    updatedAt: settings.updatedAt,
  };
}
