import type { ResolvedBrand } from "@/server/services/brand/resolve-brand";
import { cx } from "./cx";

/** The reseller's logo, or its name beside an initial in the brand colour when it has none. */
export function BrandMark({ brand, className }: { brand: Pick<ResolvedBrand, "displayName" | "logoUrl">; className?: string }) {
  if (brand.logoUrl) {
    return (
      // A plain <img>: the logo route already serves a small re-encoded PNG with cache headers.
      // eslint-disable-next-line @next/next/no-img-element
      <img src={brand.logoUrl} alt={brand.displayName} className={cx("h-8 w-auto max-w-[11rem] object-contain", className)} />
    );
  }
  const initial = brand.displayName.trim().charAt(0).toUpperCase() || "?";
  return (
    <span className={cx("flex min-w-0 items-center gap-2.5", className)}>
      <span aria-hidden="true" className="flex size-8 shrink-0 items-center justify-center rounded-lg bg-brand text-sm font-bold text-brand-fg">
        {initial}
      </span>
      <span className="truncate text-base font-semibold tracking-tight text-zinc-900 dark:text-zinc-50">{brand.displayName}</span>
    </span>
  );
}
