import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { z } from "zod";
import { db } from "../../../server/db";
import { AppError } from "../../../server/errors";

// Shared by the customer-side integration tests (domain, site, database, operation, dashboard).

export type Rejection = { code: string; message: string; fieldErrors: Record<string, string> };

/** The error a caller got, with field errors as the browser would see them (init.ts formatter). */
export async function rejection(promise: Promise<unknown>): Promise<Rejection> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(TRPCError);
    const err = e as TRPCError;
    const fieldErrors: Record<string, string> = {};
    if (err.cause instanceof AppError) Object.assign(fieldErrors, err.cause.fieldErrors ?? {});
    if (err.cause instanceof z.ZodError) {
      for (const issue of err.cause.issues) fieldErrors[issue.path.join(".") || "_"] ??= issue.message;
    }
    return { code: err.code, message: err.message, fieldErrors };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Row counts of every table a customer-side mutation writes, to prove a failure wrote nothing. */
export async function rowCounts() {
  const [domains, records, sites, databases, dbUsers, operations, steps, audit, outbox] = await Promise.all([
    db.domain.count(),
    db.dnsRecord.count(),
    db.site.count(),
    db.database.count(),
    db.databaseUser.count(),
    db.operation.count(),
    db.operationStep.count(),
    db.auditEvent.count(),
    db.outboxEvent.count(),
  ]);
  return { domains, records, sites, databases, dbUsers, operations, steps, audit, outbox };
}

/** The audit row, outbox row and operation a mutation must have committed together. */
export async function expectChangeRecorded(opts: {
  action: string;
  targetType: string;
  targetId: string;
  operationId: string;
  topic: string;
  resellerId: string;
  customerId: string;
}) {
  const audit = await db.auditEvent.findMany({ where: { action: opts.action, targetId: opts.targetId } });
  expect(audit).toHaveLength(1);
  expect(audit[0]).toMatchObject({ targetType: opts.targetType, resellerId: opts.resellerId, customerId: opts.customerId });
  const outbox = await db.outboxEvent.findMany({ where: { aggregateId: opts.targetId, topic: opts.topic } });
  const mine = outbox.filter((o) => (o.payload as { operationId?: string }).operationId === opts.operationId);
  expect(mine).toHaveLength(1);
  expect(mine[0]!.publishedAt).toBeNull();
  const op = await db.operation.findUniqueOrThrow({
    where: { id: opts.operationId },
    include: { steps: { orderBy: { index: "asc" } } },
  });
  expect(op).toMatchObject({
    kind: opts.action,
    targetType: opts.targetType,
    targetId: opts.targetId,
    status: "PENDING",
    resellerId: opts.resellerId,
    customerId: opts.customerId,
  });
  expect(op.steps.length).toBeGreaterThan(0);
  expect(op.steps.every((s) => s.status === "PENDING")).toBe(true);
  expect(op.steps.map((s) => s.index)).toEqual(op.steps.map((_, i) => i));
  return op;
}
