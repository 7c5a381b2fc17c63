// The brand each panel host showed a signed-out visitor, remembered in this process so that the
// maintenance page (server/http/maintenance-response.ts), which is answered exactly when the
// database cannot be asked, still wears the host's brand. Kept on globalThis because the proxy and
// the pages are bundled apart by Next.js but run in one process. A host never seen since the
// process started gets a page with no name at all: never the platform's name on a reseller's host.

export type MaintenanceBrand = { displayName: string; primaryColor: string };

const MAX_HOSTS = 1_000;
const store = globalThis as unknown as { shoalLastKnownBrands?: Map<string, MaintenanceBrand> };
const brands: Map<string, MaintenanceBrand> = (store.shoalLastKnownBrands ??= new Map<string, MaintenanceBrand>());

export function rememberHostBrand(hostname: string, brand: MaintenanceBrand): void {
  // Host names come from clients; the ones remembered here matched a BrandHostname or are the
  // platform's own, but bound it anyway.
  if (!brands.has(hostname) && brands.size >= MAX_HOSTS) brands.clear();
  brands.set(hostname, { displayName: brand.displayName, primaryColor: brand.primaryColor });
}

export function lastKnownHostBrand(hostname: string | null): MaintenanceBrand | null {
  return hostname ? (brands.get(hostname) ?? null) : null;
}
