import type { Prisma } from "../../generated/prisma/client";

export const brandSelect = {
  resellerId: true,
  displayName: true,
  primaryColor: true,
  accentColor: true,
  nameservers: true,
  supportEmail: true,
  emailSenderName: true,
  logoWidth: true,
  logoHeight: true,
  logoUpdatedAt: true,
  generation: true,
  updatedAt: true,
  reseller: { select: { name: true } },
} satisfies Prisma.BrandSelect;

type BrandRow = Prisma.BrandGetPayload<{ select: typeof brandSelect }>;

/** The logo URL carries its version, so the route may let browsers cache it for a year. */
export function brandLogoUrl(resellerId: string, updatedAt: Date): string {
  return `/brand-logo/${encodeURIComponent(resellerId)}?v=${updatedAt.getTime()}`;
}

export function toBrandView(row: BrandRow) {
  return {
    resellerId: row.resellerId,
    resellerName: row.reseller.name,
    displayName: row.displayName,
    primaryColor: row.primaryColor,
    accentColor: row.accentColor,
    nameservers: row.nameservers,
    supportEmail: row.supportEmail,
    emailSenderName: row.emailSenderName,
    logo:
      row.logoUpdatedAt && row.logoWidth && row.logoHeight
        ? { url: brandLogoUrl(row.resellerId, row.logoUpdatedAt), width: row.logoWidth, height: row.logoHeight }
        : null,
    generation: row.generation,
    updatedAt: row.updatedAt,
  };
}

export type BrandView = ReturnType<typeof toBrandView>;
