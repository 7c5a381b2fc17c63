import { db } from "../../db";
import type { EgressSpec } from "../../contract/node-spec";
import type { PlatformBounds } from "../../domain/platform-bounds";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { getPlatformSettings, type PlatformSettingsView } from "./get-platform-settings";
import { platformSettingsId, readPlatformSettings } from "./read-platform-settings";

/** defaultNameservers: left as they are when not given (older clients send only bounds and egress). */
export type UpdatePlatformSettingsInput = { bounds: PlatformBounds; egressAllow: EgressSpec["allow"]; defaultNameservers?: string[] };

/**
 * Bounds are policy for what is sold next: existing plans are not touched (a value past a lowered
 * bound stays until someone changes it), so a bound change goes to no node. The egress allow list
 * is in every node's spec: changing it reconciles every node.
 */
export async function updatePlatformSettings(actor: Actor, input: UpdatePlatformSettingsInput): Promise<PlatformSettingsView> {
  return db.$transaction(async (tx) => {
    const before = await readPlatformSettings(tx);
    await tx.platformSettings.update({
      where: { id: platformSettingsId },
      data: { ...input.bounds, egressAllow: input.egressAllow, ...(input.defaultNameservers ? { defaultNameservers: input.defaultNameservers } : {}) },
    });
    const nameserversChanged = input.defaultNameservers !== undefined && input.defaultNameservers.join() !== before.defaultNameservers.join();
    const egressChanged = JSON.stringify(before.egressAllow) !== JSON.stringify(input.egressAllow);
    await recordChange(tx, actor, {
      action: "settings.update",
      targetType: "PlatformSettings",
      targetId: String(platformSettingsId),
      resellerId: actor.scope.resellerId,
      before: { ...before.bounds, egressAllow: before.egressAllow, defaultNameservers: before.defaultNameservers },
      after: { ...input.bounds, egressAllow: input.egressAllow, defaultNameservers: input.defaultNameservers ?? before.defaultNameservers },
      // The default nameservers are the NS of every zone whose reseller has none of its own.
      ...(egressChanged || nameserversChanged ? { outbox: { topic: "settings.changed" as const } } : {}),
    });
    return getPlatformSettings(tx);
  });
}
