import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, type SFTPWrapper } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../../server/auth/password";
import { parseNodeSpec, type NodeSpecInput } from "../../../server/contract/node-spec";
import { ensureSftpHostKey } from "../../../scripts/cluster/cluster-ca";
import { converge } from "../../../worker/agent/converge";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { CommandError, runCommand } from "../../../worker/agent/run-command";
import { directoryFromSpec, toDirectory } from "../../../worker/agent/sftp/directory";
import { startSftpGateway, type SftpGateway } from "../../../worker/agent/sftp/gateway";
import { lookupSystemUser } from "../../../worker/agent/system-users";
import { destroyNode, makeNode, uniqueUsername } from "./node-harness";

// The SFTP gateway on two real nodes, with real clients: OpenSSH's sftp in batch mode with a key,
// and ssh2's client with a password. Alice and Bob have their sites on node A, Carol on node B:
// a session to the other node is forwarded to the live one. The chroot is attacked from inside.

const A = { address: "127.0.43.1", port: 18431 };
const B = { address: "127.0.43.2", port: 18432 };
const alice = uniqueUsername("sa");
const bob = uniqueUsername("sb");
const carol = uniqueUsername("sc");
const dave = uniqueUsername("sd");
const alicePassword = "alice-sftp-password-1";
const bobPassword = "bob-sftp-password-22";
const carolPassword = "carol-sftp-password-3";

let nodeA: NodeRoot;
let nodeB: NodeRoot;
let gatewayA: SftpGateway;
let gatewayB: SftpGateway;
let work: string;
let aliceKey: string;
let knownHosts: string;

function specFor(sites: NodeSpecInput["sites"], accounts: NodeSpecInput["accounts"], sftp: NonNullable<NodeSpecInput["sftp"]>): NodeSpecInput {
  return { accounts, sites, databases: [], egress: { allow: [], clusterAddresses: [A.address, B.address] }, sftp };
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** OpenSSH's sftp in batch mode with Alice's key, host key checked strictly against the cluster's. */
async function sftpBatch(target: { address: string; port: number }, user: string, commands: string[]): Promise<{ ok: boolean; output: string }> {
  const batch = path.join(work, `batch-${randomBytes(4).toString("hex")}`);
  await writeFile(batch, `${commands.join("\n")}\n`);
  try {
    const { stdout, stderr } = await runCommand("/usr/bin/sftp", [
      "-b", batch, "-i", aliceKey, "-P", String(target.port),
      "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`,
      "-o", "IdentitiesOnly=yes", "-o", "PreferredAuthentications=publickey",
      `${user}@${target.address}`,
    ], { timeoutMs: 20_000 });
    return { ok: true, output: stdout + stderr };
  } catch (e) {
    if (e instanceof CommandError) return { ok: false, output: e.output };
    throw e;
  }
}

/** ssh2's client with a password; resolves the SFTP session, or rejects with the sign-in error. */
function ssh2Sftp(target: { address: string; port: number }, username: string, password: string): Promise<{ sftp: SFTPWrapper; end: () => void }> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    conn.on("ready", () => {
      conn.sftp((err, sftp) => (err ? reject(err) : resolve({ sftp, end: () => conn.end() })));
    });
    conn.on("error", reject);
    conn.connect({ host: target.address, port: target.port, username, password, readyTimeout: 15_000, tryKeyboard: false });
  });
}

const call = <T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "shoal-sftp-test-"));
  const hostKey = await ensureSftpHostKey(work);
  await runCommand("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(work, "alice")]);
  aliceKey = path.join(work, "alice");
  const alicePublic = (await readFile(`${aliceKey}.pub`, "utf8")).trim().split(" ").slice(0, 2).join(" ");
  const hostPublic = (await runCommand("/usr/bin/ssh-keygen", ["-y", "-f", path.join(work, "sftp_host_key")])).stdout.trim().split(" ").slice(0, 2).join(" ");
  knownHosts = path.join(work, "known_hosts");
  // The same host key for both nodes: the client would refuse any other.
  await writeFile(knownHosts, `[${A.address}]:${A.port} ${hostPublic}\n[${B.address}]:${B.port} ${hostPublic}\n`);

  const sftp = {
    port: A.port,
    accounts: [
      { username: alice, passwordHash: await hashPassword(alicePassword), keys: [alicePublic], liveAt: [`${A.address}:${A.port}`] },
      { username: bob, passwordHash: await hashPassword(bobPassword), keys: [], liveAt: [`${A.address}:${A.port}`] },
      { username: carol, passwordHash: await hashPassword(carolPassword), keys: [], liveAt: [`${B.address}:${B.port}`] },
    ],
  };
  const specA = specFor(
    [
      { id: "sa1", accountId: "acc-a", domains: ["alice.example.test"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
      { id: "sa2", accountId: "acc-a", domains: ["shop.alice.example.test"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
      { id: "sb1", accountId: "acc-b", domains: ["bob.example.test"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
    ],
    [
      { id: "acc-a", username: alice, status: "ACTIVE" },
      { id: "acc-b", username: bob, status: "ACTIVE" },
    ],
    sftp,
  );
  const specB = specFor(
    [{ id: "sc1", accountId: "acc-c", domains: ["carol.example.test"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" }],
    [{ id: "acc-c", username: carol, status: "ACTIVE" }],
    { ...sftp, port: B.port },
  );
  nodeA = await makeNode(A.address, 18433, 17433, { backendPort: 18434, holdPort: 18435 });
  nodeB = await makeNode(B.address, 18436, 17436, { backendPort: 18437, holdPort: 18438 });
  const [resultsA, resultsB] = await Promise.all([converge(nodeA, parseNodeSpec(specA)), converge(nodeB, parseNodeSpec(specB))]);
  expect([...resultsA, ...resultsB].filter((r) => !r.ok)).toEqual([]);
  const dirA = toDirectory(nodeA, directoryFromSpec(parseNodeSpec(specA)));
  const dirB = toDirectory(nodeB, directoryFromSpec(parseNodeSpec(specB)));
  gatewayA = await startSftpGateway({ node: nodeA, host: A.address, port: A.port, hostKey, directory: () => dirA, log: (line, fields) => console.log("A:", line, fields ?? "") });
  gatewayB = await startSftpGateway({ node: nodeB, host: B.address, port: B.port, hostKey, directory: () => dirB, log: (line, fields) => console.log("B:", line, fields ?? "") });
  await writeFile(path.join(nodeA.siteDir(bob, "sb1"), "public/bob-secret.txt"), "bob's secret\n");
}, 240_000);

afterAll(async () => {
  await gatewayA?.close();
  await gatewayB?.close();
  await Promise.all([nodeA && destroyNode(nodeA), nodeB && destroyNode(nodeB)]);
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

describe("OpenSSH sftp with a key", () => {
  it("uploads, downloads, renames, changes modes and resumes an upload, as the account, through each node", async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const local = path.join(work, "upload.bin");
    const half = path.join(work, "half.bin");
    await writeFile(local, data);
    await writeFile(half, data.subarray(0, 1024 * 1024));
    for (const [i, gateway] of [A, B].entries()) {
      const back = path.join(work, `back-${i}.bin`);
      const r = await sftpBatch(gateway, alice, [
        "cd /alice.example.test/public",
        `put ${half} big-${i}.bin`,
        // Resume: append what the server does not have yet.
        `reput ${local} big-${i}.bin`,
        `rename big-${i}.bin moved-${i}.bin`,
        `chmod 640 moved-${i}.bin`,
        `get moved-${i}.bin ${back}`,
      ]);
      expect(r.output, r.output).toBeTruthy();
      expect(r.ok, r.output).toBe(true);
      expect(sha256(await readFile(back))).toBe(sha256(data));
      const onDisk = path.join(nodeA.siteDir(alice, "sa1"), `public/moved-${i}.bin`);
      const st = await stat(onDisk);
      const user = await lookupSystemUser(alice);
      expect(st.uid).toBe(user!.uid);
      expect(st.mode & 0o777).toBe(0o640);
      expect(sha256(await readFile(onDisk))).toBe(sha256(data));
    }
  }, 90_000);

  it("shows only the account's own sites at /, and nothing of the platform or another account", async () => {
    const r = await sftpBatch(A, alice, ["ls -1a /", "cd /..", "pwd"]);
    expect(r.ok, r.output).toBe(true);
    const listed = r.output.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("/") && l !== "/." && l !== "/..");
    // Every entry of /, hidden ones included: the two sites, nothing of the platform or of Bob.
    expect(listed.sort()).toEqual(["/alice.example.test", "/shop.alice.example.test"]);
    expect(r.output).toContain("Remote working directory: /\n");
    for (const attempt of [
      ["get /etc/passwd"],
      ["ls /usr"],
      [`get ${nodeA.siteDir(bob, "sb1")}/public/bob-secret.txt`],
      ["get /bob.example.test/public/bob-secret.txt"],
      ["mkdir /platform"],
      ["put /etc/hostname /evil.txt"],
    ]) {
      const refused = await sftpBatch(A, alice, attempt);
      expect(refused.ok, `${attempt[0]} must fail: ${refused.output}`).toBe(false);
    }
  }, 90_000);

  it("does not follow a symlink out of the account's tree", async () => {
    const site = nodeA.siteDir(alice, "sa1");
    await symlink("/etc/shadow", path.join(site, "public/shadow-link"));
    await symlink(nodeA.siteDir(bob, "sb1"), path.join(site, "public/bob-link"));
    for (const target of ["shadow-link", "bob-link/public/bob-secret.txt"]) {
      const r = await sftpBatch(A, alice, [`get /alice.example.test/public/${target} ${path.join(work, "stolen")}`]);
      expect(r.ok, r.output).toBe(false);
    }
  }, 60_000);

  it("refuses a key that is not the account's and an account without SFTP", async () => {
    expect((await sftpBatch(A, bob, ["ls /"])).ok).toBe(false);
    expect((await sftpBatch(A, dave, ["ls /"])).ok).toBe(false);
  }, 30_000);
});

describe("ssh2's client with a password", () => {
  it("works through the node that serves the sites and through one that forwards", async () => {
    for (const gateway of [B, A]) {
      const { sftp, end } = await ssh2Sftp(gateway, carol, carolPassword);
      try {
        const root = await call<{ filename: string }[]>((cb) => sftp.readdir("/", cb));
        expect(root.map((e) => e.filename).sort()).toEqual(["carol.example.test"]);
        const data = randomBytes(256 * 1024);
        const local = path.join(work, "carol.bin");
        await writeFile(local, data);
        await call((cb) => sftp.fastPut(local, "/carol.example.test/public/c.bin", cb));
        await call((cb) => sftp.rename("/carol.example.test/public/c.bin", "/carol.example.test/public/d.bin", cb));
        await call((cb) => sftp.chmod("/carol.example.test/public/d.bin", 0o600, cb));
        const back = path.join(work, "carol-back.bin");
        await call((cb) => sftp.fastGet("/carol.example.test/public/d.bin", back, cb));
        expect(sha256(await readFile(back))).toBe(sha256(data));
        const st = await stat(path.join(nodeB.siteDir(carol, "sc1"), "public/d.bin"));
        expect(st.mode & 0o777).toBe(0o600);
        await call((cb) => sftp.unlink("/carol.example.test/public/d.bin", cb));
      } finally {
        end();
      }
    }
  }, 60_000);

  it("limits wrong passwords like panel sign-ins: after five, even the right one is refused", async () => {
    for (let i = 0; i < 5; i++) await expect(ssh2Sftp(A, bob, `wrong-password-${i}`)).rejects.toThrow(/authentication/i);
    await expect(ssh2Sftp(A, bob, bobPassword)).rejects.toThrow(/authentication/i);
  }, 60_000);
});
