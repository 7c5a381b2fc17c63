import { randomBytes } from "node:crypto";
import { access, rm } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../config-file";
import type { NodeRoot } from "../node-root";
import { CommandError, runCommand } from "../run-command";
import type { AppSpec } from "../../../server/contract/node-spec";
import { phpString } from "./php-literal";
import { runPhpAs } from "./run-php";
import { installStaged } from "./stage";

// WordPress from Debian's package: a dereferenced copy of /usr/share/wordpress per site, our own
// wp-config.php, then wp_install() run by the account's user through PHP's CLI. Debian's copy is
// the customer's from then on (FS_METHOD direct lets WordPress update itself in place).

const source = "/usr/share/wordpress";
const theme = "/usr/share/wordpress/wp-content/themes/twentytwentythree/style.css";
const saltNames = [
  "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT",
] as const;

type Database = NonNullable<AppSpec["database"]>;

export function renderWpConfig(node: NodeRoot, db: Database, salt: (name: string) => string = () => randomBytes(48).toString("base64")): string {
  const define = (name: string, value: string | boolean) =>
    `define(${phpString(name)}, ${typeof value === "boolean" ? String(value) : phpString(value)});\n`;
  return `<?php
// Written once by the Shoal agent when WordPress was installed; this file is the site owner's now.
${define("DB_NAME", db.name)}${define("DB_USER", db.user)}${define("DB_PASSWORD", db.password)}// The database is on whichever node serves the site: its php-fpm pool says where (a moved or
// failed-over site must not keep calling the old node); the address is for the PHP CLI.
define('DB_HOST', getenv('SHOAL_DB_HOST') ?: ${phpString(`${node.address}:${node.mysqlPort}`)});
${define("DB_CHARSET", "utf8mb4")}${define("DB_COLLATE", "")}
${saltNames.map((name) => define(name, salt(name))).join("")}
$table_prefix = 'wp_';

// Files belong to the site's own user, who also runs its PHP: updates write in place.
${define("FS_METHOD", "direct")}// WordPress's cron fires an HTTP request at its own public name on page views; the platform runs
// wp-cron.php on a schedule instead (a page view must never make the node call out).
${define("DISABLE_WP_CRON", true)}${define("WP_DEBUG", false)}
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
`;
}

// Runs as the account's user with the values on stdin. The database is tried first so that a bad
// credential is reported as such (WordPress would print an HTML page and exit 0).
const installScript = String.raw`
$in = json_decode(stream_get_contents(STDIN), true, 8, JSON_THROW_ON_ERROR);
mysqli_report(MYSQLI_REPORT_OFF);
$db = @mysqli_connect($in['dbHost'], $in['dbUser'], $in['dbPassword'], $in['dbName'], (int) $in['dbPort']);
if (!$db) { fwrite(STDERR, mysqli_connect_error()); exit(3); }
mysqli_close($db);
$url = parse_url($in['url']);
$_SERVER['HTTP_HOST'] = $url['host'];
$_SERVER['SERVER_NAME'] = $url['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PORT'] = $url['scheme'] === 'https' ? 443 : 80;
if ($url['scheme'] === 'https') $_SERVER['HTTPS'] = 'on';
define('WP_INSTALLING', true);
chdir($in['dir']);
require $in['dir'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
// No outbound calls while installing: the permalink probe and the welcome mail would both leave
// the node (and there is no sendmail).
add_filter('pre_http_request', function () { return new WP_Error('shoal_install', 'No HTTP requests while installing.'); }, 1);
add_filter('pre_wp_mail', '__return_false');
$fresh = !is_blog_installed();
if ($fresh) {
    $result = wp_install($in['title'], $in['adminUser'], $in['adminEmail'], true, '', wp_slash($in['adminPassword']));
    if (is_wp_error($result)) { fwrite(STDERR, $result->get_error_message()); exit(4); }
}
$home = rtrim($in['url'], '/');
update_option('siteurl', $home);
update_option('home', $home);
if (!is_blog_installed()) { fwrite(STDERR, 'wp_install finished but WordPress does not report itself installed.'); exit(5); }
echo json_encode(['fresh' => $fresh]);
`;

export async function installWordPress(
  node: NodeRoot,
  site: { siteId: string; username: string; documentRoot: string },
  app: AppSpec,
): Promise<void> {
  const db = app.database;
  if (!db) throw new Error("WordPress needs a database (the spec should have said so).");
  await access(path.join(source, "wp-settings.php")).catch(() => {
    throw new Error("WordPress is not installed on this node: install the wordpress package (scripts/node-lib.sh).");
  });
  await access(theme).catch(() => {
    throw new Error("The twentytwentythree theme is missing: install wordpress-theme-twentytwentythree (scripts/node-lib.sh).");
  });
  await installStaged(node, site, {
    siteEntries: [],
    privateFiles: ["root/wp-config.php"],
    build: async (stage) => {
      // -L: the package is full of symlinks into /etc and /usr/share; the site gets real files.
      // --reflink=auto: on a copy-on-write file system (btrfs sites) the 60 MB copy costs nothing.
      await runCommand("/bin/cp", ["-aL", "--reflink=auto", "--", `${source}/.`, `${stage.documentRoot.rootPath}/`], { timeoutMs: 60_000 });
      // nginx ignores it, and Debian's points into /etc/wordpress.
      await rm(path.join(stage.documentRoot.rootPath, ".htaccess"), { force: true });
      await writeFileAtomic(path.join(stage.documentRoot.rootPath, "wp-config.php"), renderWpConfig(node, db), 0o600);
    },
    finish: async (stage) => {
      const input = {
        dir: stage.documentRoot.realPath,
        url: app.url,
        title: app.title,
        adminUser: app.adminUser,
        adminEmail: app.adminEmail,
        adminPassword: app.adminPassword,
        dbHost: node.address,
        dbPort: node.mysqlPort,
        dbName: db.name,
        dbUser: db.user,
        dbPassword: db.password,
      };
      try {
        await runPhpAs(stage.user, installScript, input, {
          timeoutMs: 30_000,
          cwd: stage.documentRoot.realPath,
          confine: { node, username: stage.user.name },
        });
      } catch (e) {
        if (e instanceof CommandError && e.exitCode === 3) {
          throw new Error(`WordPress could not connect to its database ${db.name}: ${e.output.trim()}`);
        }
        const detail = e instanceof CommandError ? e.output.trim() : e instanceof Error ? e.message : String(e);
        throw new Error(`WordPress's installer failed: ${detail.slice(0, 1000)}`);
      }
    },
  });
}
