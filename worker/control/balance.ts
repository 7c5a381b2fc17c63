import { z } from "zod";
import type { Db } from "../../server/db";
import { nodeMetricsSchema } from "../../server/contract/node-metrics";
import { defaultBalancerSettings, planMoves, validateBalancerSettings, type BalancerHistory, type BalancerPlan, type BalancerSettings, type RecentMove } from "../../server/domain/balancer";
import { AppError } from "../../server/errors";
import type { Actor } from "../../server/services/actor";
import { readBalancerInputs } from "../../server/services/cluster/cluster-inputs";
import { startMove } from "../../server/services/site/start-move";
import { operationKind, stepKind } from "../../server/domain/operation-kinds";
import type { Log } from "../../server/observability/logger";

// The balancer's round (SCHEDULES.balance, every 15 s, once cluster-wide): read the cluster fresh
// from Postgres, ask the pure planner (server/domain/balancer.ts), and start each planned move the
// way an admin's site.move does (startMove: Operation + audit row + site.move outbox event in one
// transaction), with the planner's reason on the audit row and the actor "balancer". The move
// itself runs in the outbox worker (worker/control/move-site.ts), like any other.
//
// SHOAL_BALANCER: "on" (default), "dry-run" (plans and logs what it would move, starts nothing),
// "off" (no round at all). SHOAL_BALANCE_TICK_MS and SHOAL_BALANCER_SETTINGS (below) retime and
// retune it, for a bench or a cluster that wants other bands and budgets.

export const balancerModeSchema = z.enum(["on", "dry-run", "off"]).default("on");
export type BalancerMode = z.infer<typeof balancerModeSchema>;

const settingKeys = Object.keys(defaultBalancerSettings) as [keyof BalancerSettings, ...(keyof BalancerSettings)[]];

/**
 * SHOAL_BALANCER_SETTINGS: a JSON object overriding some of the planner's settings
 * ({"countBand":3,"coolDownMs":120000}); unknown keys and settings the planner would refuse stop
 * the worker at start with the reason, instead of failing every round.
 */
export const balancerSettingsEnvSchema = z
  .string()
  .default("{}")
  .transform((text, ctx) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "SHOAL_BALANCER_SETTINGS must be a JSON object." });
      return z.NEVER;
    }
    const parsed = z.object(Object.fromEntries(settingKeys.map((k) => [k, z.number().optional()]))).strict().safeParse(raw);
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: `SHOAL_BALANCER_SETTINGS takes numbers for ${settingKeys.join(", ")}: ${parsed.error.issues.map((i) => i.message).join("; ")}` });
      return z.NEVER;
    }
    const settings: BalancerSettings = { ...defaultBalancerSettings, ...(parsed.data as Partial<BalancerSettings>) };
    const invalid = validateBalancerSettings(settings);
    if (invalid) {
      ctx.addIssue({ code: "custom", message: `SHOAL_BALANCER_SETTINGS: ${invalid}.` });
      return z.NEVER;
    }
    return settings;
  });

/** The balancer's part of the control worker's environment (worker/control/env.ts). */
export const balancerEnv = {
  /** How often the balancer plans a round (default 15 s, server/jobs/schedules.ts). */
  SHOAL_BALANCE_TICK_MS: z.coerce.number().int().min(500).max(3_600_000).optional(),
  SHOAL_BALANCER_SETTINGS: balancerSettingsEnvSchema,
};

/** Who the audit log and the operation name for the balancer's moves: no user, an admin's reach. */
export const balancerActor: Actor = {
  userId: null,
  email: "balancer",
  impersonatorId: null,
  ip: null,
  // startMove only checks the kind; there is no user behind this scope (userId is a label).
  scope: { kind: "admin", userId: "balancer", resellerId: "" },
};

export type BalanceContext = {
  db: Db;
  mode: BalancerMode;
  log?: Log;
  settings?: BalancerSettings;
  /** The round's clock (tests run simulated time); Date.now() otherwise. */
  now?: () => Date;
  /** Remembers the last notes logged, so an unchanged situation is logged once, not every 15 s. */
  memo?: { lastNotes?: string };
};

export type BalanceResult = {
  plan: BalancerPlan;
  /** Moves whose operation was started (empty in dry-run). */
  started: Array<{ siteId: string; operationId: string; reason: string }>;
  /** Planned moves that could not start (the site moved or got busy since the read), with why. */
  refused: Array<{ siteId: string; error: string }>;
};

/**
 * Recent planned moves, by anyone: the planner's move budget, per-node "one move at a time" and
 * the sites' cool-down from their last attempt. A move's nodes come from its steps (pre-copy names
 * the target, "source becomes replica" the source), which startMove writes.
 */
export async function readMoveHistory(db: Db, now: Date, settings: BalancerSettings): Promise<BalancerHistory> {
  const since = new Date(now.getTime() - Math.max(settings.budgetWindowMs, settings.coolDownMs, settings.nodeSettleMs));
  const [ops, nodes] = await Promise.all([
    db.operation.findMany({
      where: { kind: operationKind.siteMove, targetType: "Site", OR: [{ createdAt: { gte: since } }, { status: { in: ["PENDING", "RUNNING"] } }] },
      select: { targetId: true, status: true, createdAt: true, finishedAt: true, steps: { where: { kind: { in: [stepKind.preCopy, stepKind.sourceBecomesReplica] } }, select: { kind: true, target: true } } },
    }),
    db.node.findMany({ select: { id: true, name: true } }),
  ]);
  const idByName = new Map(nodes.map((n) => [n.name, n.id]));
  const recentMoves: RecentMove[] = ops.map((op) => {
    const inFlight = op.status === "PENDING" || op.status === "RUNNING";
    return {
      siteId: op.targetId,
      fromNodeId: idByName.get(op.steps.find((s) => s.kind === stepKind.sourceBecomesReplica)?.target ?? "") ?? null,
      toNodeId: idByName.get(op.steps.find((s) => s.kind === stepKind.preCopy)?.target ?? "") ?? null,
      startedAt: op.createdAt,
      finishedAt: inFlight ? null : (op.finishedAt ?? op.createdAt),
    };
  });
  return { recentMoves };
}

/**
 * What the planner weighs besides CPU and requests: placements held against capacity, disk use
 * and the 1-minute load average from the heartbeat.
 */
async function readNodeExtras(db: Db): Promise<Map<string, { siteCount: number; capacitySites: number; diskUsedPct: number | null; load1: number | null }>> {
  const [nodes, counts] = await Promise.all([
    db.node.findMany({ select: { id: true, capacitySites: true, metrics: true } }),
    db.placement.groupBy({ by: ["nodeId"], where: { site: { deletedAt: null } }, _count: { _all: true } }),
  ]);
  const countOf = new Map(counts.map((c) => [c.nodeId, c._count._all]));
  return new Map(
    nodes.map((n) => {
      const m = nodeMetricsSchema.safeParse(n.metrics);
      const diskUsedPct = m.success && m.data.disk.totalMb > 0 ? (100 * m.data.disk.usedMb) / m.data.disk.totalMb : null;
      return [n.id, { siteCount: countOf.get(n.id) ?? 0, capacitySites: n.capacitySites, diskUsedPct, load1: m.success ? m.data.cpu.load1 : null }];
    }),
  );
}

export async function balanceTick(ctx: BalanceContext): Promise<BalanceResult> {
  const empty: BalanceResult = { plan: { moves: [], notes: [] }, started: [], refused: [] };
  if (ctx.mode === "off") return empty;
  const settings = ctx.settings ?? defaultBalancerSettings;
  const now = ctx.now?.() ?? new Date();
  const [inputs, history, room] = await Promise.all([readBalancerInputs(ctx.db), readMoveHistory(ctx.db, now, settings), readNodeExtras(ctx.db)]);
  const nodes = inputs.nodes.map((n) => ({ ...n, ...room.get(n.id) }));
  const plan = planMoves(nodes, inputs.sites, settings, now, history);

  // Logged when the situation changes, not when only its figures do (every 15 s otherwise).
  const notes = plan.notes.join("\n").replace(/\d+(\.\d+)?/g, "#");
  if (ctx.memo === undefined || ctx.memo.lastNotes !== notes) {
    for (const note of plan.notes) ctx.log?.(`balancer: ${note}`);
    if (ctx.memo) ctx.memo.lastNotes = notes;
  }
  const result: BalanceResult = { plan, started: [], refused: [] };
  for (const move of plan.moves) {
    if (ctx.mode === "dry-run") {
      ctx.log?.(`balancer (dry run, nothing started): ${move.reason}`);
      continue;
    }
    try {
      const started = await ctx.db.$transaction((tx) =>
        startMove(tx, balancerActor, { id: move.siteId, toNodeId: move.toNodeId, fromNodeId: move.fromNodeId, reason: `balancer: ${move.reason}` }),
      );
      result.started.push({ siteId: move.siteId, operationId: started.operationId, reason: move.reason });
      ctx.log?.(`balancer: ${move.reason} (operation ${started.operationId})`, { siteId: move.siteId, operationId: started.operationId });
    } catch (e) {
      // The plan was read a moment ago: a site that moved, got busy or lost its target since is
      // skipped this round and planned afresh next round. Anything else is a bug: rethrow.
      if (!(e instanceof AppError)) throw e;
      result.refused.push({ siteId: move.siteId, error: e.message });
      ctx.log?.(`balancer: not moving ${move.siteId}: ${e.message}`, { siteId: move.siteId });
    }
  }
  return result;
}
