import type { Db } from "../../db";
import { defaultSuspectAfterMs } from "../../domain/control-plane-health";

/**
 * The failure detector's suspect window as the control workers run it (each writes its own on its
 * ControlWorker row; the most recently seen one wins): past it, a node's silence means its health
 * is unknown, whatever its status says.
 */
export async function readSuspectWindow(db: Db): Promise<number> {
  const newest = await db.controlWorker.findFirst({ orderBy: { lastSeenAt: "desc" }, select: { suspectAfterMs: true } });
  return newest?.suspectAfterMs ?? defaultSuspectAfterMs;
}
