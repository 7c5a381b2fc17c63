import { db } from "../../db";
import type { EgressSpec } from "../../contract/node-spec";
import type { PlatformBounds } from "../../domain/platform-bounds";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { getPlatformSettings, type PlatformSettingsView } from "./get-platform-settings";
import { platformSettingsId, readPlatformSettings } from "./read-platform-settings";

export type UpdatePlatformSettingsInput = { bounds: PlatformBounds; egressAllow: EgressSpec["allow"] };

/**
 * Bounds are policy for what is sold next: existing plans are not touched (a value past a lowered
 * bound stays until someone changes it), so a bound change goes to no node. The egress allow list
 * is in every node's spec: changing it reconciles every node.
 */
export async function updatePlatformSettings(actor: Actor, input: UpdatePlatformSettingsInput): Promise<PlatformSettingsView> {
  return db.$transaction(async (tx) => {
    const before = await readPlatformSettings(tx);
    await tx.platformSettings.update({ where: { id: platformSettingsId }, data: { ...input.bounds, egressAllow: input.egressAllow } });
    const egressChanged = JSON.stringify(before.egressAllow) !== JSON.stringify(input.egressAllow);
    await recordChange(tx, actor, {
      action: "settings.update",
      targetType: "PlatformSettings",
      targetId: String(platformSettingsId),
      resellerId: actor.scope.resellerId,
      before: { ...before.bounds, egressAllow: before.egressAllow },
      after: { ...input.bounds, egressAllow: input.egressAllow },
      ...(egressChanged ? { outbox: { topic: "settings.changed" as const } } : {}),
    });
    return getPlatformSettings(tx);
  });
}
