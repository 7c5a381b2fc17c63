import { fail, ok, quote, schemaFromParser, type Parsed } from "./parsed";

// MariaDB identifiers we create for customers. Lower case only, because MariaDB's case
// sensitivity of database names follows the node's file system; no '-' or '.', so the names never
// need quoting in GRANT statements or in the paths of dump files.

export const databaseNameMinLength = 3;
export const databaseNameMaxLength = 64;
/** MariaDB 10.11 allows 80 for user names; 32 keeps them valid on MySQL 5.7 and replicas too. */
export const databaseUserMinLength = 3;
export const databaseUserMaxLength = 32;

/** MariaDB's own schemas and accounts, the conventional test schema, and phpMyAdmin's storage. */
export const reservedDatabaseNames: ReadonlySet<string> = new Set([
  "mysql", "information_schema", "performance_schema", "sys", "test", "root", "mariadb.sys", "phpmyadmin",
]);

function parseIdentifier(input: string, what: "name" | "user", min: number, max: number): Parsed<string> {
  const name = input.trim().toLowerCase();
  if (name === "") return fail(what === "name" ? "Enter a database name." : "Enter a database user name.");
  if (name.length < min) return fail(`Must be at least ${min} characters.`);
  if (name.length > max) return fail(`Must be at most ${max} characters; this one has ${name.length}.`);
  if (!/^[a-z]/.test(name)) return fail("Must start with a letter (a-z).");
  const bad = /[^a-z0-9_]/.exec(name);
  if (bad) return fail(`Can only contain lower-case letters, digits and underscores: ${quote(bad[0])} is not allowed.`);
  // "shoal" prefixes the platform's own schemas and users on every database node.
  if (reservedDatabaseNames.has(name) || name.startsWith("shoal")) {
    return fail(`${quote(name)} is reserved; choose another name.`);
  }
  return ok(name);
}

export function parseDatabaseName(input: string): Parsed<string> {
  return parseIdentifier(input, "name", databaseNameMinLength, databaseNameMaxLength);
}

export function parseDatabaseUser(input: string): Parsed<string> {
  return parseIdentifier(input, "user", databaseUserMinLength, databaseUserMaxLength);
}

export const databaseNameSchema = schemaFromParser(parseDatabaseName);

/**
 * Databases and their users live on shared MariaDB servers, so each is prefixed with its hosting
 * account's unix username ("alice_shop"): names of different accounts can never collide, and a
 * GRANT on `alice\_%` covers exactly one account. Accepts the full name or only the part after
 * the prefix, and returns the full name.
 */
function parseAccountIdentifier(
  account: string,
  input: string,
  parse: (full: string) => Parsed<string>,
  max: number,
): Parsed<string> {
  const prefix = `${account}_`;
  const typed = input.trim().toLowerCase();
  const suffix = typed.startsWith(prefix) ? typed.slice(prefix.length) : typed;
  if (suffix === "") return fail(`Enter a name after the prefix "${prefix}".`);
  const bad = /[^a-z0-9_]/.exec(suffix);
  if (bad) return fail(`Can only contain lower-case letters, digits and underscores: ${quote(bad[0])} is not allowed.`);
  const full = prefix + suffix;
  if (full.length > max) {
    return fail(
      `With the prefix "${prefix}" the rest can be at most ${max - prefix.length} characters; this has ${suffix.length}.`,
    );
  }
  return parse(full);
}

export function parseAccountDatabaseName(account: string, input: string): Parsed<string> {
  return parseAccountIdentifier(account, input, parseDatabaseName, databaseNameMaxLength);
}

export function parseAccountDatabaseUser(account: string, input: string): Parsed<string> {
  return parseAccountIdentifier(account, input, parseDatabaseUser, databaseUserMaxLength);
}
