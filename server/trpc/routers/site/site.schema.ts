import { z } from "zod";
import { operationOutput } from "../operation/operation.schema";

export const siteAppSchema = z.enum(["NONE", "WORDPRESS", "MEDIAWIKI", "DOKUWIKI"]);
export const tenantStatusSchema = z.enum(["ACTIVE", "SUSPENDED", "TERMINATED"]);
/** The PHP versions the nodes ship (Debian 12's php8.2-fpm). */
export const phpVersionSchema = z.enum(["8.2"], { error: "Choose a PHP version this platform offers." });

/**
 * The folder inside the site's store that the web server serves. It ends up in an nginx `root`
 * line and in php-fpm's open_basedir, so it is a plain relative path: segments of letters, digits,
 * ".", "_" and "-", no "..", no leading "/", nothing that could escape the store or break a config.
 */
export const documentRootSchema = z
  .string()
  .trim()
  .min(1, "Enter a folder, for example public.")
  .max(200, "A document root can be at most 200 characters.")
  .superRefine((value, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: "custom", message, input: value });
    if (value.startsWith("/")) return issue('Use a path relative to the site\'s folder: remove the leading "/".');
    const bad = /[^A-Za-z0-9._\-/]/.exec(value);
    if (bad) {
      const shown = bad[0] === " " ? "a space" : /[\x00-\x1f\x7f]/.test(bad[0]) ? "a control character" : `"${bad[0]}"`;
      return issue(`Folder names can only contain letters, digits, ".", "_" and "-": ${shown} is not allowed.`);
    }
    const segments = value.split("/");
    if (segments.some((s) => s === "")) return issue('Folder names cannot be empty: remove the extra "/".');
    if (segments.some((s) => s === "..")) return issue('".." is not allowed: the document root must stay inside the site.');
    if (segments.some((s) => s === ".")) return issue('Remove the "." folder: it adds nothing to the path.');
  });

export const siteOutput = z.object({
  id: z.string(),
  accountId: z.string(),
  app: siteAppSchema,
  documentRoot: z.string(),
  phpVersion: z.string(),
  status: tenantStatusSchema,
  pending: z.boolean(),
  /** http://<domain>/ */
  url: z.string(),
  /** When the app's first admin login was shown (once only); null while it has not been. */
  appAdminShownAt: z.date().nullable(),
  /** True when site.revealAppAdmin would show it now (app installed, never shown). */
  appAdminRevealable: z.boolean(),
  /** When changes a returning node held were kept aside as a divergent snapshot (last 30 days). */
  divergentAt: z.date().nullable(),
  /** Disk use on the live node (files, databases, snapshots); null until first measured. */
  usage: z
    .object({
      filesBytes: z.number().int().min(0),
      databaseBytes: z.number().int().min(0),
      snapshotBytes: z.number().int().min(0),
      totalBytes: z.number().int().min(0),
      measuredAt: z.date(),
    })
    .nullable(),
  createdAt: z.date(),
  domain: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  databases: z.array(z.object({ id: z.string(), name: z.string() })),
  latestOperation: operationOutput.nullable(),
});
