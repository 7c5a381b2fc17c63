import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseProbe, type DatabaseProbe } from "../../../server/http/database-probe";
import { maintenanceAnswer } from "../../../server/http/maintenance-guard";
import { rememberHostBrand } from "../../../server/services/brand/last-known-brand";
import { startCuttableTcp, type CuttableTcp } from "../../helpers/cuttable-tcp";

// The proxy's maintenance guard against the real Postgres, reached through a forwarder the test
// cuts: the database "goes down" for this probe only.

let forwarder: CuttableTcp;
let probe: DatabaseProbe;
let clock = 0;

beforeAll(async () => {
  const url = new URL(process.env.SHOAL_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432");
  forwarder = await startCuttableTcp({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(forwarder.port);
  url.pathname = "/postgres";
  probe = createDatabaseProbe(url.href, { timeoutMs: 500, freshMs: 1_000, now: () => clock });
});

afterAll(async () => {
  await probe.close();
  await forwarder.close();
});

describe("the maintenance guard", () => {
  it("lets requests through while the database answers, then answers 503 for pages and APIs alike, and recovers", async () => {
    expect(await maintenanceAnswer(probe, "/dashboard", "localhost:3000")).toBeNull();

    await forwarder.cut();
    // Within the fresh window the last answer stands (one check a second, not one per request).
    expect(await maintenanceAnswer(probe, "/dashboard", "localhost:3000")).toBeNull();
    clock += 1_000;
    const started = performance.now();
    const page = await maintenanceAnswer(probe, "/dashboard", "localhost:3000");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(page?.status).toBe(503);
    expect(page?.headers.get("retry-after")).toBe("30");
    expect(page?.headers.get("cache-control")).toBe("no-store");
    expect(page?.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page?.text()).toContain("Your websites keep running");

    const api = await maintenanceAnswer(probe, "/api/trpc/site.list", "localhost:3000");
    expect(api?.status).toBe(503);
    expect(api?.headers.get("content-type")).toBe("application/problem+json");
    expect(await api?.json()).toEqual({ type: "about:blank", title: "Service Unavailable", status: 503, detail: expect.stringContaining("hosted sites keep running") });

    await forwarder.restore();
    clock += 1_000;
    expect(await maintenanceAnswer(probe, "/dashboard", "localhost:3000")).toBeNull();
  });

  it("wears the host's last known brand, escaped, and no name at all on a host it never saw", async () => {
    await forwarder.cut();
    clock += 1_000;
    try {
      rememberHostBrand("panel.reseller-maint.test", { displayName: `Acme <script>alert(1)</script> & "Co"`, primaryColor: "#123456" });
      const branded = await (await maintenanceAnswer(probe, "/", "Panel.Reseller-Maint.TEST:3000"))!.text();
      expect(branded).toContain("Acme &#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;Co&#34;");
      expect(branded).not.toContain("<script>");
      expect(branded).toContain("--brand: #123456");

      const unknown = await (await maintenanceAnswer(probe, "/", "never-seen.test"))!.text();
      expect(unknown).toContain("<title>Maintenance</title>");
      expect(unknown).not.toMatch(/shoal/i);
      expect(unknown).not.toContain("Acme");
    } finally {
      await forwarder.restore();
      clock += 1_000;
    }
  });

  it("a colour that is not #rrggbb never reaches the style sheet", async () => {
    await forwarder.cut();
    clock += 1_000;
    try {
      rememberHostBrand("odd-colour.test", { displayName: "Odd", primaryColor: "red;} body{display:none" });
      const html = await (await maintenanceAnswer(probe, "/", "odd-colour.test"))!.text();
      expect(html).toContain("--brand: #0f766e");
      expect(html).not.toContain("display:none");
    } finally {
      await forwarder.restore();
      clock += 1_000;
    }
  });
});
