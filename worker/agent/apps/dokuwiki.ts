import { access, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../config-file";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";
import type { AppSpec } from "../../../server/contract/node-spec";
import { phpString } from "./php-literal";
import { runPhpAs } from "./run-php";
import { installStaged } from "./stage";

// DokuWiki from Debian's package, laid out so nothing private is ever under the document root:
//   <site>/<documentRoot>/        the code (a dereferenced copy of /usr/share/dokuwiki)
//   <site>/dokuwiki-data/conf/    configuration, users and ACLs (from /etc/dokuwiki)
//   <site>/dokuwiki-data/data/    pages, media, caches (from /var/lib/dokuwiki/data)
// Debian's inc/preload.php points at /etc/dokuwiki, outside the pool's open_basedir (the site
// directory); ours points at the site's own conf. The account's user owns and writes all of it.

const codeSource = "/usr/share/dokuwiki";
const confSource = "/etc/dokuwiki";
const dataSource = "/var/lib/dokuwiki/data";
export const dokuwikiDataDir = "dokuwiki-data";

/**
 * Debian unbundles DokuWiki's libraries into /usr/share, outside the pool's open_basedir (the site
 * directory). The site gets its own copies, and the few references to them become paths relative
 * to the referring file, so the site stays self-contained (a move to another node carries it all).
 */
const sharedLibraries = [
  "php/phpseclib", "php/simplepie", "php-geshi", "javascript/jquery", "javascript/jquery-ui", "javascript/jquery-cookie",
] as const;
const sharedCopy = "vendor/debian-share";
const sharedReference = /(['"])\/usr\/share\/(php|php-geshi|javascript)\//g;
const referringFiles = [
  "lib/exe/jquery.php",
  "lib/exe/js.php",
  "vendor/composer/autoload_files.php",
  "vendor/composer/autoload_psr4.php",
  "vendor/composer/autoload_namespaces.php",
  "vendor/composer/autoload_static.php",
  "vendor/composer/autoload_classmap.php",
  "inc/parserutils.php",
  "inc/load.php",
];

/** `'/usr/share/php/x'` in a file at `file` (relative to the code) becomes `__DIR__ . '/<up>/vendor/debian-share/php/x'`. */
export function relinkSharedLibraries(source: string, file: string): string {
  const up = path.posix.relative(path.posix.dirname(file), sharedCopy);
  return source.replace(sharedReference, (_match, quote: string, dir: string) => `__DIR__ . ${quote}/${up}/${dir}/`);
}

/** Files of Debian's /etc/dokuwiki that belong to the system's web servers or are replaced here. */
const confDropped = ["apache.conf", "lighttpd.conf", "htaccess", ".htaccess", "local.php", "acl.auth.php", "users.auth.php"];

export function renderPreload(siteDir: string): string {
  return `<?php
// Written by the Shoal agent: this wiki's configuration lives outside its document root.
if (!defined('DOKU_CONF')) define('DOKU_CONF', ${phpString(`${siteDir}/${dokuwikiDataDir}/conf/`)});
`;
}

export function renderLocalConf(siteDir: string, app: AppSpec): string {
  return `<?php
// Written by the Shoal agent when DokuWiki was installed; the admin's config manager may change it.
$conf['title'] = ${phpString(app.title)};
$conf['savedir'] = ${phpString(`${siteDir}/${dokuwikiDataDir}/data`)};
$conf['useacl'] = 1;
$conf['authtype'] = 'authplain';
$conf['passcrypt'] = 'bcrypt';
$conf['superuser'] = '@admin';
$conf['license'] = 'cc-by-sa';
// No calls out from the node on an admin's page view.
$conf['updatecheck'] = 0;
`;
}

/** DokuWiki's plain user file: login:hash:name:email:groups (the grammars exclude ":" and newlines). */
export function renderUsers(app: AppSpec, hash: string): string {
  if (!/^\$2y\$[0-9]{2}\$[./A-Za-z0-9]{53}$/.test(hash)) throw new Error("password_hash returned something that is not a bcrypt hash.");
  return `# users.auth.php
# <?php exit()?>
# Don't modify the lines above
#
# login:passwordhash:Real Name:email:groups,comma,separated
${app.adminUser}:${hash}:Administrator:${app.adminEmail}:admin,user
`;
}

/** A public wiki: everyone reads, signed-in users edit and upload (DokuWiki installer's "public"). */
export const aclAuth = `# acl.auth.php
# <?php exit()?>
# Don't modify the lines above
*               @ALL        1
*               @user       8
`;

export async function installDokuWiki(
  node: NodeRoot,
  site: { siteId: string; username: string; documentRoot: string },
  app: AppSpec,
): Promise<void> {
  await access(path.join(codeSource, "doku.php")).catch(() => {
    throw new Error("DokuWiki is not installed on this node: install the dokuwiki package (scripts/node-lib.sh).");
  });
  // bcrypt by PHP itself (the same password_hash DokuWiki verifies with); the password goes on stdin.
  const hash = await runPhpAs("root", "echo password_hash(json_decode(stream_get_contents(STDIN)), PASSWORD_BCRYPT);", app.adminPassword, {
    timeoutMs: 10_000,
  });
  const conf = `${dokuwikiDataDir}/conf`;
  await installStaged(node, site, {
    siteEntries: [dokuwikiDataDir],
    privateFiles: [`site/${conf}/users.auth.php`, `site/${conf}/local.php`],
    build: async (stage) => {
      const code = stage.documentRoot.rootPath;
      const data = path.join(stage.site.rootPath, dokuwikiDataDir);
      await runCommand("/bin/cp", ["-aL", "--reflink=auto", "--", `${codeSource}/.`, `${code}/`], { timeoutMs: 60_000 });
      // The web installer would let the first visitor become admin; .htaccess files are Apache's.
      for (const name of ["install.php", ".htaccess", ".htaccess.dist", ".htaccess.dist.md5sum"]) {
        await rm(path.join(code, name), { force: true });
      }
      await writeFileAtomic(path.join(code, "inc/preload.php"), renderPreload(stage.siteDir));
      for (const library of sharedLibraries) {
        const target = path.join(code, sharedCopy, library);
        await runCommand("/bin/mkdir", ["-p", "-m", "0700", "--", target], { timeoutMs: 10_000 });
        await runCommand("/bin/cp", ["-aL", "--", `/usr/share/${library}/.`, `${target}/`], { timeoutMs: 30_000 });
      }
      for (const file of referringFiles) {
        const full = path.join(code, file);
        const before = await readFile(full, "utf8");
        const after = relinkSharedLibraries(before, file);
        if (after !== before) await writeFileAtomic(full, after);
      }
      await runCommand("/bin/mkdir", ["-m", "0700", "--", data], { timeoutMs: 10_000 });
      await runCommand("/bin/cp", ["-aL", "--", `${confSource}/.`, path.join(data, "conf")], { timeoutMs: 30_000 });
      await runCommand("/bin/cp", ["-aL", "--", `${dataSource}/.`, path.join(data, "data")], { timeoutMs: 30_000 });
      for (const name of confDropped) await rm(path.join(data, "conf", name), { force: true });
      await writeFileAtomic(path.join(data, "conf/local.php"), renderLocalConf(stage.siteDir, app), 0o600);
      await writeFileAtomic(path.join(data, "conf/users.auth.php"), renderUsers(app, hash.trim()), 0o600);
      await writeFileAtomic(path.join(data, "conf/acl.auth.php"), aclAuth);
    },
  });
}
