import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The summary line is what CI reads: a tier that broke outside its tests must never read as green.
const script = path.resolve(import.meta.dirname, "../../../scripts/test-summary.mjs");

function summarise(files: Record<string, unknown>): { line: string; code: number } {
  const dir = mkdtempSync(path.join(tmpdir(), "shoal-summary-"));
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dir, name), typeof body === "string" ? body : JSON.stringify(body));
  try {
    const out = execFileSync(process.execPath, [script, dir, "1"], { encoding: "utf8" });
    return { line: out.trim().split("\n").at(-1)!, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; status: number };
    return { line: err.stdout.trim().split("\n").at(-1)!, code: err.status };
  }
}

const clusterFile = (status: string, tests: string[]) => ({
  name: path.resolve("tests/cluster/x.test.ts"),
  status,
  assertionResults: tests.map((s) => ({ status: s })),
});

describe("scripts/test-summary.mjs", () => {
  it("counts passes, failures and skips of every tier", () => {
    const r = summarise({ "check-typecheck.passed": "", "cluster.json": { testResults: [clusterFile("failed", ["passed", "failed", "skipped"])] } });
    expect(r.line).toBe("2 passed, 1 failed, 1 skipped");
    expect(r.code).toBe(1);
  });

  it("counts a file whose beforeAll threw (every test skipped) as a failure, and exits 1", () => {
    const r = summarise({ "cluster.json": { testResults: [clusterFile("failed", ["skipped", "skipped"])] }, "cluster.failed": "cluster exited with 1" });
    expect(r.line).toBe("0 passed, 1 failed, 2 skipped");
    expect(r.code).toBe(1);
  });

  it("counts a runner that crashed before reporting anything as a failure", () => {
    const r = summarise({ "vitest.failed": "vitest exited with 1" });
    expect(r.line).toBe("0 passed, 1 failed, 0 skipped");
  });
});
