import { snapshotNameSchema } from "../../../server/contract/storage-names";

// Snapshot names made here, and paths inside a snapshot as the customer browses them. The names
// the API takes are the contract's (server/contract/storage-names.ts).

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
