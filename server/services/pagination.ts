import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { env } from "../env";
import { AppError } from "../errors";

// Keyset pagination for every list: order by (sortField, id) and continue after the last row's
// pair, so page N costs the same as page 1 (the indexes in schema.prisma end in `id`).
// A cursor is the pair and a MAC over it (keyed by the panel's auth secret): its value goes into
// a query typed by the sort field, so only a cursor this panel made is read at all. An edited one
// is "no longer valid", never a value of the wrong type handed to the database.

export const pageInputSchema = z.object({
  cursor: z.string().max(500).nullish(),
  limit: z.number().int().min(1).max(100).default(25),
  direction: z.enum(["asc", "desc"]).default("asc"),
  search: z.string().trim().max(100).optional(),
});
export type PageInput = z.infer<typeof pageInputSchema>;

export type Page<T> = { items: T[]; nextCursor: string | null };

type CursorValue = string | number | null;
type Cursor = { v: CursorValue; id: string; d?: boolean };

const mac = (payload: string) => createHmac("sha256", env.AUTH_SECRET).update(`shoal-page-cursor:${payload}`).digest().subarray(0, 16);

export function encodeCursor(value: unknown, id: string): string {
  const c: Cursor =
    value instanceof Date ? { v: value.toISOString(), id, d: true } : { v: value as CursorValue, id };
  const payload = Buffer.from(JSON.stringify(c)).toString("base64url");
  return `${payload}.${mac(payload).toString("base64url")}`;
}

function decodeCursor(cursor: string): { value: unknown; id: string } {
  const invalid = () => AppError.field("cursor", "This page link is no longer valid; start from the first page.");
  const [payload = "", tag = "", ...rest] = cursor.split(".");
  const given = Buffer.from(tag, "base64url");
  const expected = mac(payload);
  if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  try {
    const c = JSON.parse(Buffer.from(payload, "base64url").toString()) as Cursor;
    if (typeof c.id !== "string") throw new Error("bad cursor");
    return { value: c.d && typeof c.v === "string" ? new Date(c.v) : c.v, id: c.id };
  } catch {
    throw invalid();
  }
}

/** The `where` fragment for rows after the cursor (AND it with the tenant scope and filters). */
export function afterCursor(sortField: string, direction: "asc" | "desc", cursor: string | null | undefined) {
  if (!cursor) return {};
  const { value, id } = decodeCursor(cursor);
  const op = direction === "asc" ? "gt" : "lt";
  const after = { OR: [{ [sortField]: { [op]: value } }, { [sortField]: value, id: { [op]: id } }] };
  if (sortField === "id") return { id: { [op]: id } };
  // The OR alone is not an index range, so Postgres filters every row before the cursor (50k rows
  // on a middle page of 100k customers). The redundant bound lets it start the scan at the cursor.
  return { AND: [{ [sortField]: { [`${op}e`]: value } }, after] };
}

export function keysetOrder(sortField: string, direction: "asc" | "desc") {
  return sortField === "id" ? [{ id: direction }] : [{ [sortField]: direction }, { id: direction }];
}

/** Call with `limit + 1` rows fetched: trims the extra row and builds the next cursor from the last. */
export function toPage<T extends { id: string }>(rows: T[], limit: number, sortField: keyof T & string): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1]!;
  return { items, nextCursor: encodeCursor(last[sortField], last.id) };
}
