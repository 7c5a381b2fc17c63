"use client";
import { textOnColour } from "@/server/domain/brand-colours";

export type PreviewValues = {
  displayName: string;
  primaryColor: string;
  accentColor: string;
  supportEmail: string;
  logoUrl: string | null;
};

/**
 * A mock of what customers will see, drawn with inline colours from the unsaved form values (the
 * real panel takes them from CSS variables set by the root layout, which only change on save).
 * Decorative: it is hidden from assistive technology, which gets the numbers beside the fields.
 */
export function BrandPreview({ values }: { values: PreviewValues }) {
  const onPrimary = textOnColour(values.primaryColor).text;
  const onAccent = textOnColour(values.accentColor).text;
  const logo = values.logoUrl ? (
    // The brand-logo route serves our own PNG re-encode.
    // eslint-disable-next-line @next/next/no-img-element -- already optimised; next/image adds nothing
    <img src={values.logoUrl} alt="" className="max-h-7 max-w-24 object-contain" />
  ) : null;

  return (
    <section aria-label="Live preview" className="flex flex-col gap-3">
      <h2 className="text-sm font-medium text-zinc-700 dark:text-zinc-300">Live preview</h2>
      <div aria-hidden="true" className="flex flex-col gap-4 select-none">
        <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800">
          <div className="flex items-center gap-3 px-4 py-3" style={{ background: values.primaryColor, color: onPrimary }}>
            {logo}
            <span className="truncate font-semibold">{values.displayName}</span>
            <span className="ml-auto text-xs opacity-90">Dashboard · Sites · Domains</span>
          </div>
          <div className="flex flex-col gap-3 p-4 text-sm text-zinc-700">
            <div className="flex items-center justify-between">
              <span className="font-medium text-zinc-900">example.com</span>
              <span
                className="rounded-full px-2 py-0.5 text-xs font-medium"
                style={{ background: values.accentColor, color: onAccent }}
              >
                New
              </span>
            </div>
            <div className="h-2 w-full rounded-full bg-zinc-100">
              <div className="h-2 w-2/3 rounded-full" style={{ background: values.primaryColor }} />
            </div>
            <span
              className="inline-flex h-9 w-fit items-center rounded-lg px-4 text-sm font-medium shadow-sm"
              style={{ background: values.primaryColor, color: onPrimary }}
            >
              Install WordPress
            </span>
          </div>
        </div>

        <div className="rounded-xl border border-zinc-200 bg-zinc-50 p-6 dark:border-zinc-800">
          <div className="mx-auto flex max-w-72 flex-col gap-3 rounded-xl border border-zinc-200 bg-white p-5 shadow-sm">
            <div className="flex items-center justify-center gap-2">
              {logo}
              <span className="font-semibold text-zinc-900">{values.displayName}</span>
            </div>
            <p className="text-center text-sm text-zinc-600">Sign in to your control panel</p>
            <span className="h-9 rounded-lg border border-zinc-300 bg-white px-3 text-sm leading-9 text-zinc-500">you@example.com</span>
            <span className="h-9 rounded-lg border border-zinc-300 bg-white px-3 text-sm leading-9 text-zinc-500">••••••••</span>
            <span
              className="h-9 rounded-lg text-center text-sm font-medium leading-9 shadow-sm"
              style={{ background: values.primaryColor, color: onPrimary }}
            >
              Sign in
            </span>
            {values.supportEmail && <p className="text-center text-xs text-zinc-500">Need help? {values.supportEmail}</p>}
          </div>
        </div>
      </div>
    </section>
  );
}
