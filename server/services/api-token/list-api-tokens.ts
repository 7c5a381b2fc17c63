import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { afterCursor, keysetOrder, toPage, type Page } from "../pagination";
import { apiTokenSelect, type ApiTokenRow } from "./api-token-select";

/** The caller's own tokens, newest first (revoked ones too, so the history stays readable). */
export async function listApiTokens(scope: Scope, input: { cursor?: string | null; limit: number }): Promise<Page<ApiTokenRow>> {
  const rows = await db.apiToken.findMany({
    where: { AND: [{ userId: scope.userId }, afterCursor("createdAt", "desc", input.cursor)] },
    orderBy: keysetOrder("createdAt", "desc"),
    take: input.limit + 1,
    select: apiTokenSelect,
  });
  return toPage(rows, input.limit, "createdAt");
}
