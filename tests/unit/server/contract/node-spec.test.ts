import { describe, expect, it } from "vitest";
import { defaultAccountLimits, InvalidSpecError, parseNodeSpec } from "../../../../server/contract/node-spec";

const valid = () => ({
  accounts: [{ id: "acc1", username: "alice", status: "ACTIVE" }],
  sites: [
    {
      id: "site1",
      accountId: "acc1",
      domains: ["example.com", "xn--caf-dma.example"],
      documentRoot: "public/web",
      phpSettings: { memory_limit: "256M", upload_max_filesize: "64M", post_max_size: "64M", max_execution_time: "30" },
      status: "ACTIVE",
    },
  ],
  databases: [{ id: "db1", accountId: "acc1", name: "alice_shop", users: [{ username: "alice_shop", password: "correct-horse-battery" }] }],
});

/** The issues of a spec that must be rejected, as "path: message". */
function rejection(mutate: (spec: ReturnType<typeof valid>) => void): string[] {
  const spec = valid();
  mutate(spec);
  try {
    parseNodeSpec(spec);
  } catch (e) {
    if (e instanceof InvalidSpecError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error("expected the spec to be rejected");
}

describe("parseNodeSpec", () => {
  it("accepts a valid spec unchanged", () => {
    // replicas, egress, held, zones, tls and an account's limits are optional on the wire and
    // always present once parsed (an older control plane's spec still confines every account).
    const spec = valid();
    expect(parseNodeSpec(spec)).toEqual({
      ...spec,
      accounts: spec.accounts.map((a) => ({ ...a, limits: defaultAccountLimits })),
      replicas: [],
      egress: { allow: [], clusterAddresses: [] },
      held: [],
      zones: [],
      tls: { certificates: [], challenges: [] },
    });
  });


  it.each([
    ["a username with shell syntax", (s: ReturnType<typeof valid>) => (s.accounts[0]!.username = "al;rm -rf"), "accounts.0.username: Can only contain"],
    ["a reserved username", (s: ReturnType<typeof valid>) => (s.accounts[0]!.username = "root"), "accounts.0.username: \"root\" is reserved"],
    ["an id with a path in it", (s: ReturnType<typeof valid>) => (s.sites[0]!.id = "../etc"), "sites.0.id: Must be 1-40"],
    ["a domain with a newline", (s: ReturnType<typeof valid>) => (s.sites[0]!.domains[0] = "example.com\nserver {"), "sites.0.domains.0: Must not contain line breaks."],
    ["a domain with a semicolon", (s: ReturnType<typeof valid>) => (s.sites[0]!.domains[0] = "a.com;return"), "sites.0.domains.0: Can only contain letters"],
    ["a unicode domain", (s: ReturnType<typeof valid>) => (s.sites[0]!.domains[0] = "café.example"), 'sites.0.domains.0: Must be the lower-case ASCII form "xn--caf-dma.example".'],
    ["a document root climbing out", (s: ReturnType<typeof valid>) => (s.sites[0]!.documentRoot = "public/../../etc"), 'sites.0.documentRoot: "..": directory names must not start with a dot.'],
    ["an absolute document root", (s: ReturnType<typeof valid>) => (s.sites[0]!.documentRoot = "/etc"), "sites.0.documentRoot: Must be relative"],
    ["a document root with a space", (s: ReturnType<typeof valid>) => (s.sites[0]!.documentRoot = "my site"), 'sites.0.documentRoot: "my site": can only contain'],
    ["a PHP setting off the allow-list", (s: ReturnType<typeof valid>) => ((s.sites[0]!.phpSettings as Record<string, string>).disable_functions = ""), "sites.0.phpSettings: Not an allowed PHP setting: disable_functions."],
    ["a PHP value with a newline", (s: ReturnType<typeof valid>) => (s.sites[0]!.phpSettings.memory_limit = "256M\nphp_admin_value[open_basedir] = /"), "sites.0.phpSettings.memory_limit: Must be a size from 32M to 2048M"],
    ["an unbounded memory limit", (s: ReturnType<typeof valid>) => (s.sites[0]!.phpSettings.memory_limit = "-1"), "sites.0.phpSettings.memory_limit: Must be a size"],
    ["a zero execution time", (s: ReturnType<typeof valid>) => (s.sites[0]!.phpSettings.max_execution_time = "0"), "sites.0.phpSettings.max_execution_time: Must be a whole number of seconds from 1 to 600."],
    ["a database name with a backtick", (s: ReturnType<typeof valid>) => (s.databases[0]!.name = "alice_x`; DROP"), "databases.0.name: Can only contain"],
    ["a database without the account prefix", (s: ReturnType<typeof valid>) => (s.databases[0]!.name = "bob_shop"), 'databases.0.name: Must start with the account\'s prefix "alice_".'],
    ["a database user without the prefix", (s: ReturnType<typeof valid>) => (s.databases[0]!.users[0]!.username = "bob_shop"), 'databases.0.users.0.username: Must start with the account\'s prefix "alice_".'],
    ["a short password", (s: ReturnType<typeof valid>) => (s.databases[0]!.users[0]!.password = "short"), "databases.0.users.0.password: Must be at least 16 characters."],
    ["a password with a NUL", (s: ReturnType<typeof valid>) => (s.databases[0]!.users[0]!.password = "correct-horse\0battery"), "databases.0.users.0.password: Must not contain control characters."],
    ["a site of an unknown account", (s: ReturnType<typeof valid>) => (s.sites[0]!.accountId = "acc9"), 'sites.0.accountId: Account "acc9" is not in this spec.'],
    ["an unknown status", (s: ReturnType<typeof valid>) => (s.accounts[0]!.status = "DELETED"), "accounts.0.status:"],
    ["a held id with a path in it", (s: ReturnType<typeof valid>) => Object.assign(s, { held: ["site1", "../etc"] }), "held.1: Must be 1-40"],
  ])("rejects %s with the field's path and reason", (_name, mutate, expected) => {
    expect(rejection(mutate).some((issue) => issue.startsWith(expected))).toBe(true);
  });

  it("rejects a domain served by two sites and a username used twice", () => {
    const issues = rejection((s) => {
      s.accounts.push({ id: "acc2", username: "alice", status: "ACTIVE" });
      s.sites.push({ ...s.sites[0]!, id: "site2", domains: ["example.com"] });
    });
    expect(issues).toContain('accounts.1.username: Username "alice" is used by more than one account.');
    expect(issues).toContain('sites.1.domains.0: Domain "example.com" is on more than one site.');
  });

  it("rejects unknown top-level or nested fields instead of ignoring them", () => {
    expect(rejection((s) => Object.assign(s, { epoch: 3 })).join()).toMatch(/epoch/);
    expect(rejection((s) => Object.assign(s.accounts[0]!, { shell: "/bin/bash" })).join()).toMatch(/shell/);
  });
});

describe("parseNodeSpec: replicas", () => {
  const withReplicas = (replicas: unknown[], extra: (s: ReturnType<typeof valid>) => void = () => {}) => {
    const spec = { ...valid(), replicas };
    extra(spec);
    return spec;
  };
  const issuesOf = (input: unknown): string[] => {
    try {
      parseNodeSpec(input);
    } catch (e) {
      if (e instanceof InvalidSpecError) return e.issues.map((i) => `${i.path}: ${i.message}`);
      throw e;
    }
    throw new Error("expected the spec to be rejected");
  };

  it("accepts replicas of sites the node does not serve, under accounts of the spec", () => {
    const spec = withReplicas([{ siteId: "site9", accountId: "acc1" }]);
    expect(parseNodeSpec(spec).replicas).toEqual([{ siteId: "site9", accountId: "acc1" }]);
  });

  it("rejects a replica of an unknown account with its precise path", () => {
    expect(issuesOf(withReplicas([{ siteId: "site9", accountId: "acc1" }, { siteId: "site8", accountId: "acc7" }]))).toEqual([
      'replicas.1.accountId: Account "acc7" is not in this spec.',
    ]);
  });

  it("rejects a site that is both served and a replica, and a replica listed twice", () => {
    const issues = issuesOf(withReplicas([{ siteId: "site1", accountId: "acc1" }, { siteId: "site9", accountId: "acc1" }, { siteId: "site9", accountId: "acc1" }]));
    expect(issues).toContain('replicas.0.siteId: Site "site1" is in sites too: a node serves a site or keeps a replica of it, not both.');
    expect(issues).toContain('replicas.1.siteId: Replica of site "site9" appears more than once.');
    expect(issues).toContain('replicas.2.siteId: Replica of site "site9" appears more than once.');
  });

  it("grammar-checks replica ids and refuses extra fields", () => {
    expect(issuesOf(withReplicas([{ siteId: "../etc", accountId: "acc1" }])).join()).toMatch(/^replicas\.0\.siteId: Must be 1-40/);
    expect(issuesOf(withReplicas([{ siteId: "site9", accountId: "acc1", domains: ["x.com"] }])).join()).toMatch(/replicas\.0.*domains/);
    expect(issuesOf({ ...valid(), replicas: "site9" }).join()).toMatch(/^replicas:/);
  });
});
