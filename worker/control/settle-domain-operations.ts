import { Resolver } from "node:dns/promises";
import type { Db } from "../../server/db";
import { stepKind } from "../../server/domain/operation-kinds";
import { countSettled } from "./control-metrics";

// A domain operation's "DNS zone" step is done when the nodes say so, not when a spec was sent:
// every HEALTHY node's DNS, asked directly, answers the zone's SOA with at least its current
// serial (domain.create), or no longer answers for the zone at all (domain.delete). Called with
// the other settles after each reconcile and by the sweep.

/** The DNS port of every node (worker/agent/drivers/pdns.ts). */
const dnsPort = 53;

export type SoaProbe = (address: string, zone: string) => Promise<number | "absent" | "error">;

/** The zone's SOA serial as one node's DNS answers it: "absent" when it refuses the zone. */
export const querySoa: SoaProbe = async (address, zone) => {
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`${address}:${dnsPort}`]);
  try {
    return (await resolver.resolveSoa(zone)).serial;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "EREFUSED" || code === "ENOTFOUND" ? "absent" : "error";
  }
};

export async function settleDomainOperations(db: Db, probe: SoaProbe = querySoa): Promise<number> {
  const ops = await db.operation.findMany({
    where: { status: { in: ["PENDING", "RUNNING"] }, targetType: "Domain", steps: { some: { kind: stepKind.dnsZone, status: { in: ["PENDING", "RUNNING", "FAILED"] } } } },
    orderBy: { createdAt: "asc" },
    take: 200,
    select: { id: true, targetId: true },
  });
  if (ops.length === 0) return 0;
  const [nodes, domains] = await Promise.all([
    db.node.findMany({ where: { status: "HEALTHY" }, select: { name: true, address: true } }),
    db.domain.findMany({ where: { id: { in: ops.map((o) => o.targetId) } }, select: { id: true, name: true, deletedAt: true, zone: { select: { serial: true } } } }),
  ]);
  if (nodes.length === 0) return 0;
  const domainOf = new Map(domains.map((d) => [d.id, d]));
  const done: string[] = [];
  const waiting: { id: string; message: string }[] = [];
  await Promise.all(
    ops.map(async (op) => {
      const domain = domainOf.get(op.targetId);
      if (!domain) return;
      const gone = domain.deletedAt !== null;
      // Not built yet: no node can have the zone's current serial.
      if (!gone && !domain.zone) return;
      const answers = await Promise.all(nodes.map((n) => probe(n.address, domain.name)));
      const ok = (a: (typeof answers)[number]) => (gone ? a === "absent" : typeof a === "number" && a >= domain.zone!.serial);
      if (answers.every(ok)) done.push(op.id);
      else {
        const behind = nodes.filter((_, i) => !ok(answers[i]!)).map((n) => n.name);
        waiting.push({ id: op.id, message: gone ? `Still answered by ${behind.join(", ")}; checking again.` : `Serial ${domain.zone!.serial} not answered yet by ${behind.join(", ")}; checking again.` });
      }
    }),
  );
  const now = new Date();
  for (const w of waiting) {
    await db.operationStep.updateMany({ where: { operationId: w.id, kind: stepKind.dnsZone, status: "PENDING" }, data: { status: "RUNNING", startedAt: now } });
    await db.operationStep.updateMany({ where: { operationId: w.id, kind: stepKind.dnsZone, status: "RUNNING" }, data: { lastError: w.message, customerError: null } });
  }
  if (done.length === 0) return 0;
  await db.operationStep.updateMany({ where: { operationId: { in: done }, kind: stepKind.dnsZone, startedAt: null }, data: { startedAt: now } });
  await db.operationStep.updateMany({
    where: { operationId: { in: done }, kind: stepKind.dnsZone, status: { in: ["PENDING", "RUNNING", "FAILED"] } },
    data: { status: "SUCCEEDED", finishedAt: now, lastError: null, customerError: null },
  });
  const finished = await db.$queryRaw<{ kind: string }[]>`
    UPDATE "Operation" o SET "status" = 'SUCCEEDED', "finishedAt" = now(), "lastError" = NULL, "customerError" = NULL
    WHERE o."id" = ANY(${done}) AND o."status" IN ('PENDING', 'RUNNING')
      AND NOT EXISTS (SELECT 1 FROM "OperationStep" s WHERE s."operationId" = o."id" AND s."status" <> 'SUCCEEDED')
    RETURNING o."kind"`;
  countSettled(finished, "succeeded");
  return finished.length;
}
