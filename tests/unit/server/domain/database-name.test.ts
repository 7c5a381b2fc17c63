import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  databaseNameSchema,
  parseAccountDatabaseName,
  parseAccountDatabaseUser,
  parseDatabaseName,
  parseDatabaseUser,
  reservedDatabaseNames,
} from "@/server/domain/database-name";
import { parseUnixUsername } from "@/server/domain/unix-username";

describe("parseDatabaseName and parseDatabaseUser examples", () => {
  it.each([
    ["alice_shop", "alice_shop"],
    ["  Alice_Shop ", "alice_shop"],
    ["wp1", "wp1"],
    ["a__b_", "a__b_"],
    ["a".repeat(64), "a".repeat(64)],
  ])("accepts database %j", (input, expected) => {
    expect(parseDatabaseName(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["", "Enter a database name."],
    ["ab", "at least 3 characters"],
    ["a".repeat(65), "at most 64 characters; this one has 65"],
    ["1abc", "start with a letter"],
    ["_abc", "start with a letter"],
    ["ab-c", '"-" is not allowed'],
    ["ab.c", '"." is not allowed'],
    ["ab`c", '"`" is not allowed'],
    ["ab;drop", '";" is not allowed'],
    ["ab\0c", "is not allowed"],
    ["mysql", '"mysql" is reserved'],
    ["information_schema", "is reserved"],
    ["performance_schema", "is reserved"],
    ["sys", "is reserved"],
    ["test", "is reserved"],
    ["phpmyadmin", "is reserved"],
    ["shoal_meta", "is reserved"],
    ["mariadb.sys", '"." is not allowed'],
  ])("rejects database %j", (input, message) => {
    const result = parseDatabaseName(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it.each([
    ["", "Enter a database user name."],
    ["a".repeat(33), "at most 32 characters; this one has 33"],
    ["root", "is reserved"],
    ["shoal", "is reserved"],
    ["bob@localhost", '"@" is not allowed'],
  ])("rejects user %j", (input, message) => {
    const result = parseDatabaseUser(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it("accepts a user of exactly 32 characters", () => {
    expect(parseDatabaseUser("u".repeat(32))).toEqual({ ok: true, value: "u".repeat(32) });
  });

  it("reports the parser's sentences through the zod schemas", () => {
    expect(databaseNameSchema.parse("Alice_Shop")).toBe("alice_shop");
    expect(parseDatabaseUser("root")).toEqual({ ok: false, error: '"root" is reserved; choose another name.' });
  });

  it.each([
    ["shop", "alice_shop"],
    ["alice_shop", "alice_shop"],
    ["  ALICE_Shop ", "alice_shop"],
    ["alice", "alice_alice"],
    ["2024", "alice_2024"],
    ["bob_shop", "alice_bob_shop"],
  ])("prefixes %j with the account's username", (input, expected) => {
    expect(parseAccountDatabaseName("alice", input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["", 'Enter a name after the prefix "alice_".'],
    ["alice_", 'Enter a name after the prefix "alice_".'],
    ["my-shop", '"-" is not allowed'],
    ["x".repeat(59), 'With the prefix "alice_" the rest can be at most 58 characters; this has 59.'],
  ])("rejects account database %j", (input, message) => {
    const result = parseAccountDatabaseName("alice", input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it("limits an account's database user to 32 characters including the prefix", () => {
    expect(parseAccountDatabaseUser("alice", "x".repeat(26))).toEqual({ ok: true, value: `alice_${"x".repeat(26)}` });
    expect(parseAccountDatabaseUser("alice", "x".repeat(27))).toEqual({
      ok: false,
      error: 'With the prefix "alice_" the rest can be at most 26 characters; this has 27.',
    });
  });
});

const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) });
const notReserved = (s: string) => !reservedDatabaseNames.has(s) && !s.startsWith("shoal");
const validDatabaseName = fc.stringMatching(/^[a-z][a-z0-9_]{2,63}$/).filter(notReserved);
const validAccount = fc
  .stringMatching(/^[a-z][a-z0-9]{2,31}$/)
  .filter((s) => parseUnixUsername(s).ok);
const suffix = fc.stringMatching(/^[a-z0-9_]{1,40}$/);

describe("database name properties", () => {
  it("never throws", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string()), fc.oneof(validAccount, fc.string()), (s, account) => {
        expect(typeof parseDatabaseName(s).ok).toBe("boolean");
        expect(typeof parseDatabaseUser(s).ok).toBe("boolean");
        expect(typeof parseAccountDatabaseName(account, s).ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("accepts every name built from the grammar, and is idempotent", () => {
    fc.assert(
      fc.property(validDatabaseName, (s) => {
        expect(parseDatabaseName(s)).toEqual({ ok: true, value: s });
        expect(parseDatabaseName(` ${s.toUpperCase()} `)).toEqual({ ok: true, value: s });
        if (s.length <= 32) expect(parseDatabaseUser(s)).toEqual({ ok: true, value: s });
      }),
      { numRuns: 300 },
    );
  });

  it("rejects any character outside [a-z0-9_] inside a name", () => {
    const forbidden = fc
      .integer({ min: 0, max: 0x10ffff })
      .map((c) => String.fromCodePoint(c))
      .filter((c) => !/[a-z0-9_]/i.test(c.toLowerCase()));
    fc.assert(
      fc.property(validDatabaseName.filter((s) => s.length < 32), forbidden, fc.nat(), (s, c, at) => {
        const i = 1 + (at % (s.length - 1));
        const input = s.slice(0, i) + c + s.slice(i);
        expect(parseDatabaseName(input).ok).toBe(false);
        expect(parseDatabaseUser(input).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("accepts 64-character names and 32-character users, and rejects one more", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9_]{64}$/).filter(notReserved), (s) => {
        expect(parseDatabaseName(s.slice(0, 64)).ok).toBe(true);
        expect(parseDatabaseName(s).ok).toBe(false);
        expect(parseDatabaseUser(s.slice(0, 32)).ok).toBe(true);
        expect(parseDatabaseUser(s.slice(0, 33)).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("gives the same full name for the suffix and for the prefixed form, within the length limit", () => {
    fc.assert(
      fc.property(validAccount, suffix, (account, rest) => {
        const full = `${account}_${rest}`;
        const fromSuffix = parseAccountDatabaseName(account, rest);
        expect(parseAccountDatabaseName(account, full)).toEqual(fromSuffix);
        if (full.length <= 64) {
          expect(fromSuffix).toEqual({ ok: true, value: full });
          expect(parseAccountDatabaseName(account, fromSuffix.ok ? fromSuffix.value : "")).toEqual(fromSuffix);
        } else {
          expect(fromSuffix.ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("accepts a prefixed name of exactly 64 characters and rejects 65", () => {
    fc.assert(
      fc.property(validAccount, fc.stringMatching(/^[a-z0-9]{62}$/), (account, pool) => {
        const room = 64 - account.length - 1;
        expect(parseAccountDatabaseName(account, pool.slice(0, room))).toEqual({
          ok: true,
          value: `${account}_${pool.slice(0, room)}`,
        });
        expect(parseAccountDatabaseName(account, `${pool.slice(0, room)}x`).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
