import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { startMove, type StartMoveInput } from "./start-move";

/**
 * An admin moves a site to another node (the balancer and pins start theirs through the same
 * startMove). Requests are held at the edges during the switch, not failed.
 */
export async function moveSite(actor: Actor, input: StartMoveInput): Promise<{ id: string; operationId: string }> {
  if (actor.scope.kind !== "admin") throw AppError.notFound("Site");
  return db.$transaction((tx) => startMove(tx, actor, input));
}
