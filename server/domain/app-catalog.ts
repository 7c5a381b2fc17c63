import type { SiteApp } from "../generated/prisma/enums";
import type { StepKind } from "./operation-kinds";

// The one-click apps, as data: the panel's choices, the control plane's database and operation
// steps, and the agent's installer all read this table, so offering an app is an entry here plus
// an installer in worker/agent/apps/. Pure: no imports beyond the enum's and the step kinds' types.

export type AppInstallerKind = "wordpress" | "dokuwiki";

export type AppCatalogEntry = {
  label: string;
  /** Shown under the choice in the new-site form. */
  description: string;
  /** False: kept in the enum (existing rows) but not offered; `unavailableReason` says why. */
  available: boolean;
  unavailableReason?: string;
  /** Which installer the agent runs; null for a plain site. */
  installer: AppInstallerKind | null;
  /** The MariaDB database made for the app: `<username>_<suffix>`; null when it keeps files only. */
  database: { suffix: string } | null;
  /** Debian packages the node needs (scripts/node-lib.sh node_packages_apps installs them). */
  debianPackages: readonly string[];
  /** Where the admin signs in, relative to the site's URL. */
  adminLoginPath: string | null;
  adminUsernameDefault: string | null;
  /** Operation steps the app adds after the site's own, in order. */
  operationSteps: readonly StepKind[];
};

export const appCatalog = {
  NONE: {
    label: "Plain PHP",
    description: "An empty site: upload your own files.",
    available: true,
    installer: null,
    database: null,
    debianPackages: [],
    adminLoginPath: null,
    adminUsernameDefault: null,
    operationSteps: [],
  },
  WORDPRESS: {
    label: "WordPress",
    description: "Blog or website. Creates a database for it.",
    available: true,
    installer: "wordpress",
    database: { suffix: "wp" },
    debianPackages: ["wordpress", "wordpress-theme-twentytwentythree"],
    adminLoginPath: "/wp-login.php",
    adminUsernameDefault: "admin",
    operationSteps: ["app install"],
  },
  MEDIAWIKI: {
    label: "MediaWiki",
    description: "A wiki like Wikipedia. Creates a database for it.",
    available: false,
    unavailableReason: "MediaWiki is not offered yet: choose DokuWiki for a wiki.",
    installer: null,
    database: { suffix: "wiki" },
    debianPackages: ["mediawiki"],
    adminLoginPath: null,
    adminUsernameDefault: null,
    operationSteps: [],
  },
  DOKUWIKI: {
    label: "DokuWiki",
    description: "A simple wiki that keeps pages in files.",
    available: true,
    installer: "dokuwiki",
    database: null,
    debianPackages: ["dokuwiki"],
    adminLoginPath: "/doku.php?do=login",
    adminUsernameDefault: "admin",
    operationSteps: ["app install"],
  },
} as const satisfies Record<SiteApp, AppCatalogEntry>;

export type CatalogApp = keyof typeof appCatalog;

/** The apps a customer may choose, in the catalog's order. */
export const offeredApps = (Object.keys(appCatalog) as CatalogApp[]).filter((app) => appCatalog[app].available);

/** The catalog entry as the general type (optional fields readable on every entry). */
export const appEntry = (app: SiteApp): AppCatalogEntry => appCatalog[app];
