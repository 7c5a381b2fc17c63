import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { purposeKey } from "../../../server/contract/cluster-secrets";

// The environments scripts/cluster.sh builds: the panel gets the app-admin key and never the
// cluster secret, even when the caller exported one; nothing the scripts start without being
// handed the secret explicitly inherits it. And the cluster CA ensure_cluster_tls makes: its key
// in a directory of its own, the control plane's identity without it, the panel told of neither.

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** The environment of `(use_panel_env; exec env)` and of a plain child, after ensure_cluster_secret. */
async function environments(secret: string | undefined): Promise<{ panel: Map<string, string>; child: Map<string, string>; varDir: string }> {
  const varDir = await mkdtemp(path.join(tmpdir(), "shoal-scripts-test-"));
  dirs.push(varDir);
  const script = `source scripts/lib.sh; source scripts/cluster.sh; VAR="$1"
ensure_cluster_secret
(use_panel_env; exec env -0) > "$VAR/panel.env"
env -0 > "$VAR/child.env"`;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test" } as NodeJS.ProcessEnv;
  if (secret !== undefined) env.SHOAL_CLUSTER_SECRET = secret;
  await run("bash", ["-c", script, "test", varDir], { cwd: root, env });
  const parse = async (file: string) =>
    new Map((await readFile(path.join(varDir, file), "utf8")).split("\0").filter(Boolean).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as [string, string]));
  return { panel: await parse("panel.env"), child: await parse("child.env"), varDir };
}

function expectNoSecret(env: Map<string, string>, secret: string): void {
  expect(env.has("SHOAL_CLUSTER_SECRET")).toBe(false);
  for (const [name, value] of env) expect(value.includes(secret), `${name} holds the cluster secret`).toBe(false);
}

describe("the panel's environment as the scripts build it", () => {
  it("holds the app-admin key and not the cluster secret the caller exported", async () => {
    const secret = "exported-cluster-secret-0123456789abcdef";
    const { panel, child } = await environments(secret);
    expectNoSecret(panel, secret);
    expect(panel.get("SHOAL_APP_ADMIN_KEY")).toBe(purposeKey(secret, "app-admin"));
    // Nor does anything else the script starts without being handed it (the seed, the build).
    expectNoSecret(child, secret);
  }, 60_000);

  it("holds the app-admin key of the secret kept in var/, never the secret", async () => {
    const { panel, varDir } = await environments(undefined);
    const secret = (await readFile(path.join(varDir, "cluster-secret"), "utf8")).trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expectNoSecret(panel, secret);
    expect(panel.get("SHOAL_APP_ADMIN_KEY")).toBe(purposeKey(secret, "app-admin"));
  }, 60_000);
});

describe("the cluster CA as the scripts make it", () => {
  it("keeps the CA key apart from the control plane's identity, owner-only, keeps both on the next start, and tells the panel nothing", async () => {
    const varDir = await mkdtemp(path.join(tmpdir(), "shoal-scripts-tls-test-"));
    dirs.push(varDir);
    const script = `source scripts/lib.sh; source scripts/cluster.sh; VAR="$1"
ensure_cluster_secret
ensure_cluster_tls
(use_panel_env; exec env -0) > "$VAR/panel.env"`;
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test" } as NodeJS.ProcessEnv;
    await run("bash", ["-c", script, "test", varDir], { cwd: root, env });
    const mode = async (p: string) => (await stat(path.join(varDir, p))).mode & 0o777;
    expect(await mode("cluster-ca")).toBe(0o700);
    expect(await mode("cluster-ca/ca.key")).toBe(0o600);
    expect(await mode("cluster-tls")).toBe(0o700);
    expect((await readdir(path.join(varDir, "cluster-tls"))).sort()).toEqual(["ca.crt", "cert.pem", "key.pem"]);
    expect(await mode("cluster-tls/key.pem")).toBe(0o600);
    const control = new X509Certificate(await readFile(path.join(varDir, "cluster-tls/cert.pem")));
    expect(control.subject).toContain("OU=control-plane");
    expect(control.checkIssued(new X509Certificate(await readFile(path.join(varDir, "cluster-ca/ca.crt"))))).toBe(true);
    const panel = await readFile(path.join(varDir, "panel.env"), "utf8");
    expect(panel).not.toContain("cluster-ca");
    expect(panel).not.toContain("cluster-tls");

    const before = [await readFile(path.join(varDir, "cluster-ca/ca.crt"), "utf8"), await readFile(path.join(varDir, "cluster-tls/cert.pem"), "utf8")];
    await run("bash", ["-c", script, "test", varDir], { cwd: root, env });
    expect([await readFile(path.join(varDir, "cluster-ca/ca.crt"), "utf8"), await readFile(path.join(varDir, "cluster-tls/cert.pem"), "utf8")]).toEqual(before);
  }, 60_000);
});
