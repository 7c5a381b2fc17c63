import { z } from "zod";
import { parseDatabaseName } from "../domain/database-name";
import { objectIdPattern } from "./node-spec";

// The names the snapshot API takes in its paths and bodies. Every one reaches a snapshot path, a
// btrfs argument or a dump file name on the node, so each has a strict grammar.

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
