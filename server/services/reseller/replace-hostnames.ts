import type { Tx } from "../../db";
import { AppError } from "../../errors";

/**
 * Makes a reseller's panel hostnames exactly `hostnames` (already parsed and lower-cased). A name
 * another reseller holds is a field error on its row of the form; the unique index still decides
 * if two transactions race (the caller turns that violation into a field error too).
 */
export async function replaceHostnames(tx: Tx, resellerId: string, hostnames: string[]): Promise<void> {
  if (hostnames.length > 0) {
    const taken = await tx.brandHostname.findMany({
      where: { hostname: { in: hostnames }, resellerId: { not: resellerId } },
      select: { hostname: true },
    });
    if (taken.length > 0) {
      const takenSet = new Set(taken.map((t) => t.hostname));
      const fieldErrors: Record<string, string> = {};
      hostnames.forEach((h, i) => {
        if (takenSet.has(h)) fieldErrors[`hostnames.${i}`] = `${h} is already used by another panel.`;
      });
      throw new AppError("ALREADY_EXISTS", Object.values(fieldErrors)[0]!, fieldErrors);
    }
  }
  await tx.brandHostname.deleteMany({ where: { resellerId, hostname: { notIn: hostnames } } });
  const kept = await tx.brandHostname.findMany({ where: { resellerId }, select: { hostname: true } });
  const keptSet = new Set(kept.map((k) => k.hostname));
  // No skipDuplicates: a concurrent claim by another reseller must fail here, not be skipped.
  await tx.brandHostname.createMany({
    data: hostnames.filter((h) => !keptSet.has(h)).map((hostname) => ({ resellerId, hostname })),
  });
}

export function hostnameRaceError(): AppError {
  return AppError.field("hostnames", "One of these hostnames was just taken by another panel; try again.", "ALREADY_EXISTS");
}
