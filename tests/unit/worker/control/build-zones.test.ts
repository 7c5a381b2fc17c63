import { describe, expect, it } from "vitest";
import { contentHash, ownerName, zoneContent } from "../../../../worker/control/build-zones";
import { zoneSpecSchema } from "../../../../server/contract/dns-zone";

const domain = (records: { name: string; type: string; content: string; ttl?: number; priority?: number | null; weight?: number | null; port?: number | null }[], sites = 1) => ({
  id: "d1",
  name: "example.com",
  records: records.map((r) => ({ ttl: 300, priority: null, ...r })),
  _count: { sites },
});

describe("zoneContent", () => {
  it("apex NS from the domain's rows, A for apex and www naming every healthy node", () => {
    const z = zoneContent(domain([{ name: "@", type: "NS", content: "ns1.reseller.example." }, { name: "@", type: "NS", content: "NS2.reseller.example" }]), ["127.0.1.2", "127.0.1.1"], ["ns1.default.example"]);
    expect(z.primary).toBe("ns1.reseller.example");
    expect(z.records.filter((r) => r.type === "NS").map((r) => r.content)).toEqual(["ns1.reseller.example", "ns2.reseller.example"]);
    expect(z.records.filter((r) => r.type === "A").map((r) => `${r.name} ${r.content} ${r.ttl}`)).toEqual([
      "example.com 127.0.1.1 30",
      "example.com 127.0.1.2 30",
      "www.example.com 127.0.1.1 30",
      "www.example.com 127.0.1.2 30",
    ]);
    expect(zoneSpecSchema.safeParse({ ...z, serial: 1 }).success).toBe(true);
  });

  it("the platform's default nameservers when the domain has none; no A records without a site", () => {
    const z = zoneContent(domain([], 0), ["127.0.1.1"], ["ns1.default.example", "ns2.default.example"]);
    expect(z.records.map((r) => `${r.type} ${r.content}`)).toEqual(["NS ns1.default.example", "NS ns2.default.example"]);
  });

  it("leaves out a bad row, a customer A/CNAME at a platform name and a CNAME beside other data", () => {
    const z = zoneContent(
      domain([
        { name: "www", type: "CNAME", content: "elsewhere.example" },
        { name: "@", type: "A", content: "10.0.0.1" },
        { name: "mail", type: "A", content: "not an address" },
        { name: "shop", type: "CNAME", content: "shops.example" },
        { name: "shop", type: "TXT", content: "hello" },
        { name: "blog", type: "CNAME", content: "blogs.example" },
        { name: "@", type: "MX", content: "mail.example.com", priority: 10 },
      ]),
      ["127.0.1.1"],
      ["ns1.default.example"],
    );
    const customer = z.records.filter((r) => r.type !== "NS" && r.type !== "A");
    expect(customer.map((r) => `${r.name} ${r.type}`)).toEqual(["shop.example.com TXT", "blog.example.com CNAME", "example.com MX"]);
    expect(z.records.some((r) => r.content === "10.0.0.1")).toBe(false);
  });

  it("an SRV row as the zone editor stores it (target in content, weight and port in their columns) is served whole", () => {
    const z = zoneContent(domain([{ name: "_sip._tcp", type: "SRV", content: "sip.example.com", priority: 10, weight: 5, port: 5060 }]), ["127.0.1.1"], ["ns1.d.example"]);
    expect(z.records.filter((r) => r.type === "SRV").map((r) => `${r.name} ${r.priority} ${r.content}`)).toEqual(["_sip._tcp.example.com 10 5 5060 sip.example.com"]);
  });

  it("the hash follows the content, so the serial moves only when an answer would", () => {
    const a = zoneContent(domain([]), ["127.0.1.1", "127.0.1.2"], ["ns1.d.example"]);
    const b = zoneContent(domain([]), ["127.0.1.2", "127.0.1.1"], ["ns1.d.example"]);
    const c = zoneContent(domain([]), ["127.0.1.1"], ["ns1.d.example"]);
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).not.toBe(contentHash(c));
  });

  it("owner names: @, relative, absolute and with a final dot", () => {
    expect(["@", "", "example.com.", "EXAMPLE.com"].map((n) => ownerName("example.com", n))).toEqual(Array(4).fill("example.com"));
    expect(ownerName("example.com", "www")).toBe("www.example.com");
    expect(ownerName("example.com", "www.example.com.")).toBe("www.example.com");
  });
});
