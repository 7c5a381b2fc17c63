import { spawn } from "node:child_process";
import { chown, writeFile } from "node:fs/promises";
import path from "node:path";
import { asUser, confinedCommand } from "../../worker/agent/drivers/account-runtime";
import type { NodeRoot } from "../../worker/agent/node-root";
import { lookupSystemGroupId, lookupSystemUser } from "../../worker/agent/system-users";

// A customer's code on a real node, for tests that attack the node's isolation: files it uploads
// into its site (owned by the account, group www-data, as an upload would be), and a shell as the
// account's user started the way the agent starts everything of an account (confinedCommand), as
// if the customer had found a way to run native code.

/** Writes `source` into the site's `dir` (default: "public"), owned by the account. */
export async function putSiteFile(node: NodeRoot, username: string, siteId: string, name: string, source: string, dir = "public"): Promise<string> {
  const user = await lookupSystemUser(username);
  if (!user) throw new Error(`No system user ${username}.`);
  const file = path.join(node.siteDir(username, siteId), dir, name);
  await writeFile(file, source);
  await chown(file, user.uid, (await lookupSystemGroupId("www-data"))!);
  return file;
}

/** Runs `script` with sh as the account's user, confined; stdout and stderr together. */
export async function runAsCustomer(node: NodeRoot, username: string, script: string, timeoutMs = 20_000): Promise<{ code: number | null; out: string }> {
  const user = await lookupSystemUser(username);
  if (!user) throw new Error(`No system user ${username}.`);
  const [file, args] = await confinedCommand(node, username, asUser(user, ["/bin/sh", "-c", script]));
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: "/", env: { PATH: "/usr/bin:/bin" } as unknown as NodeJS.ProcessEnv });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** A PHP page that tries a TCP connection to each `host:port` of ?to= and answers JSON. */
export const connectPhp = `<?php
header('Content-Type: application/json');
$out = [];
foreach (explode(',', $_GET['to']) as $to) {
  $i = strrpos($to, ':');
  $host = substr($to, 0, $i);
  $port = (int)substr($to, $i + 1);
  $s = @fsockopen($host, $port, $errno, $errstr, 2);
  $out[$to] = $s ? 'connected' : "refused: $errstr";
  if ($s) fclose($s);
}
echo json_encode($out);
`;
