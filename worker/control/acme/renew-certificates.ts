import type { AcmeContext, IssueOutcome } from "./issue-certificate";
import { issueCertificate } from "./issue-certificate";

// The certificates schedule: every certificate whose next order is due (a new site's first, a
// renewal two thirds into its life, a retry after a failure) is ordered, oldest due first, a few
// per tick so one tick never holds the CA's rate limit or the worker for long. Uploaded
// certificates are the customer's to renew: they are never ordered.

export async function orderDueCertificates(ctx: AcmeContext, opts: { limit?: number; now?: Date } = {}): Promise<{ id: string; outcome: IssueOutcome }[]> {
  const now = opts.now ?? new Date();
  const due = await ctx.db.certificate.findMany({
    where: { source: "ACME", nextAttemptAt: { lte: now }, site: { deletedAt: null, status: { not: "TERMINATED" }, domain: { deletedAt: null } } },
    orderBy: { nextAttemptAt: "asc" },
    take: opts.limit ?? 5,
    select: { id: true },
  });
  const results = [];
  for (const { id } of due) results.push({ id, outcome: await issueCertificate(ctx, id) });
  return results;
}
