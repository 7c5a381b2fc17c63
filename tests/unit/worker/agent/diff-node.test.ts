import { describe, expect, it } from "vitest";
import { describeStep, diffNode, planNode, type DesiredNode, type ObservedNode, type Step } from "../../../../worker/agent/diff-node";
import { nativePasswordHash } from "../../../../worker/agent/drivers/mariadb";
import { accountComment } from "../../../../worker/agent/drivers/unix-user";
import { nodeRoot } from "../../../../worker/agent/node-root";
import { parseNodeSpec, type NodeSpec, type NodeSpecInput } from "../../../../server/contract/node-spec";

const node = nodeRoot({ root: "/var/lib/shoal/node1", address: "127.0.10.1", httpPort: 80, mysqlPort: 3307 });

const group = { path: "unified/shoal/127.0.10.1", level: 2, inode: 1 };
const plan = (s: NodeSpec) => planNode(node, s, group);

const spec = (overrides: Partial<NodeSpecInput> = {}): NodeSpec =>
  parseNodeSpec({
    accounts: [{ id: "acc1", username: "alice", status: "ACTIVE" }],
    sites: [
      {
        id: "site1",
        accountId: "acc1",
        domains: ["example.com", "www.example.com"],
        documentRoot: "public",
        phpSettings: { memory_limit: "256M" },
        status: "ACTIVE",
      },
    ],
    databases: [
      { id: "db1", accountId: "acc1", name: "alice_shop", users: [{ username: "alice_shop", password: "correct-horse-battery" }] },
    ],
    ...overrides,
  });

const empty = (): ObservedNode => ({
  nginx: { running: false, main: null, vhosts: {} },
  phpFpm: { legacy: false, mains: {}, pools: {} },
  egress: null,
  accounts: [],
  cgroups: {},
  quotas: {},
  siteStores: [],
  mariadb: { running: false, initialised: false, state: null },
  appMarkers: {},
  tls: { conf: null, certificates: {}, challenges: {} },
});

/** What the node looks like once `desired` has been applied: the fixed point of diffNode. */
function converged(desired: DesiredNode): ObservedNode {
  return {
    nginx: { running: true, main: desired.nginxMain, vhosts: Object.fromEntries(desired.sites.map((s) => [s.id, s.vhost])) },
    phpFpm: {
      legacy: false,
      mains: Object.fromEntries(Object.entries(desired.phpFpmMains).map(([u, main]) => [u, { running: true, main }])),
      pools: Object.fromEntries(desired.sites.flatMap((s) => (s.pool === null ? [] : [[s.id, { username: s.username, content: s.pool }]]))),
    },
    egress: desired.egressRules,
    accounts: desired.accounts.map((a) => ({ username: a.username, userComment: accountComment(a.id), homeReady: true })),
    cgroups: Object.fromEntries(desired.accounts.map((a) => [a.username, { cpuPercent: a.limits.cpuPercent, memoryMb: a.limits.memoryMb, pids: a.limits.pids }])),
    quotas: Object.fromEntries(
      desired.accounts.map((a) => [
        a.username,
        { limitBytes: a.limits.diskMb * 1024 ** 2, siteIds: desired.sites.filter((s) => s.username === a.username).map((s) => s.id).sort() },
      ]),
    ),
    siteStores: desired.sites.map((s) => ({ siteId: s.id, username: s.username, ready: true })),
    appMarkers: Object.fromEntries(desired.sites.flatMap((s) => (s.app ? [[s.id, s.app.kind]] : []))),
    tls: { conf: desired.tls.conf, certificates: { ...desired.tls.certificates }, challenges: { ...desired.tls.challenges } },
    mariadb: {
      running: true,
      initialised: true,
      state: {
        databases: desired.databases.map((d) => d.name).sort(),
        users: desired.databases.flatMap((d) =>
          d.users.map((u) => ({
            username: u.username,
            host: "%",
            passwordHash: nativePasswordHash(u.password),
            locked: u.locked,
            grants: [d.name],
          })),
        ),
      },
    },
  };
}

const kinds = (steps: Step[]) => steps.map((s) => s.kind);
const indexOf = (steps: Step[], predicate: (s: Step) => boolean) => {
  const i = steps.findIndex(predicate);
  expect(i, "step not found").toBeGreaterThanOrEqual(0);
  return i;
};

describe("diffNode", () => {
  it("builds an empty node in dependency order", () => {
    const steps = diffNode(empty(), plan(spec()));
    expect(kinds(steps)).toEqual([
      "writeNginxMain",
      "applyEgressRules",
      "ensureAccount",
      "ensureAccountCgroup",
      "ensureSiteStore",
      "ensureAccountQuota",
      "writePhpFpmMain",
      "installPool",
      "startPhpFpm",
      "writeTlsConf",
      "installVhost",
      "startNginx",
      "startMariadb",
      "ensureDatabase",
      "ensureDatabaseUser",
    ]);
    expect(steps).toContainEqual({ kind: "startPhpFpm", username: "alice", sockets: ["site1"] });
    expect(steps).toContainEqual({
      kind: "ensureDatabaseUser",
      username: "alice_shop",
      password: "correct-horse-battery",
      database: "alice_shop",
    });
  });

  it("returns no steps for a converged node (idempotent)", () => {
    const desired = plan(spec());
    expect(diffNode(converged(desired), desired)).toEqual([]);
  });

  it("returns no steps for an empty spec on an empty node, and does not start MariaDB", () => {
    const desired = plan(spec({ accounts: [], sites: [], databases: [] }));
    const observed = { ...converged(desired), mariadb: { running: false, initialised: false, state: null } };
    expect(diffNode(observed, desired)).toEqual([]);
  });

  it("tears everything down in the reverse order when the spec empties", () => {
    const before = plan(spec());
    const steps = diffNode(converged(before), plan(spec({ accounts: [], sites: [], databases: [] })));
    expect(steps).toEqual([
      { kind: "installPool", siteId: "site1", username: "alice", content: null },
      // The account's last pool: its master stops (no reload of anyone's PHP).
      { kind: "stopPhpFpm", username: "alice" },
      { kind: "writePhpFpmMain", username: "alice", content: null },
      { kind: "installVhost", siteId: "site1", content: null },
      { kind: "reloadNginx" },
      { kind: "dropDatabaseUser", username: "alice_shop", host: "%" },
      { kind: "dropDatabase", name: "alice_shop" },
      { kind: "removeSiteStore", siteId: "site1", username: "alice" },
      { kind: "removeAccount", username: "alice" },
    ]);
  });

  it("rewrites only the vhost and reloads only nginx when a domain is added", () => {
    const before = plan(spec());
    const s = spec();
    s.sites[0]!.domains.push("shop.example.com");
    const after = plan(s);
    const steps = diffNode(converged(before), after);
    expect(kinds(steps)).toEqual(["installVhost", "reloadNginx"]);
    expect((steps[0] as { content: string }).content).toContain("server_name example.com www.example.com shop.example.com;");
  });

  it("rewrites only the pool and reloads only php-fpm when a PHP setting changes", () => {
    const before = plan(spec());
    const s = spec();
    s.sites[0]!.phpSettings = { memory_limit: "512M", max_execution_time: "60" };
    const steps = diffNode(converged(before), plan(s));
    expect(kinds(steps)).toEqual(["installPool", "reloadPhpFpm"]);
    const content = (steps[0] as { content: string }).content;
    expect(content).toContain("php_admin_value[memory_limit] = 512M");
    expect(content).toContain("php_admin_value[max_execution_time] = 60");
  });

  it("suspends a site: the pool goes, the vhost serves the suspended page, the database stays usable", () => {
    const before = plan(spec());
    const s = spec();
    s.sites[0]!.status = "SUSPENDED";
    const after = plan(s);
    const steps = diffNode(converged(before), after);
    expect(steps).toEqual([
      { kind: "installPool", siteId: "site1", username: "alice", content: null },
      { kind: "stopPhpFpm", username: "alice" },
      { kind: "writePhpFpmMain", username: "alice", content: null },
      { kind: "installVhost", siteId: "site1", content: after.sites[0]!.vhost },
      { kind: "reloadNginx" },
    ]);
    expect(after.sites[0]!.vhost).toContain("return 503;");
    expect(after.sites[0]!.vhost).not.toContain("fastcgi_pass");
  });

  it("suspending an account suspends its sites and locks its database users after proving them", () => {
    const before = plan(spec());
    const s = spec();
    s.accounts[0]!.status = "SUSPENDED";
    const steps = diffNode(converged(before), plan(s));
    expect(kinds(steps)).toEqual(["installPool", "stopPhpFpm", "writePhpFpmMain", "installVhost", "reloadNginx", "setDatabaseUserLock"]);
    expect(steps.at(-1)).toEqual({ kind: "setDatabaseUserLock", username: "alice_shop", locked: true });

    const fresh = diffNode(empty(), plan(s));
    expect(indexOf(fresh, (x) => x.kind === "ensureDatabaseUser")).toBeLessThan(
      indexOf(fresh, (x) => x.kind === "setDatabaseUserLock"),
    );
  });

  it("unlocks a database user before re-proving its login", () => {
    const s = spec();
    s.accounts[0]!.status = "SUSPENDED";
    const suspended = converged(plan(s));
    const active = spec();
    active.databases[0]!.users[0]!.password = "a-brand-new-password";
    const steps = diffNode(suspended, plan(active));
    const unlock = indexOf(steps, (x) => x.kind === "setDatabaseUserLock" && !x.locked);
    expect(unlock).toBeLessThan(indexOf(steps, (x) => x.kind === "ensureDatabaseUser"));
  });

  it("resets a database user whose password, or grants, differ", () => {
    const desired = plan(spec());
    const drifted = converged(desired);
    drifted.mariadb.state!.users[0]!.passwordHash = nativePasswordHash("someone-else-set-this");
    expect(kinds(diffNode(drifted, desired))).toEqual(["ensureDatabaseUser"]);

    const extraGrant = converged(desired);
    extraGrant.mariadb.state!.users[0]!.grants = ["alice_shop", "alice_other"];
    expect(kinds(diffNode(extraGrant, desired))).toEqual(["ensureDatabaseUser"]);
  });

  it("drops users and databases the spec does not name, including the same user at another host", () => {
    const desired = plan(spec());
    const observed = converged(desired);
    observed.mariadb.state!.databases.push("alice_old");
    observed.mariadb.state!.users.push({ username: "alice_shop", host: "localhost", passwordHash: "", locked: false, grants: [] });
    expect(diffNode(observed, desired)).toEqual([
      { kind: "dropDatabaseUser", username: "alice_shop", host: "localhost" },
      { kind: "dropDatabase", name: "alice_old" },
    ]);
  });

  it("sets up and starts MariaDB on a node that only keeps replicas, so a failover's promote can load databases at once", () => {
    const desired = plan(spec({ sites: [], databases: [], replicas: [{ siteId: "site1", accountId: "acc1" }] }));
    const observed = { ...converged(desired), mariadb: { running: false, initialised: false, state: null } };
    expect(kinds(diffNode(observed, desired))).toContain("startMariadb");
    const none = plan(spec({ sites: [], databases: [], replicas: [] }));
    expect(kinds(diffNode({ ...converged(none), mariadb: { running: false, initialised: false, state: null } }, none))).not.toContain("startMariadb");
  });

  it("starts a stopped MariaDB that has data even when no database is wanted, so leftovers get dropped", () => {
    const desired = plan(spec({ databases: [] }));
    const observed = { ...converged(desired), mariadb: { running: false, initialised: true, state: null } };
    expect(kinds(diffNode(observed, desired))).toEqual(["startMariadb"]);
  });

  it("restarts dead masters without rewriting anything", () => {
    const desired = plan(spec());
    const observed = converged(desired);
    observed.nginx.running = false;
    observed.phpFpm.mains.alice!.running = false;
    expect(diffNode(observed, desired)).toEqual([{ kind: "startPhpFpm", username: "alice", sockets: ["site1"] }, { kind: "startNginx" }]);
  });

  it("repairs a hand-edited vhost and a changed main config", () => {
    const desired = plan(spec());
    const observed = converged(desired);
    observed.nginx.vhosts.site1 = "server { broken";
    observed.nginx.main = "# edited";
    expect(kinds(diffNode(observed, desired))).toEqual(["writeNginxMain", "installVhost", "reloadNginx"]);
  });

  it("re-ensures an account whose home is wrong or whose user was made by someone else", () => {
    const desired = plan(spec());
    const badHome = converged(desired);
    badHome.accounts[0]!.homeReady = false;
    expect(diffNode(badHome, desired)).toEqual([{ kind: "ensureAccount", accountId: "acc1", username: "alice" }]);

    const foreign = converged(desired);
    foreign.accounts[0]!.userComment = "Alice Liddell";
    expect(kinds(diffNode(foreign, desired))).toEqual(["ensureAccount"]);
  });

  it("re-ensures a site store that is incomplete (a document root that changed)", () => {
    const desired = plan(spec());
    const observed = converged(desired);
    observed.siteStores[0]!.ready = false;
    expect(kinds(diffNode(observed, desired))).toEqual(["ensureSiteStore"]);
  });

  it("refuses to move a site between accounts and leaves its files, pool and vhost alone", () => {
    const s = spec({
      accounts: [
        { id: "acc1", username: "alice", status: "ACTIVE", provider: null },
        { id: "acc2", username: "bob", status: "ACTIVE", provider: null },
      ],
    });
    const before = plan(s);
    const observed = converged(before);
    s.sites[0]!.accountId = "acc2";
    const steps = diffNode(observed, plan(s));
    expect(steps).toEqual([{ kind: "refuseSiteMove", siteId: "site1", from: "alice", to: "bob" }]);
  });

  it("removes a pool and vhost left behind by a site that is no longer in the spec", () => {
    const desired = plan(spec());
    const observed = converged(desired);
    observed.phpFpm.pools.gone1 = { username: "alice", content: "[site_gone1]\n" };
    observed.nginx.vhosts.gone1 = "server {}\n";
    observed.siteStores.push({ siteId: "gone1", username: "alice", ready: true });
    expect(diffNode(observed, desired)).toEqual([
      { kind: "installPool", siteId: "gone1", username: "alice", content: null },
      { kind: "reloadPhpFpm", username: "alice", sockets: ["site1"], goneSockets: ["gone1"] },
      { kind: "installVhost", siteId: "gone1", content: null },
      { kind: "reloadNginx" },
      { kind: "removeSiteStore", siteId: "gone1", username: "alice" },
    ]);
  });

  it("removes an orphaned account after the configs that used it", () => {
    const desired = plan(spec());
    const observed = converged(desired);
    observed.accounts.push({ username: "carol", userComment: accountComment("acc9"), homeReady: true });
    expect(diffNode(observed, desired)).toEqual([{ kind: "removeAccount", username: "carol" }]);
  });
});

describe("planNode", () => {
  it("renders the pool with the account's user, its own socket, open_basedir and no exec family", () => {
    const site = plan(spec()).sites[0]!;
    expect(site.pool).toContain("user = alice\n");
    expect(site.pool).toContain("listen = /var/lib/shoal/node1/run/php/site1.sock\n");
    expect(site.pool).toContain("listen.owner = www-data\n");
    expect(site.pool).toContain("pm = ondemand\n");
    expect(site.pool).toContain(
      "php_admin_value[open_basedir] = /var/lib/shoal/node1/home/alice/sites/site1/files/:/var/lib/shoal/node1/home/alice/tmp/site1/\n",
    );
    expect(site.pool).toMatch(/php_admin_value\[disable_functions\] = .*\bexec\b.*\bshell_exec\b.*\bproc_open\b/);
  });

  it("renders the vhost for the node's address with both domains, dotfiles denied, fastcgi by absolute path", () => {
    const { vhost } = plan(spec()).sites[0]!;
    expect(vhost).toContain("listen 127.0.10.1:8080;");
    expect(vhost).toContain("server_name example.com www.example.com;");
    expect(vhost).toContain("root /var/lib/shoal/node1/home/alice/sites/site1/files/public;");
    expect(vhost).toContain("include /etc/nginx/fastcgi_params;");
    expect(vhost).toContain("fastcgi_pass unix:/var/lib/shoal/node1/run/php/site1.sock;");
    expect(vhost).toContain("deny all;");
  });

  it("renders a main nginx config with every temp path and the vhost include", () => {
    const { nginxMain } = plan(spec());
    for (const temp of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
      expect(nginxMain).toContain(`${temp}_temp_path /var/lib/shoal/node1/run/nginx/${temp};`);
    }
    expect(nginxMain).toContain("user www-data;");
    expect(nginxMain).toContain("pid /var/lib/shoal/node1/run/nginx.pid;");
    expect(nginxMain).toContain("include /var/lib/shoal/node1/etc/nginx/sites/*.conf;");
  });
});

describe("diffNode: one-click apps", () => {
  const wordpress = {
    kind: "wordpress" as const,
    title: "Alice's blog",
    url: "http://example.com/",
    adminUser: "admin",
    adminEmail: "alice@example.com",
    adminPassword: "a-long-admin-password",
    database: { name: "alice_shop", user: "alice_shop", password: "correct-horse-battery" },
  };
  const withApp = (app: object = wordpress, status: "ACTIVE" | "SUSPENDED" = "ACTIVE") => {
    const s = spec();
    s.sites[0] = { ...s.sites[0]!, app } as NodeSpec["sites"][number];
    s.accounts[0]!.status = status;
    return parseNodeSpec(s);
  };

  it("installs the app after the store, the pool and vhost reloads and the database", () => {
    const steps = diffNode(empty(), plan(withApp()));
    const install = indexOf(steps, (s) => s.kind === "installApp");
    expect(install).toBeGreaterThan(indexOf(steps, (s) => s.kind === "ensureSiteStore"));
    expect(install).toBeGreaterThan(indexOf(steps, (s) => s.kind === "startPhpFpm"));
    expect(install).toBeGreaterThan(indexOf(steps, (s) => s.kind === "startNginx"));
    expect(install).toBeGreaterThan(indexOf(steps, (s) => s.kind === "ensureDatabaseUser"));
    expect(steps[install]).toEqual({ kind: "installApp", siteId: "site1", username: "alice", documentRoot: "public", app: wordpress });
    expect(describeStep(steps[install]!)).toBe("install wordpress on site site1 (alice/public)");
    expect(describeStep(steps[install]!)).not.toContain(wordpress.adminPassword);
  });

  it("installs into an already converged site whose spec gains an app, and nothing else", () => {
    const steps = diffNode(converged(plan(spec())), plan(withApp()));
    expect(kinds(steps)).toEqual(["installApp"]);
  });

  it("is a fixed point once the marker says installed", () => {
    const desired = plan(withApp());
    expect(diffNode(converged(desired), desired)).toEqual([]);
  });

  it("never reinstalls over an unreadable marker (the files are the customer's)", () => {
    const desired = plan(withApp());
    expect(diffNode({ ...converged(desired), appMarkers: { site1: null } }, desired)).toEqual([]);
  });

  it("refuses to change the kind of an installed app", () => {
    const desired = plan(withApp({ ...wordpress, kind: "dokuwiki", database: null }));
    const observed = { ...converged(desired), appMarkers: { site1: "wordpress" } };
    expect(diffNode(observed, desired)).toEqual([{ kind: "refuseAppChange", siteId: "site1", installed: "wordpress", wanted: "dokuwiki" }]);
  });

  it("waits while the account is suspended (its database users are locked)", () => {
    const desired = plan(withApp(wordpress, "SUSPENDED"));
    expect(desired.sites[0]!.app).toBeNull();
    expect(kinds(diffNode(empty(), desired))).not.toContain("installApp");
  });

  it("does not install on a site stored under another account", () => {
    const desired = plan(withApp());
    const observed = { ...converged(desired), siteStores: [{ siteId: "site1", username: "bob", ready: true }], appMarkers: {} };
    expect(kinds(diffNode(observed, desired))).not.toContain("installApp");
  });
});

describe("the suspended page under the provider's brand", () => {
  it("names the reseller in an inline 503 page, escaped for HTML and for nginx", () => {
    const s = spec({
      accounts: [{ id: "acc1", username: "alice", status: "SUSPENDED", provider: { name: `Tom's "$host" {Hosting} & Co; \\`, supportEmail: "help@tom.example" } }],
    });
    const vhost = plan(s).sites[0]!.vhost;
    expect(vhost).toContain("return 503 '<!doctype html>");
    expect(vhost).toContain("This site is hosted by Tom&#39;s &#34;&#36;host&#34; {Hosting} &#38; Co; &#92;.");
    expect(vhost).toContain('<a href="mailto:help@tom.example">');
    // Nothing in the page can end the quoted string, escape or start a variable.
    const page = /return 503 '(.*)';/.exec(vhost)![1]!;
    expect(page).not.toMatch(/['$\\]/);
  });

  it("keeps the node's generic page for an account without a provider", () => {
    const vhost = plan(spec({ accounts: [{ id: "acc1", username: "alice", status: "SUSPENDED", provider: null }] })).sites[0]!.vhost;
    expect(vhost).toContain("/suspended;");
    expect(vhost).not.toContain("return 503 '");
  });
});

describe("diffNode: replicas", () => {
  const site = () => spec().sites[0]!;
  /** The node keeps site1 as a replica only; `databases` are what else the spec still lists. */
  const replicaSpec = (databases: NodeSpec["databases"] = []) =>
    spec({ sites: [], databases, replicas: [{ siteId: "site1", accountId: "acc1" }] });

  it("makes the account of a replica and nothing else: no store, pool, vhost or database (MariaDB runs, empty, for a failover)", () => {
    const desired = plan(replicaSpec());
    expect(desired.replicas).toEqual([{ id: "site1", username: "alice" }]);
    expect(diffNode(empty(), desired)).toEqual([
      { kind: "writeNginxMain", content: desired.nginxMain },
      { kind: "applyEgressRules", content: desired.egressRules },
      { kind: "ensureAccount", accountId: "acc1", username: "alice" },
      { kind: "ensureAccountCgroup", username: "alice", limits: desired.accounts[0]!.limits },
      // A replica's copy is not under the account's disk limit: a full account must not stop it.
      { kind: "ensureAccountQuota", username: "alice", diskMb: 1024, siteIds: [] },
      { kind: "writeTlsConf", content: desired.tls.conf },
      { kind: "startNginx" },
      { kind: "startMariadb" },
    ]);
  });

  it("is a fixed point for a replica node without a live volume (its snapshots are not a store)", () => {
    const desired = plan(replicaSpec());
    const observed = converged(desired);
    expect(observed.siteStores).toEqual([]);
    expect(diffNode(observed, desired)).toEqual([]);
  });

  it("demotes a live site to a replica: pool, vhost, its database and users go, the live volume goes with its snapshots kept", () => {
    const observed = converged(plan(spec()));
    const steps = diffNode(observed, plan(replicaSpec()));
    expect(steps).toEqual([
      { kind: "ensureAccountQuota", username: "alice", diskMb: 1024, siteIds: [] },
      { kind: "installPool", siteId: "site1", username: "alice", content: null },
      // The account's last pool: its master stops (no reload of anyone's PHP).
      { kind: "stopPhpFpm", username: "alice" },
      { kind: "writePhpFpmMain", username: "alice", content: null },
      { kind: "installVhost", siteId: "site1", content: null },
      { kind: "reloadNginx" },
      { kind: "dropDatabaseUser", username: "alice_shop", host: "%" },
      { kind: "dropDatabase", name: "alice_shop" },
      { kind: "demoteSiteStore", siteId: "site1", username: "alice" },
    ]);
    expect(describeStep(steps.at(-1)!)).toBe("remove the live volume of replica site1 (alice), keeping its snapshots");
    // The account stays: the snapshots' files are its, and a promote needs it.
    expect(kinds(steps)).not.toContain("removeAccount");
    expect(kinds(steps)).not.toContain("removeSiteStore");
  });

  it("keeps a database the spec still lists when its site becomes a replica", () => {
    const observed = converged(plan(spec()));
    const steps = diffNode(observed, plan(replicaSpec(spec().databases)));
    expect(kinds(steps)).toEqual(["ensureAccountQuota", "installPool", "stopPhpFpm", "writePhpFpmMain", "installVhost", "reloadNginx", "demoteSiteStore"]);
  });

  it("is a fixed point once demoted", () => {
    const desired = plan(replicaSpec());
    const observed = converged(desired);
    // MariaDB was initialised while the site was live; with no database wanted it keeps running.
    expect(diffNode(observed, desired)).toEqual([]);
  });

  it("tears down a site in neither sites nor replicas with its snapshots, as before", () => {
    const observed = converged(plan(spec()));
    const desired = plan(spec({ sites: [], databases: [], replicas: [{ siteId: "other1", accountId: "acc1" }] }));
    expect(diffNode(observed, desired)).toContainEqual({ kind: "removeSiteStore", siteId: "site1", username: "alice" });
    expect(kinds(diffNode(observed, desired))).not.toContain("demoteSiteStore");
  });

  it("leaves a replica's volume stored under another account alone", () => {
    const accounts = [
      { id: "acc1", username: "alice", status: "ACTIVE" as const, provider: null },
      { id: "acc2", username: "bob", status: "ACTIVE" as const, provider: null },
    ];
    const observed = converged(plan(spec({ accounts })));
    const steps = diffNode(observed, plan(spec({ accounts, sites: [], databases: [], replicas: [{ siteId: "site1", accountId: "acc2" }] })));
    expect(steps).toContainEqual({ kind: "refuseSiteMove", siteId: "site1", from: "alice", to: "bob" });
    expect(kinds(steps).filter((k) => k === "demoteSiteStore" || k === "removeSiteStore")).toEqual([]);
  });

  it("after a promote, serving the site only adds its pool, vhost and database users: the store, app and database are there", () => {
    const app = {
      kind: "wordpress" as const,
      title: "Alice's blog",
      url: "http://example.com/",
      adminUser: "admin",
      adminEmail: "alice@example.com",
      adminPassword: "a-long-admin-password",
      database: { name: "alice_shop", user: "alice_shop", password: "correct-horse-battery" },
    };
    const observed = converged(plan(replicaSpec()));
    // What a promote leaves: the restored volume (with the app's marker) and the loaded database,
    // without its users (they are not in a dump).
    observed.siteStores.push({ siteId: "site1", username: "alice", ready: true });
    observed.appMarkers.site1 = "wordpress";
    observed.mariadb.state = { databases: ["alice_shop"], users: [] };
    const live = parseNodeSpec({ ...spec(), sites: [{ ...site(), app }] });
    const steps = diffNode(observed, plan(live));
    // The account had no PHP here while it was only a replica: its master starts.
    expect(kinds(steps)).toEqual(["ensureAccountQuota", "writePhpFpmMain", "installPool", "startPhpFpm", "installVhost", "reloadNginx", "ensureDatabaseUser"]);
  });
});

describe("diffNode: one php-fpm per account, confined", () => {
  const twoAccounts = () =>
    spec({
      accounts: [
        { id: "acc1", username: "alice", status: "ACTIVE" },
        { id: "acc2", username: "bob", status: "ACTIVE", limits: { cpuPercent: 50, memoryMb: 256, pids: 64, ioWeight: 100, diskMb: 100 } },
      ],
      sites: [
        { id: "site1", accountId: "acc1", domains: ["a.example"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
        { id: "site2", accountId: "acc2", domains: ["b.example"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
      ],
      databases: [],
    });

  it("reloads only the account whose pool changed", () => {
    const before = plan(twoAccounts());
    const s = twoAccounts();
    s.sites[1]!.phpSettings = { memory_limit: "64M" };
    const steps = diffNode(converged(before), plan(s));
    expect(steps.filter((x) => x.kind === "reloadPhpFpm" || x.kind === "startPhpFpm")).toEqual([
      { kind: "reloadPhpFpm", username: "bob", sockets: ["site2"], goneSockets: [] },
    ]);
  });

  it("applies the egress rules and each account's limits before any master starts", () => {
    const steps = diffNode(empty(), plan(twoAccounts()));
    const firstStart = indexOf(steps, (x) => x.kind === "startPhpFpm");
    expect(indexOf(steps, (x) => x.kind === "applyEgressRules")).toBeLessThan(firstStart);
    for (const username of ["alice", "bob"]) {
      expect(indexOf(steps, (x) => x.kind === "ensureAccountCgroup" && x.username === username)).toBeLessThan(firstStart);
    }
    expect(steps).toContainEqual({ kind: "ensureAccountCgroup", username: "bob", limits: { cpuPercent: 50, memoryMb: 256, pids: 64, ioWeight: 100, diskMb: 100 } });
  });

  it("re-applies limits that drifted and rules that are not loaded, and nothing else", () => {
    const desired = plan(twoAccounts());
    const observed = converged(desired);
    observed.cgroups.bob = { cpuPercent: 100, memoryMb: 256, pids: 64 };
    observed.egress = null;
    expect(kinds(diffNode(observed, desired))).toEqual(["applyEgressRules", "ensureAccountCgroup"]);
  });

  it("plans no egress rules, cgroup limits or disk quotas on the bench's unconfined node, and everything else as usual", () => {
    const bench = nodeRoot({ root: "/var/lib/shoal/node1", address: "127.0.10.1", httpPort: 80, mysqlPort: 3307, unconfined: true });
    const steps = diffNode(empty(), planNode(bench, twoAccounts(), group));
    expect(steps.filter((x) => ["applyEgressRules", "ensureAccountCgroup", "ensureAccountQuota"].includes(x.kind))).toEqual([]);
    expect(kinds(steps)).toEqual(kinds(diffNode(empty(), plan(twoAccounts()))).filter((k) => !["applyEgressRules", "ensureAccountCgroup", "ensureAccountQuota"].includes(k)));
  });

  it("sets each account's disk limit over its sites once their stores exist, and again only when either changes", () => {
    const steps = diffNode(empty(), plan(twoAccounts()));
    const quota = indexOf(steps, (x) => x.kind === "ensureAccountQuota" && x.username === "bob");
    expect(steps[quota]).toEqual({ kind: "ensureAccountQuota", username: "bob", diskMb: 100, siteIds: ["site2"] });
    expect(indexOf(steps, (x) => x.kind === "ensureSiteStore" && x.siteId === "site2")).toBeLessThan(quota);

    const desired = plan(twoAccounts());
    const observed = converged(desired);
    observed.quotas.bob = { limitBytes: 50 * 1024 ** 2, siteIds: ["site2"] };
    expect(diffNode(observed, desired)).toEqual([{ kind: "ensureAccountQuota", username: "bob", diskMb: 100, siteIds: ["site2"] }]);

    // A second site of bob's arrives: its volume joins the limit.
    const more = twoAccounts();
    more.sites.push({ id: "site3", accountId: "acc2", domains: ["c.example"], documentRoot: "public", phpSettings: {}, status: "SUSPENDED" });
    const withThird = diffNode(converged(desired), plan(more));
    expect(withThird).toContainEqual({ kind: "ensureAccountQuota", username: "bob", diskMb: 100, siteIds: ["site2", "site3"] });
  });

  it("retires the shared php-fpm of earlier versions first", () => {
    const desired = plan(twoAccounts());
    const observed = converged(desired);
    observed.phpFpm.legacy = true;
    expect(kinds(diffNode(observed, desired))).toEqual(["retireSharedPhpFpm"]);
  });

  it("renders rules that refuse loopback and private ranges but allow the node's MariaDB, DNS and admin extras", () => {
    const s = twoAccounts();
    s.egress = { allow: [{ address: "10.9.8.7", port: 5432 }], clusterAddresses: ["203.0.113.10"] };
    const rules = plan(s).egressRules;
    expect(rules).toContain('socket cgroupv2 level 2 "unified/shoal/127.0.10.1" jump account_egress');
    expect(rules).toContain("ip daddr 127.0.10.1 tcp dport 3307 accept");
    expect(rules).toContain("ip daddr 10.9.8.7 tcp dport 5432 accept");
    const refused = /ip daddr \{ ([^}]*) \} meta l4proto tcp reject with tcp reset/.exec(rules)![1]!.split(", ");
    expect(refused).toEqual(expect.arrayContaining(["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "203.0.113.10"]));
    // The allowances come before the refusals (nftables stops at the first verdict).
    expect(rules.indexOf("10.9.8.7")).toBeLessThan(rules.indexOf("reject"));
  });

  it("renders pools whose isolation settings a site cannot raise", () => {
    const pool = plan(twoAccounts()).sites[0]!.pool!;
    expect(pool).toContain("php_admin_value[disable_functions] = exec,passthru,shell_exec,system,proc_open,popen,pcntl_exec,pcntl_fork,putenv,dl,proc_nice");
    expect(pool).toContain(`php_admin_value[sendmail_path] = ${node.sendmailPath}`);
    expect(pool).toContain("php_admin_value[memory_limit] = 128M");
    expect(pool).toContain("php_admin_value[max_execution_time] = 30");
    expect(pool).toContain("request_terminate_timeout = 35s");
    expect(pool).toContain("clear_env = yes");
  });
});
