import { appCatalog, offeredApps, type CatalogApp } from "@/server/domain/app-catalog";

// The panel's names for apps come from the catalog, so a new app needs no edit here.

export type SiteAppKey = CatalogApp;

export const appLabels = Object.fromEntries(
  (Object.keys(appCatalog) as SiteAppKey[]).map((app) => [app, appCatalog[app].label]),
) as Record<SiteAppKey, string>;

export const appDescriptions = Object.fromEntries(
  (Object.keys(appCatalog) as SiteAppKey[]).map((app) => [app, appCatalog[app].description]),
) as Record<SiteAppKey, string>;

/** The choices the new-site form offers (apps the catalog marks unavailable are left out). */
export const offeredSiteApps: readonly SiteAppKey[] = offeredApps;
