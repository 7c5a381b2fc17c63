import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepResult } from "../../../server/contract/node-apply";
import { converge } from "../../../worker/agent/converge";
import { nginxPid } from "../../../worker/agent/drivers/nginx";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { backendGet, destroyNode, makeNode, startRewriter, uniqueUsername, whoamiPhp } from "./node-harness";

// Ten rounds of converge on a real node with two sites that cannot converge beside good ones:
// - "bad1": something outside the agent keeps rewriting its vhost (the agent writes it, and
//   reads back something else), the shape of a rendered config the observer reads differently;
// - "broken1": its document root is changed to a path that is a file in its store, so its store
//   step fails every time (the shape of the attack: an unusual document root).
// The node must reload nginx only for the rounds where a good site changed, never php-fpm for
// nothing, and report bad1 as not converging once; held (as the control plane holds it) it is
// left alone. Loopback 127.0.43.1 and ports 17430-17433 are this file's.

let node: NodeRoot;
const alice = uniqueUsername("rla");
const bob = uniqueUsername("rlb");

type Site = { id: string; accountId: string; domains: string[]; documentRoot: string; phpSettings: Record<string, string>; status: "ACTIVE" };
const site = (id: string, accountId: string, documentRoot = "public"): Site => ({
  id,
  accountId,
  domains: [`${id}.reload.test`],
  documentRoot,
  phpSettings: {},
  status: "ACTIVE",
});
const spec = (sites: Site[], held: string[] = []) => ({
  accounts: [
    { id: "acc1", username: alice, status: "ACTIVE" },
    { id: "acc2", username: bob, status: "ACTIVE" },
  ],
  sites,
  databases: [],
  held,
});

/** The nginx master's children: a reload replaces every one of them (old ones shut down). */
async function nginxChildren(): Promise<string> {
  const master = await nginxPid(node);
  return ((await readFile(`/proc/${master}/task/${master}/children`, "utf8").catch(() => "")).trim().split(" ").sort()).join(" ");
}

/** php-fpm logs each SIGUSR2 it takes ("Reloading in progress") in the master's log. */
async function phpFpmReloads(username: string): Promise<number> {
  const log = await readFile(node.phpFpmLog(username), "utf8").catch(() => "");
  return log.split("\n").filter((line) => line.includes("Reloading in progress")).length;
}

beforeAll(async () => {
  node = await makeNode("127.0.43.1", 17430, 17431, { backendPort: 17432, holdPort: 17433 });
}, 30_000);

afterAll(async () => {
  await destroyNode(node);
}, 60_000);

describe("a converge that cannot converge an object", () => {
  it("reloads only for real changes over ten rounds, reports the object once, and leaves it alone once held", async () => {
    const good1 = site("good1", "acc1");
    const broken = site("broken1", "acc1");
    const first = await converge(node, spec([good1, broken]));
    expect(first.filter((r) => !r.ok)).toEqual([]);
    await writeFile(path.join(node.siteDir(alice, "good1"), "public", "index.php"), whoamiPhp);
    const stop = startRewriter(node.vhostFile("bad1"));
    try {
      const unusual = { ...broken, documentRoot: "public/index.html" };
      let sites = [good1, unusual, site("bad1", "acc2")];
      let held: string[] = [];
      const rounds: { results: StepResult[]; nginxReloaded: boolean }[] = [];
      for (let round = 1; round <= 10; round++) {
        // Another site keeps changing: round 5 adds one, as a customer would mid-attack.
        if (round === 5) sites = [...sites, site("good2", "acc1")];
        const before = await nginxChildren();
        const results = await converge(node, spec(sites, held));
        rounds.push({ results, nginxReloaded: (await nginxChildren()) !== before });
        // What the control plane does with the answer: hold what does not converge.
        held = [...new Set([...held, ...results.flatMap((r) => (!r.ok && r.nonConvergent ? (r.objects ?? []).filter((o) => o.kind === "site").map((o) => o.id) : []))])];
      }

      // Round 1: bad1's vhost is written, nginx reloads once, and bad1 is reported as not converging.
      const nonConvergent = rounds.flatMap((r) => r.results.filter((x) => !x.ok && x.nonConvergent));
      expect(nonConvergent).toHaveLength(1);
      expect(nonConvergent[0]).toMatchObject({ kind: "installVhost", objects: [{ kind: "site", id: "bad1" }] });
      expect(!nonConvergent[0]!.ok && nonConvergent[0]!.error).toMatch(/^site bad1: its vhost does not read back as written/);
      expect(held).toEqual(["bad1"]);
      // nginx reloaded for bad1's first vhost and for good2, never for broken1 or a held bad1.
      expect(rounds.map((r) => r.nginxReloaded)).toEqual([true, false, false, false, true, false, false, false, false, false]);
      expect(rounds.flatMap((r, i) => r.results.filter((x) => x.kind === "reloadNginx").map(() => i + 1))).toEqual([1, 5]);
      // php-fpm: bob's master started for bad1 and was never reloaded; alice's reloaded for good2 only.
      expect(await phpFpmReloads(bob)).toBe(0);
      expect(await phpFpmReloads(alice)).toBe(1);
      // broken1 fails its store every round with the reason, and its pool and vhost wait.
      for (const { results } of rounds) {
        const store = results.find((r) => r.kind === "ensureSiteStore");
        expect(store).toMatchObject({ ok: false, objects: [{ kind: "site", id: "broken1" }, { kind: "account", id: "acc1" }] });
      }
      expect(rounds.flatMap((r, i) => r.results.filter((x) => x.kind === "reloadPhpFpm").map((x) => `${i + 1}: ${x.step}`))).toEqual([`5: reload php-fpm of ${alice}`]);
      // Rounds without a good site's change take no step that succeeds.
      for (const round of [2, 3, 4, 6, 7, 8, 9, 10]) expect(rounds[round - 1]!.results.filter((r) => r.ok)).toEqual([]);
      // The other sites kept being served by their own users throughout.
      expect((await backendGet(node, "good1.reload.test", "/index.php")).body).toBe(`user=${alice}`);
      expect((await backendGet(node, "good2.reload.test", "/")).status).toBe(200);
      // Held, bad1 is left as the outside writer made it: nothing rewrote it after round 1.
      expect(await readFile(node.vhostFile("bad1"), "utf8")).toMatch(/# rewritten\n$/);
    } finally {
      stop();
    }
  }, 120_000);

  it("holds a vhost that something changes back between converges once it was written the same way three times", async () => {
    const sites = [site("good1", "acc1"), site("slow1", "acc2")];
    expect((await converge(node, spec(sites))).filter((r) => !r.ok)).toEqual([]);
    const file = node.vhostFile("slow1");
    let held: string[] = [];
    const reloaded: number[] = [];
    const reported: string[] = [];
    for (let round = 1; round <= 10; round++) {
      // Between converges (never during one), something puts its own version back.
      const content = await readFile(file, "utf8");
      if (!content.endsWith("# rewritten\n")) await writeFile(file, `${content}# rewritten\n`);
      const before = await nginxChildren();
      const results = await converge(node, spec(sites, held));
      if ((await nginxChildren()) !== before) reloaded.push(round);
      for (const r of results) if (!r.ok && r.nonConvergent) reported.push(r.error);
      held = [...new Set([...held, ...results.flatMap((r) => (!r.ok && r.nonConvergent ? (r.objects ?? []).map((o) => o.id) : []))])];
    }
    // Written at the start, then twice more: the third write is reported and the site held.
    expect(reloaded).toEqual([1, 2]);
    expect(reported).toEqual([
      "site slow1: its vhost was written the same way 3 times in 10 minutes (something keeps changing it back); it does not converge, so it is not applied again.",
    ]);
    expect(held).toEqual(["slow1"]);
    expect((await backendGet(node, "good1.reload.test", "/index.php")).body).toBe(`user=${alice}`);
  }, 120_000);
});
