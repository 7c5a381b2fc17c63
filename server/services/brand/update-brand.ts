import { resellerWhere } from "../../auth/scope";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { contrastProblem } from "../../domain/brand-colours";
import { brandSelect, toBrandView, type BrandView } from "./brand-view";

export type UpdateBrandInput = {
  resellerId?: string | null;
  displayName: string;
  primaryColor: string;
  accentColor: string;
  nameservers: string[];
  supportEmail: string | null;
  emailSenderName: string | null;
};

const auditSelect = {
  displayName: true,
  primaryColor: true,
  accentColor: true,
  nameservers: true,
  supportEmail: true,
  emailSenderName: true,
} as const;

export async function updateBrand(actor: Actor, input: UpdateBrandInput): Promise<BrandView> {
  // Both colours carry text (buttons on primary, badges on accent): each must have a readable one.
  const fieldErrors: Record<string, string> = {};
  for (const field of ["primaryColor", "accentColor"] as const) {
    const problem = contrastProblem(input[field]);
    if (problem) fieldErrors[field] = problem;
  }
  const first = Object.values(fieldErrors)[0];
  if (first) throw new AppError("BAD_INPUT", first, fieldErrors);

  const resellerId = input.resellerId ?? actor.scope.resellerId;
  return db.$transaction(async (tx) => {
    const before = await tx.brand.findFirst({
      where: { resellerId, reseller: resellerWhere(actor.scope) },
      select: auditSelect,
    });
    if (!before) throw AppError.notFound("Brand");
    const after = {
      displayName: input.displayName,
      primaryColor: input.primaryColor,
      accentColor: input.accentColor,
      nameservers: input.nameservers,
      supportEmail: input.supportEmail,
      emailSenderName: input.emailSenderName,
    };
    const row = await tx.brand.update({
      where: { resellerId },
      data: { ...after, generation: { increment: 1 } },
      select: brandSelect,
    });
    await recordChange(tx, actor, {
      action: "brand.update",
      targetType: "Brand",
      targetId: resellerId,
      resellerId,
      before,
      after,
      // Nameservers reach the NS records of every zone in the reseller's tree.
      outbox: { topic: "brand.changed", payload: { resellerId } },
    });
    return toBrandView(row);
  });
}
