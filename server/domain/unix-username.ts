import { fail, ok, quote, schemaFromParser, type Parsed } from "./parsed";

// A hosting account's Linux user. The grammar is useradd's portable subset without '-' and '.'
// so the same name can prefix MariaDB database names (database-name.ts) and php-fpm pool names.

export const unixUsernameMinLength = 3;
export const unixUsernameMaxLength = 32;

/**
 * Accounts a node already has, or that the platform runs as. Some can't match the grammar
 * anyway (www-data, _apt); they are listed so the list reads as the policy.
 */
export const reservedUnixUsernames: ReadonlySet<string> = new Set([
  "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
  "www-data", "backup", "list", "irc", "nobody", "mysql", "postgres", "redis", "nginx", "admin",
  "administrator", "shoal", "ftp", "sshd", "messagebus", "_apt", "operator", "sudo", "wheel", "adm",
  "staff", "users",
]);

/** Prefixes of the platform's own and systemd's dynamic users (systemd-network, shoal-agent...). */
export const reservedUnixUsernamePrefixes = ["shoal", "systemd"] as const;

export function parseUnixUsername(input: string): Parsed<string> {
  const name = input.trim().toLowerCase();
  if (name === "") return fail("Enter a username.");
  if (name.length < unixUsernameMinLength) return fail(`Must be at least ${unixUsernameMinLength} characters.`);
  if (name.length > unixUsernameMaxLength) {
    return fail(`Must be at most ${unixUsernameMaxLength} characters; this one has ${name.length}.`);
  }
  if (!/^[a-z]/.test(name)) return fail("Must start with a letter (a-z).");
  const bad = /[^a-z0-9_]/.exec(name);
  if (bad) return fail(`Can only contain lower-case letters, digits and underscores: ${quote(bad[0])} is not allowed.`);
  if (name.endsWith("_")) return fail("Must not end with an underscore.");
  if (name.includes("__")) return fail("Must not contain two underscores in a row.");
  if (reservedUnixUsernames.has(name) || reservedUnixUsernamePrefixes.some((p) => name.startsWith(p))) {
    return fail(`${quote(name)} is reserved for the system; choose another name.`);
  }
  return ok(name);
}

export const unixUsernameSchema = schemaFromParser(parseUnixUsername);

/**
 * The shorter usernames that `name` would extend at an underscore ("cafe_noir_ltd" → "cafe",
 * "cafe_noir"). An account's databases are named "<username>_<rest>", so two accounts where one's
 * name is the other's plus "_..." ("cafe" and "cafe_noir") could both own "cafe_noir_shop": such
 * pairs are never both given out (services/account/username-clash.ts).
 */
export function usernamePrefixes(name: string): string[] {
  const parts = name.split("_");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("_"));
}

/**
 * At most 24 characters, so a caller resolving a collision can append up to 8 digits and still
 * have a valid name.
 */
export const suggestedUnixUsernameMaxLength = 24;

/**
 * A valid username derived from a customer or domain name ("Café Noir Ltd" → "cafe_noir_ltd",
 * "www.example.co.uk" → "example"). Deterministic; the caller appends a number on collision.
 */
export function suggestUnixUsername(from: string): string {
  let base = from
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .trim()
    .replace(/^(https?:\/\/)?(www\.)?/, "");
  // A domain's first label is its distinctive part; the rest is a public suffix.
  if (/^[^\s]+\.[^\s]+$/.test(base)) base = base.slice(0, base.indexOf("."));
  let name = base.replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  if (!/^[a-z]/.test(name)) name = name === "" ? "user" : `u${name}`;
  name = name.slice(0, suggestedUnixUsernameMaxLength).replace(/_+$/, "");
  if (name.length < unixUsernameMinLength) name = `${name}_user`;
  if (!parseUnixUsername(name).ok) name = `site_${name}`.slice(0, suggestedUnixUsernameMaxLength).replace(/_+$/, "");
  return name;
}
