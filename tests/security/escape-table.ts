import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { it } from "vitest";

// Every attempt of the security tier is one test and one row of the escape table: what a hostile
// customer tried, what must happen, and what happened. The table is printed after the file and
// kept in var/test-results/ beside the tier's JSON, so a closing note or a reviewer can read it.

export type Row = { area: string; attempt: string; expected: string; observed: string; held: boolean };

const rows: Row[] = [];

/** The outcome of an attempt: whether the defence held, and what was seen, in a few words. */
export type Outcome = { held: boolean; observed: string };

/**
 * Registers one escape attempt as a test. `run` makes the attempt through the real stack and
 * reports what it saw; the test fails when the defence did not hold.
 */
export function attempt(area: string, what: string, expected: string, run: () => Promise<Outcome>, timeoutMs?: number): void {
  it(`${area}: ${what}`, async () => {
    let outcome: Outcome;
    try {
      outcome = await run();
    } catch (e) {
      outcome = { held: false, observed: `the attempt itself broke: ${(e as Error).message}` };
    }
    rows.push({ area, attempt: what, expected, observed: outcome.observed, held: outcome.held });
    if (!outcome.held) throw new Error(`Escape: ${what}. Expected: ${expected}. Observed: ${outcome.observed}`);
  }, timeoutMs);
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\s+/g, " ").trim().slice(0, 160);

/** The table as Markdown, one row per attempt in the order they ran. */
export function renderTable(): string {
  const lines = ["| # | area | attempt | expected | observed | held |", "|---|---|---|---|---|---|"];
  rows.forEach((r, i) => lines.push(`| ${i + 1} | ${r.area} | ${cell(r.attempt)} | ${cell(r.expected)} | ${cell(r.observed)} | ${r.held ? "yes" : "**NO**"} |`));
  return `${lines.join("\n")}\n`;
}

/** Prints the table and writes it to var/test-results/<name>.md. */
export async function publishTable(name: string): Promise<void> {
  if (rows.length === 0) return;
  const table = renderTable();
  console.log(`\nEscape attempts (${rows.filter((r) => r.held).length} of ${rows.length} held):\n${table}`);
  const dir = path.resolve("var/test-results");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.md`), table);
}
