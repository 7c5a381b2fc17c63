import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appAdminUserSchema, InvalidSpecError, parseNodeSpec } from "../../../../server/contract/node-spec";

// The `app` part of a site spec: its own grammars, and the cross-checks against the site's
// domains and the spec's databases, each reported on its precise path.

const wordpress = () => ({
  kind: "wordpress",
  title: "Alice's blog",
  url: "http://example.com/",
  adminUser: "admin",
  adminEmail: "alice@example.com",
  adminPassword: "a-long-admin-password",
  database: { name: "alice_wp", user: "alice_wp", password: "correct-horse-battery" } as { name: string; user: string; password: string } | null,
});

const valid = (app: Record<string, unknown> = wordpress()) => ({
  accounts: [
    { id: "acc1", username: "alice", status: "ACTIVE" },
    { id: "acc2", username: "bob", status: "ACTIVE" },
  ],
  sites: [
    {
      id: "site1",
      accountId: "acc1",
      domains: ["example.com", "www.example.com"],
      documentRoot: "public",
      phpSettings: {},
      status: "ACTIVE",
      app,
    },
  ],
  databases: [
    { id: "db1", accountId: "acc1", name: "alice_wp", users: [{ username: "alice_wp", password: "correct-horse-battery" }] },
    { id: "db2", accountId: "acc2", name: "bob_wp", users: [{ username: "bob_wp", password: "correct-horse-battery" }] },
  ],
});

function issues(app: Record<string, unknown>): string[] {
  try {
    parseNodeSpec(valid(app));
  } catch (e) {
    if (e instanceof InvalidSpecError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe("site app spec", () => {
  it("accepts WordPress with its database, DokuWiki without, and a site without an app", () => {
    expect(parseNodeSpec(valid()).sites[0]!.app).toEqual(wordpress());
    const wiki = { ...wordpress(), kind: "dokuwiki", url: "https://www.example.com/", database: null };
    expect(issues(wiki)).toEqual([]);
    const plain = valid();
    delete (plain.sites[0] as { app?: unknown }).app;
    expect(parseNodeSpec(plain).sites[0]!.app).toBeUndefined();
  });

  it.each([
    ["an unknown kind", { kind: "mediawiki" }, 'sites.0.app.kind: Must be "wordpress" or "dokuwiki".'],
    ["an empty title", { title: "" }, "sites.0.app.title: Enter a title."],
    ["a title of spaces", { title: "   " }, "sites.0.app.title: Enter a title, not only spaces."],
    ["a title with a newline", { title: "Blog\n<?php" }, "sites.0.app.title: Must not contain control characters."],
    ["a 101-character title", { title: "x".repeat(101) }, "sites.0.app.title: Must be at most 100 characters."],
    ["a URL with a path", { url: "http://example.com/blog/" }, 'sites.0.app.url: Must be the site\'s address with the path "/" and nothing else, such as http://example.com/.'],
    ["a URL with a port", { url: "http://example.com:8080/" }, "sites.0.app.url: Must be the site's address"],
    ["a URL with a query", { url: "http://example.com/?x" }, "sites.0.app.url: Must be the site's address"],
    ["a URL with credentials", { url: "http://u:p@example.com/" }, "sites.0.app.url: Must be the site's address"],
    ["an ftp URL", { url: "ftp://example.com/" }, "sites.0.app.url: Must start with http:// or https://."],
    ["not a URL", { url: "example.com" }, "sites.0.app.url: Must be a URL such as http://example.com/."],
    ["another site's host", { url: "http://other.example/" }, 'sites.0.app.url: The host "other.example" is not one of this site\'s domains.'],
    ["an admin user with capitals", { adminUser: "Admin" }, "sites.0.app.adminUser: Must be 3-32 lower-case letters"],
    ["an email with a colon", { adminEmail: "a:b@example.com" }, "sites.0.app.adminEmail: Must be an email address"],
    ["an email without a TLD", { adminEmail: "a@localhost" }, "sites.0.app.adminEmail: Must be an email address"],
    ["an email with a newline", { adminEmail: "a@example.com\nx" }, "sites.0.app.adminEmail: Must be an email address"],
    ["a short password", { adminPassword: "short" }, "sites.0.app.adminPassword: Must be at least 16 characters."],
    ["a password with a tab", { adminPassword: "long-enough-password\t" }, "sites.0.app.adminPassword: Must not contain control characters."],
    ["an unknown field", { plugins: ["x"] }, "sites.0.app: Unrecognized key"],
  ])("rejects %s on its path", (_name, change, expected) => {
    const found = issues({ ...wordpress(), ...change });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });

  it.each([
    ["WordPress without a database", { database: null }, "sites.0.app.database: WordPress needs a database of this site's account."],
    ["a database not in the spec", { database: { name: "alice_nope", user: "alice_wp", password: "correct-horse-battery" } }, 'sites.0.app.database.name: Database "alice_nope" is not in this spec.'],
    ["another account's database", { database: { name: "bob_wp", user: "bob_wp", password: "correct-horse-battery" } }, 'sites.0.app.database.name: Database "bob_wp" belongs to another account.'],
    ["a user of another database", { database: { name: "alice_wp", user: "bob_wp", password: "correct-horse-battery" } }, 'sites.0.app.database.user: "bob_wp" is not a user of database "alice_wp".'],
    ["a stale password", { database: { name: "alice_wp", user: "alice_wp", password: "an-old-password-123" } }, 'sites.0.app.database.password: Does not match the password of database user "alice_wp".'],
    ["DokuWiki with a database", { kind: "dokuwiki" }, "sites.0.app.database: DokuWiki keeps its pages in files: the database must be null."],
  ])("cross-checks %s", (_name, change, expected) => {
    expect(issues({ ...wordpress(), ...change })).toEqual([expected]);
  });

  describe("adminUser grammar (property)", () => {
    const first = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz");
    const rest = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_");

    it("accepts every lower-case name of 3-32 characters that starts with a letter", () => {
      fc.assert(
        fc.property(first, fc.array(rest, { minLength: 2, maxLength: 31 }), (head, tail) => {
          expect(appAdminUserSchema.safeParse(head + tail.join("")).success).toBe(true);
        }),
      );
    });

    it("rejects anything outside the grammar, whatever it contains", () => {
      const valid = /^[a-z][a-z0-9_]{2,31}$/;
      fc.assert(
        fc.property(fc.string({ maxLength: 40, unit: "binary" }), (name) => {
          expect(appAdminUserSchema.safeParse(name).success).toBe(valid.test(name));
        }),
      );
    });

    it("never lets a separator or PHP syntax through (DokuWiki's user file is colon-separated)", () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 30 }), fc.constantFrom(":", "\n", "'", "\\", "<", " ", "$"), (name, bad) => {
          expect(appAdminUserSchema.safeParse(`a${name}${bad}zz`).success).toBe(false);
        }),
      );
    });
  });
});
