// What counting sign-in attempts before they are evaluated costs a sign-in (issue: the panel
// under abuse). Successful sign-ins of one login through better-auth's own handler, as a browser
// sends them, and, in the same run and alternating, the limiter's statements on their own:
// today's (reserveAttempt + refundAttempt: two upserts, two updates) and the single read the limiter
// made before the change (one SELECT of both keys, reproduced here as it was).
//
//   npx tsx bench/sign-in.ts        (ROUNDS=4 PER_ROUND=25; its own database, shoal_bench_signin)
import { freshBenchDatabase, loadavg, summary } from "./cluster-bench";

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const PER_ROUND = Number(process.env.PER_ROUND ?? 25);
const DATABASE = "shoal_bench_signin";

await freshBenchDatabase(DATABASE);

const { db } = await import("../server/db");
const { limitKeys, reserveAttempt, refundAttempt } = await import("../server/auth/rate-limit");
const { makeWorld } = await import("../tests/helpers/fixtures");
const { makeLogin, signIn } = await import("../tests/integration/auth/http");

const world = await makeWorld();
const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
const keys = [limitKeys.loginAccount(email), limitKeys.loginIp("198.51.100.77")];

const signInMs: number[] = [];
const nowMs: number[] = [];
const beforeMs: number[] = [];
const time = async (into: number[], fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  into.push(performance.now() - t);
};

// One warm-up of each.
await signIn(email, undefined, { ip: "198.51.100.77" });
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < PER_ROUND; i++) {
    await time(signInMs, async () => {
      const { res } = await signIn(email, undefined, { ip: "198.51.100.77" });
      if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
    });
    await time(nowMs, async () => {
      await reserveAttempt(keys);
      await refundAttempt(keys);
    });
    await time(beforeMs, () => db.rateLimit.findMany({ where: { key: { in: keys.map((k) => k.key) }, resetAt: { gt: new Date() } }, select: { key: true, count: true, resetAt: true } }));
  }
}

const f = (n: number) => `${n.toFixed(1).padStart(6)} ms`;
const line = (label: string, values: number[]) => {
  const s = summary(values);
  return `  ${label.padEnd(44)} p50 ${f(s.p50)}   p90 ${f(s.p90)}   p99 ${f(s.p99)}   (${s.n})`;
};
const signInP50 = summary(signInMs).p50;
const added = summary(nowMs).p50 - summary(beforeMs).p50;
console.log(
  [
    `sign-in with the attempt limits (${ROUNDS} rounds of ${PER_ROUND}, alternating; load ${await loadavg()})`,
    line("successful sign-in (better-auth handler)", signInMs),
    line("limiter now: reserve + refund (4 statements)", nowMs),
    line("limiter before: one read of both keys", beforeMs),
    `  the change adds about ${added.toFixed(1)} ms to a sign-in: p50 ${signInP50.toFixed(1)} ms now, about ${(signInP50 - added).toFixed(1)} ms before (${((added / (signInP50 - added)) * 100).toFixed(1)}%)`,
  ].join("\n"),
);
await db.$disconnect();
process.exit(0);
