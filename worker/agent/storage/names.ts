import { z } from "zod";
import { parseDatabaseName } from "../../../server/domain/database-name";
import { objectIdPattern } from "../../../server/contract/node-spec";

// Every name that reaches a snapshot path, a btrfs argument or a dump file name is checked here
// first, so no name from a request can climb out of its directory or be read as an option.

/**
 * A snapshot's name: a lower-case kind and a UTC instant, such as s-20261201T201500Z (the
 * cadence), pre-20261201T201500Z (kept before a rollback). Optional milliseconds
 * (s-20261201T201500123Z) let a 10 s cadence and a manual snapshot in the same second coexist.
 * No dots or slashes, so a name is always one path segment and never a dotfile.
 */
export const snapshotNamePattern = /^[a-z][a-z0-9]{0,15}-[0-9]{8}T[0-9]{6}(?:[0-9]{3})?Z$/;
export const snapshotNameSchema = z
  .string()
  .regex(snapshotNamePattern, "Must be a kind and a UTC time, such as s-20261201T201500Z.");

export const siteIdSchema = z.string().regex(objectIdPattern, "Must be 1-40 lower-case letters, digits or inner hyphens.");

export const databaseNameSchema = z.string().refine((value) => {
  const parsed = parseDatabaseName(value);
  return parsed.ok && parsed.value === value;
}, "Must be a canonical database name.");

/** A snapshot name for `date` (UTC, to the second): `${kind}-YYYYMMDDTHHMMSSZ`. */
export function snapshotNameAt(kind: string, date: Date): string {
  const stamp = date.toISOString().replace(/[-:]/g, "").replace(/\.[0-9]{3}Z$/, "Z");
  const name = `${kind}-${stamp}`;
  return snapshotNameSchema.parse(name);
}

export class InvalidRelativePathError extends Error {}

/**
 * A path inside a snapshot, as the customer browses it: "" (the top), or segments separated by
 * "/", none empty, "." or "..", no NUL, none longer than a file name may be. Returns the segments.
 * This only says the path cannot climb out; symlinks on the way are refused where it is walked.
 */
export function parseRelativePath(input: string): string[] {
  if (input === "") return [];
  if (input.length > 4096) throw new InvalidRelativePathError("The path is longer than 4096 characters.");
  if (input.startsWith("/")) throw new InvalidRelativePathError("The path must be relative to the site, without a leading /.");
  const segments = input.split("/");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new InvalidRelativePathError(`The path must not contain empty, "." or ".." parts.`);
    }
    if (segment.includes("\0")) throw new InvalidRelativePathError("The path must not contain NUL.");
    if (Buffer.byteLength(segment) > 255) throw new InvalidRelativePathError("A part of the path is longer than 255 bytes.");
  }
  return segments;
}
