import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db";
import { runCommand } from "../../worker/agent/run-command";
import { callerFor } from "../helpers/fixtures";
import { clusterAddress, startCluster, type Cluster } from "./harness";
import { operationSucceeded } from "./operations";

// Authoritative DNS on a real 3-node cluster: every node's own pdns_server, converged by its agent
// from the spec, asked directly over UDP (node:dns) and TCP (dig). A domain added is answered by
// every node; a record changed is answered by every node within a second; a node killed leaves
// every zone's A records on the others within 2 s of turning DEAD and comes back when HEALTHY;
// with the control workers stopped, DNS still answers.

let cluster: Cluster;
const domain = "dns-blog.test";

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, workers: 1 });
});
afterAll(async () => {
  await cluster?.stop();
});

function resolverOf(i: number): Resolver {
  const r = new Resolver({ timeout: 400, tries: 1 });
  r.setServers([`${clusterAddress(i)}:53`]);
  return r;
}

const soaSerial = (i: number, zone: string) => resolverOf(i).resolveSoa(zone).then((s) => s.serial, () => null);
const addresses = (i: number, name: string) => resolverOf(i).resolve4(name).then((a) => [...a].sort(), () => null);
const txt = (i: number, name: string) => resolverOf(i).resolveTxt(name).then((t) => t.map((parts) => parts.join("")), () => null);

/** A customer's record, written as the zone editor writes one: the row, then the domain's outbox event. */
async function addTxtRecord(domainId: string, name: string, content: string): Promise<void> {
  await db.$transaction([
    db.dnsRecord.create({ data: { domainId, name, type: "TXT", content, ttl: 60 } }),
    db.outboxEvent.create({ data: { topic: "domain.reconcile", aggregateType: "Domain", aggregateId: domainId } }),
    db.$executeRaw`SELECT pg_notify('shoal_outbox', '')`,
  ]);
}

describe("authoritative DNS on every node", () => {
  let domainId = "";
  const all = [1, 2, 3];

  it("a domain with a site: every node answers SOA (current serial), NS and A for apex and www naming every healthy node; the domain operation settles on it", async () => {
    const asA = callerFor(cluster.world!.users.customerA);
    const d = await asA.domain.create({ name: domain });
    domainId = d.id;
    const site = await asA.site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await operationSucceeded(cluster, d.operationId, 60_000);
    await operationSucceeded(cluster, site.operationId, 120_000);
    const everyNode = cluster.nodes.map((n) => clusterAddress(n.index)).sort();
    await cluster.waitFor("every node to answer the site's A records", async () => {
      for (const i of all) if (JSON.stringify(await addresses(i, domain)) !== JSON.stringify(everyNode)) return false;
      return true;
    });
    const zone = await db.dnsZone.findUniqueOrThrow({ where: { domainId } });
    for (const i of all) {
      expect(await soaSerial(i, domain)).toBe(zone.serial);
      expect(await addresses(i, `www.${domain}`)).toEqual(everyNode);
      const ns = await resolverOf(i).resolveNs(domain);
      expect(ns.length).toBeGreaterThan(0);
    }
    // TCP as well as UDP.
    const { stdout } = await runCommand("/usr/bin/dig", ["+tcp", "+short", `@${clusterAddress(2)}`, domain, "A"]);
    expect(stdout.trim().split("\n").sort()).toEqual(everyNode);
    // Nothing else: a name the cluster does not host is refused, not answered.
    await expect(resolverOf(1).resolve4("not-hosted.example")).rejects.toMatchObject({ code: "EREFUSED" });
  });

  it("a record changed: every node answers it within 1 s of the commit, with a higher serial", async () => {
    const before = (await db.dnsZone.findUniqueOrThrow({ where: { domainId } })).serial;
    const committed = Date.now();
    await addTxtRecord(domainId, "check", "shoal-dns-test=1");
    const answeredAt = await cluster.waitFor("every node to answer the new TXT record", async () => {
      for (const i of all) if (JSON.stringify(await txt(i, `check.${domain}`)) !== JSON.stringify(["shoal-dns-test=1"])) return false;
      return Date.now();
    }, { timeoutMs: 10_000 });
    console.log(`record change answered by all 3 nodes after ${answeredAt - committed} ms`);
    expect(answeredAt - committed).toBeLessThan(1_000);
    for (const i of all) expect(await soaSerial(i, domain)).toBeGreaterThan(before);
  });

  it("a node killed: its address leaves the answers on the others within 2 s of it turning DEAD, and comes back when HEALTHY", async () => {
    const victim = cluster.nodes[2]!;
    const survivors = [1, 2];
    await cluster.signalNode(victim.index, "SIGKILL");
    const dead = await cluster.waitFor("the node to turn DEAD", async () => {
      const n = await db.node.findUniqueOrThrow({ where: { name: victim.name } });
      return n.status === "DEAD" ? n : undefined;
    }, { timeoutMs: 30_000 });
    const deadAt = dead.healthSince!.getTime();
    const goneAt = await cluster.waitFor("the dead node's address to leave the answers", async () => {
      for (const i of survivors) if ((await addresses(i, domain))?.includes(clusterAddress(victim.index)) !== false) return false;
      return Date.now();
    }, { timeoutMs: 10_000 });
    console.log(`dead node's address left both survivors' answers ${goneAt - deadAt} ms after it turned DEAD`);
    expect(goneAt - deadAt).toBeLessThan(2_000);
    for (const i of survivors) expect(await addresses(i, `www.${domain}`)).toEqual(survivors.map(clusterAddress).sort());

    await cluster.restartNode(victim.index);
    await cluster.waitFor("the node's address back in every node's answers", async () => {
      for (const i of all) if (!(await addresses(i, domain))?.includes(clusterAddress(victim.index))) return false;
      return true;
    }, { timeoutMs: 90_000 });
  });

  it("control plane stopped: every node's DNS still answers", async () => {
    await cluster.killWorker(1, "SIGKILL");
    for (const i of all) expect(await txt(i, `check.${domain}`)).toEqual(["shoal-dns-test=1"]);
    // pdns killed on its own comes back by the agent's watchdog, with no control plane to ask.
    const { stdout } = await runCommand("/usr/bin/pgrep", ["-f", "--", `--config-dir=${cluster.nodes[0]!.root.root}/dns`]);
    process.kill(Number(stdout.trim().split("\n")[0]), "SIGKILL");
    await cluster.waitFor("node-1's DNS to answer again", async () => (await addresses(1, domain)) !== null, { timeoutMs: 10_000 });
  });
});
