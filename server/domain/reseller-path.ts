/** Ancestor ids from a reseller's materialised path ("/root/.../own/"), root first, without itself. */
export function ancestorIds(path: string, ownId: string): string[] {
  return path.split("/").filter((id) => id !== "" && id !== ownId);
}
