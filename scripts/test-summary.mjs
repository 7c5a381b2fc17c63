// Reads the JSON each tier wrote and prints a table per tier, then the one line CI reads:
// "N passed, N failed, N skipped". Exits 1 when anything failed or a tier did not run. The static
// checks (type check, lint), when they ran, count as one result each.
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2];
const seconds = Number(process.argv[3] ?? 0);
const read = (f) => (fs.existsSync(path.join(dir, f)) ? JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) : null);
const crashed = (f) => fs.existsSync(path.join(dir, f));

const tiers = [];
for (const check of ["typecheck", "lint"]) {
  if (fs.existsSync(path.join(dir, `check-${check}.passed`))) tiers.push({ name: check, passed: 1, failed: 0, skipped: 0 });
  else if (fs.existsSync(path.join(dir, `check-${check}.failed`))) tiers.push({ name: check, passed: 0, failed: 1, skipped: 0 });
}
function vitestTiers(json, names, crashFile) {
  const counts = Object.fromEntries(names.map((n) => [n, { passed: 0, failed: 0, skipped: 0 }]));
  for (const file of json?.testResults ?? []) {
    const rel = path.relative(process.cwd(), file.name);
    const tier = names.find((n) => rel.includes(`tests/${n}/`)) ?? names[0];
    // A file that failed with none of its tests failing broke outside them: it did not load, or a
    // beforeAll/afterAll hook threw (its tests then read as skipped). That is a failure too.
    if (file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed")) counts[tier].failed += 1;
    for (const t of file.assertionResults) {
      if (t.status === "passed") counts[tier].passed++;
      else if (t.status === "failed") counts[tier].failed++;
      else counts[tier].skipped++;
    }
  }
  const total = names.reduce((s, n) => s + counts[n].passed + counts[n].failed, 0);
  if (crashed(crashFile) && (!json || (json.numFailedTests === 0 && json.numFailedTestSuites === 0 && total === 0))) {
    counts[names[0]].failed += 1; // the runner itself failed before reporting a test
  }
  for (const n of names) tiers.push({ name: n, ...counts[n] });
}

vitestTiers(read("vitest.json"), ["unit", "integration"], "vitest.failed");

const pw = read("playwright.json");
const e2e = { name: "e2e", passed: 0, failed: 0, skipped: 0 };
if (pw) {
  e2e.passed = (pw.stats?.expected ?? 0) + (pw.stats?.flaky ?? 0);
  e2e.failed = pw.stats?.unexpected ?? 0;
  e2e.skipped = pw.stats?.skipped ?? 0;
  if (crashed("playwright.failed") && e2e.failed === 0 && (pw.errors?.length ?? 0) > 0) e2e.failed = 1;
} else if (crashed("playwright.failed")) e2e.failed = 1;
tiers.push(e2e);

const cluster = read("cluster.json");
if (cluster || crashed("cluster.failed")) vitestTiers(cluster, ["cluster"], "cluster.failed");
else tiers.push({ name: "cluster", passed: 0, failed: 0, skipped: 0 });

const security = read("security.json");
if (security || crashed("security.failed")) vitestTiers(security, ["security"], "security.failed");
else tiers.push({ name: "security", passed: 0, failed: 0, skipped: 0 });

const sum = tiers.reduce((s, t) => ({ passed: s.passed + t.passed, failed: s.failed + t.failed, skipped: s.skipped + t.skipped }), { passed: 0, failed: 0, skipped: 0 });
console.log("");
console.log("tier          passed  failed  skipped");
for (const t of tiers) console.log(`${t.name.padEnd(12)} ${String(t.passed).padStart(7)} ${String(t.failed).padStart(7)} ${String(t.skipped).padStart(8)}`);
console.log(`(${Math.floor(seconds / 60)} min ${seconds % 60} s)`);
console.log("");
console.log(`${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
process.exit(sum.failed > 0 ? 1 : 0);
