import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountComment, ensureUnixUser, removeUnixUser } from "../../../worker/agent/drivers/unix-user";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { runCommand } from "../../../worker/agent/run-command";
import { makeNode, uniqueUsername } from "./node-harness";

// The nodes of a one-machine cluster (npm start's three) share /etc/passwd, and each converges
// the same hosting account at the same moment. Three node roots here make the same account's
// user at once, many times over: every one of them must succeed (one makes the user, the others
// find it theirs), with exactly one passwd entry. No server runs: the addresses are never used.

const rounds = 60;
let nodes: NodeRoot[] = [];
const made: string[] = [];

const passwdLines = async (name: string) => (await readFile("/etc/passwd", "utf8")).split("\n").filter((line) => line.startsWith(`${name}:`));

beforeAll(async () => {
  nodes = await Promise.all([1, 2, 3].map((i) => makeNode(`127.0.44.${i}`, 18_044, 13_044)));
});

afterAll(async () => {
  for (const name of made) await runCommand("/usr/sbin/userdel", [name]).catch(() => {});
  await Promise.all(nodes.map((node) => rm(path.dirname(node.root), { recursive: true, force: true })));
});

describe("one account's Unix user made by several nodes of one machine at once", () => {
  it(`succeeds on every node, ${rounds} times, leaving one user per account`, async () => {
    const failures: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const account = { id: `race-account-${round}`, username: uniqueUsername("ur") };
      made.push(account.username);
      const results = await Promise.allSettled(nodes.map((node) => ensureUnixUser(node, account)));
      for (const r of results) if (r.status === "rejected") failures.push(`round ${round}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
      const lines = await passwdLines(account.username);
      expect(lines, `round ${round}`).toHaveLength(1);
      expect(lines[0]!.split(":")[4]).toBe(accountComment(account.id));
    }
    expect(failures).toEqual([]);
  });

  it("still refuses a user of the same name that belongs to another account", async () => {
    const username = uniqueUsername("ur");
    made.push(username);
    await ensureUnixUser(nodes[0]!, { id: "first-owner", username });
    const results = await Promise.allSettled(nodes.slice(1).map((node) => ensureUnixUser(node, { id: "second-owner", username })));
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/already exists and is not Shoal account second-owner/);
    }
    expect((await passwdLines(username))[0]!.split(":")[4]).toBe(accountComment("first-owner"));
  });

  it("removes the user once when every node removes the account at once", async () => {
    const account = { id: "race-removal", username: uniqueUsername("ur") };
    made.push(account.username);
    await Promise.all(nodes.map((node) => ensureUnixUser(node, account)));
    const results = await Promise.allSettled(nodes.map((node) => removeUnixUser(node, account.username)));
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r).reason))).toEqual([]);
    expect(await passwdLines(account.username)).toEqual([]);
  });
});
