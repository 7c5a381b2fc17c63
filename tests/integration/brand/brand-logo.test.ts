import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { GET } from "../../../app/brand-logo/[resellerId]/route";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

async function image(width: number, height: number, format: "png" | "jpeg" | "webp" | "gif" | "tiff") {
  return sharp({ create: { width, height, channels: 3, background: "#336699" } })
    .toFormat(format)
    .toBuffer();
}
const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64");

async function snapshot(resellerId: string) {
  return {
    brand: await db.brand.findUniqueOrThrow({ where: { resellerId } }),
    audit: await db.auditEvent.count(),
    outbox: await db.outboxEvent.count(),
  };
}

function fetchLogo(resellerId: string, query = "") {
  return GET(new Request(`http://panel.test/brand-logo/${resellerId}${query}`), {
    params: Promise.resolve({ resellerId }),
  });
}

describe("brand.uploadLogo", () => {
  it("stores a PNG re-encode that fits 512x512, without metadata, and records it", async () => {
    const jpeg = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: "#aa3300" } })
      .jpeg()
      .withMetadata({ exif: { IFD0: { Copyright: "secret-exif-marker" } } })
      .toBuffer();
    expect(jpeg.includes("secret-exif-marker")).toBe(true);
    const before = await snapshot(w.resellerA.id);
    const brand = await callerFor(w.users.resellerA).brand.uploadLogo({ logo: b64(jpeg) });
    expect(brand.logo).toMatchObject({ width: 512, height: 256 });
    expect(brand.logo!.url).toMatch(new RegExp(`^/brand-logo/${w.resellerA.id}\\?v=\\d+$`));

    const after = await snapshot(w.resellerA.id);
    const stored = Buffer.from(after.brand.logoPng!);
    const meta = await sharp(stored).metadata();
    expect(meta).toMatchObject({ format: "png", width: 512, height: 256 });
    expect(meta.exif).toBeUndefined();
    expect(stored.includes("secret-exif-marker")).toBe(false);
    expect(after.audit).toBe(before.audit + 1);
    // The logo is panel state only: nothing for a worker to converge.
    expect(after.outbox).toBe(before.outbox);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: w.resellerA.id, action: "brand.uploadLogo" } });
    expect(JSON.stringify(audit.after)).not.toContain("iVBOR");
  });

  it("accepts PNG, WebP and GIF, and keeps small logos at their size", async () => {
    for (const format of ["png", "webp", "gif"] as const) {
      const brand = await callerFor(w.users.admin).brand.uploadLogo({ resellerId: w.resellerB.id, logo: b64(await image(40, 20, format)) });
      expect(brand.logo, format).toMatchObject({ width: 40, height: 20 });
    }
  });

  it("rejects SVG, non-images, truncated and out-of-bounds images on the logo field and saves nothing", async () => {
    const png = await image(100, 50, "png");
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><script>alert(1)</script></svg>';
    const cases: Array<[string, string, RegExp]> = [
      ["svg", b64(svg), /SVG/],
      ["svg with xml prolog", b64(`<?xml version="1.0"?>${svg}`), /SVG/],
      ["html", b64("<html><script>alert(1)</script></html>"), /not an image/],
      ["truncated png", b64(png.subarray(0, Math.floor(png.length / 2))), /damaged|not an image/],
      ["tiff", b64(await image(40, 40, "tiff")), /TIFF/],
      ["too small", b64(await image(15, 40, "png")), /15×40/],
      ["too large", b64(await image(4001, 20, "png")), /4001×20/],
      ["not base64", "!!!!", /intact/],
      ["empty", "", /Choose/],
    ];
    const before = await snapshot(w.subA.id);
    for (const [name, logo, message] of cases) {
      const f = await expectFailure(callerFor(w.users.subA).brand.uploadLogo({ logo }));
      expect(Object.keys(f.fields), name).toEqual(["logo"]);
      expect(f.fields.logo, name).toMatch(message);
    }
    expect(await snapshot(w.subA.id)).toEqual(before);
  });

  it("rejects a file over 1 MB decoded, and over 1.5 MB of base64 before decoding", async () => {
    const before = await snapshot(w.subA.id);
    // Random pixels do not compress, so this PNG really is over 1 MB.
    const noise = await sharp(Buffer.from(Array.from({ length: 700 * 700 * 3 }, () => Math.floor(Math.random() * 256))), {
      raw: { width: 700, height: 700, channels: 3 },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(1024 * 1024);
    const f = await expectFailure(callerFor(w.users.subA).brand.uploadLogo({ logo: b64(noise.subarray(0, 1024 * 1024 + 3)) }));
    expect(f.fields.logo).toMatch(/1 MB/);
    const g = await expectFailure(callerFor(w.users.subA).brand.uploadLogo({ logo: "A".repeat(1.5 * 1024 * 1024 + 4) }));
    expect(g.fields.logo).toMatch(/1 MB/);
    expect(await snapshot(w.subA.id)).toEqual(before);
  });

  it("neutralises a polyglot: a valid image carrying HTML is stored as clean pixels", async () => {
    const png = await image(64, 64, "png");
    const polyglot = Buffer.concat([png, Buffer.from("<html><body><script>alert(document.cookie)</script></body></html>")]);
    await callerFor(w.users.subA).brand.uploadLogo({ logo: b64(polyglot) });
    const stored = Buffer.from((await db.brand.findUniqueOrThrow({ where: { resellerId: w.subA.id } })).logoPng!);
    expect(stored.includes("<script>")).toBe(false);
    expect(stored.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  });

  it("keeps another tree's brand out of reach", async () => {
    const png = b64(await image(32, 32, "png"));
    expect((await expectFailure(callerFor(w.users.resellerB).brand.uploadLogo({ resellerId: w.subA.id, logo: png }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.subA).brand.uploadLogo({ resellerId: w.resellerA.id, logo: png }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.customerA).brand.uploadLogo({ logo: png }))).code).toBe("FORBIDDEN");
    expect((await expectFailure(callerFor(w.users.resellerB).brand.removeLogo({ resellerId: w.subA.id }))).code).toBe("NOT_FOUND");
  });
});

describe("brand.removeLogo and the logo route", () => {
  it("serves the stored PNG with safe, cacheable headers, then 404 once removed", async () => {
    const brand = await callerFor(w.users.resellerB).brand.uploadLogo({ logo: b64(await image(80, 40, "webp")) });
    const version = new URL(brand.logo!.url, "http://x").searchParams.get("v")!;

    const res = await fetchLogo(w.resellerB.id, `?v=${version}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const body = Buffer.from(await res.arrayBuffer());
    expect(await sharp(body).metadata()).toMatchObject({ format: "png", width: 80, height: 40 });

    // A stale or missing version must not be cached for long.
    expect((await fetchLogo(w.resellerB.id, "?v=1")).headers.get("cache-control")).toBe("public, max-age=60");

    const before = await snapshot(w.resellerB.id);
    const removed = await callerFor(w.users.resellerB).brand.removeLogo({});
    expect(removed.logo).toBeNull();
    const after = await snapshot(w.resellerB.id);
    expect(after.brand).toMatchObject({ logoPng: null, logoWidth: null, logoHeight: null, logoUpdatedAt: null });
    expect(after.audit).toBe(before.audit + 1);

    const gone = await fetchLogo(w.resellerB.id, `?v=${version}`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get("x-content-type-options")).toBe("nosniff");

    // Removing again is a no-op that records nothing.
    await callerFor(w.users.resellerB).brand.removeLogo({});
    expect((await snapshot(w.resellerB.id)).audit).toBe(after.audit);
  });

  it("answers 404 for unknown and malformed reseller ids", async () => {
    expect((await fetchLogo("nope")).status).toBe(404);
    expect((await fetchLogo("../../etc/passwd")).status).toBe(404);
  });
});
