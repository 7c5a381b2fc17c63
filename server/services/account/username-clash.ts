import type { Tx } from "../../db";
import { usernamePrefixes } from "../../domain/unix-username";

/**
 * An existing account whose username is `candidate`, or is a prefix of it at an underscore, or
 * extends it at one ("cafe" against "cafe_noir", either way round): then the two accounts' database
 * and database-user names ("<username>_<rest>") could collide on the nodes' shared MariaDB. A
 * deleted account counts while any of its sites still has a placement: until its nodes have torn
 * its Unix user, files and databases down (the placements go when they have), a new owner of the
 * name could inherit them.
 */
export async function usernameClash(tx: Tx, candidate: string): Promise<string | null> {
  const clash = await tx.hostingAccount.findFirst({
    where: {
      OR: [{ username: { in: [candidate, ...usernamePrefixes(candidate)] } }, { username: { startsWith: `${candidate}_` } }],
      AND: [{ OR: [{ deletedAt: null }, { sites: { some: { placements: { some: {} } } } }] }],
    },
    select: { username: true },
    orderBy: { username: "asc" },
  });
  return clash?.username ?? null;
}
