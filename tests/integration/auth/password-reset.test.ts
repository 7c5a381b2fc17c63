import { describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { getAuthState } from "../../../server/auth/get-auth-state";
import { clearBrandCache, resolveBrand } from "../../../server/services/brand/resolve-brand";
import { authFor, makeWorld } from "../../helpers/fixtures";
import { headersFor, makeLogin, post, signIn } from "./http";

async function resetLinkToken(to: string): Promise<string> {
  const mail = await db.mailMessage.findFirstOrThrow({ where: { toAddress: to }, orderBy: { createdAt: "desc" } });
  return /reset-password\/new\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1]!;
}

describe("password reset", () => {
  it("mails a link branded for the reseller, which works once and revokes every session", async () => {
    const world = await makeWorld();
    await db.brand.update({
      where: { resellerId: world.resellerA.id },
      data: { displayName: "Acme Hosting", emailSenderName: "Acme", supportEmail: "help@acme.test", primaryColor: "#123456" },
    });
    await db.brandHostname.create({ data: { hostname: "panel.acme.test", resellerId: world.resellerA.id } });
    const { email, userId } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const existing = await signIn(email);
    expect(await getAuthState(headersFor(existing.jar))).not.toBeNull();

    const res = await post("/request-password-reset", { email }, new Map(), { host: "panel.acme.test:3000" });
    expect(res.status).toBe(200);
    const mail = await db.mailMessage.findFirstOrThrow({ where: { toAddress: email } });
    expect(mail).toMatchObject({ resellerId: world.resellerA.id, fromName: "Acme", fromAddress: "help@acme.test", subject: "Reset your password" });
    expect(mail.html).toContain("Acme Hosting");
    expect(mail.html).toContain("#123456");
    for (const body of [mail.text, mail.html, mail.subject, mail.fromName, mail.fromAddress]) expect(body).not.toMatch(/shoal/i);
    expect(mail.text).toContain("http://panel.acme.test:3000/reset-password/new?token=");

    const token = await resetLinkToken(email);
    const reset = await post("/reset-password", { token, newPassword: "a-brand-new-password" });
    expect(reset.status).toBe(200);
    expect(await db.session.count({ where: { userId } })).toBe(0);
    expect(await getAuthState(headersFor(existing.jar))).toBeNull();

    const again = await post("/reset-password", { token, newPassword: "yet-another-password" });
    expect(again.status).toBe(400);
    expect((await signIn(email, "a-brand-new-password")).res.status).toBe(200);
    expect((await signIn(email, "yet-another-password")).res.status).toBe(401);
  });

  it("a sub-reseller without a host of its own mails under its nearest ancestor's host and brand", async () => {
    const world = await makeWorld();
    await db.brand.update({ where: { resellerId: world.resellerA.id }, data: { displayName: "Alpha Hosting", supportEmail: null, emailSenderName: null } });
    await db.brandHostname.create({ data: { hostname: "panel.alpha-parent.test", resellerId: world.resellerA.id } });
    const { email } = await makeLogin("CUSTOMER", world.subA.id, world.customers.s.customer.id);

    expect((await post("/request-password-reset", { email }, new Map(), { host: "panel.alpha-parent.test:3000" })).status).toBe(200);
    const mail = await db.mailMessage.findFirstOrThrow({ where: { toAddress: email } });
    expect(mail.resellerId).toBe(world.subA.id);
    expect(mail.fromName).toBe("Alpha Hosting");
    expect(mail.fromAddress).toBe("no-reply@panel.alpha-parent.test");
    expect(mail.text).toContain("http://panel.alpha-parent.test:3000/reset-password/new?token=");
    for (const body of [mail.text, mail.html, mail.subject, mail.fromName, mail.fromAddress]) {
      expect(body).not.toMatch(/shoal|localhost/i);
    }

    // Pages too: signed in on the platform's host, the customer sees the ancestor's brand.
    clearBrandCache();
    const brand = await resolveBrand("localhost:3000", authFor(world.users.customerSubA));
    expect(brand).toMatchObject({ resellerId: world.resellerA.id, displayName: "Alpha Hosting", isPlatform: false });
  });

  it("answers the same for an unknown address and sends nothing", async () => {
    const world = await makeWorld();
    const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const known = await post("/request-password-reset", { email });
    const unknown = await post("/request-password-reset", { email: "nobody@example.test" });
    expect(unknown.status).toBe(known.status);
    expect(await unknown.json()).toEqual(await known.json());
    expect(await db.mailMessage.count({ where: { toAddress: "nobody@example.test" } })).toBe(0);
  });

  it("limits reset requests per account", async () => {
    await makeWorld();
    for (let i = 0; i < 5; i++) expect((await post("/request-password-reset", { email: "x@example.test" })).status).toBe(200);
    const limited = await post("/request-password-reset", { email: "x@example.test" });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { message: string }).message).toMatch(/Too many attempts, try again in \d+ minutes/);
  });

  it("an invitation without a password becomes a working login through the same page", async () => {
    const world = await makeWorld();
    const { createLogin } = await import("../../../server/auth/create-login");
    const { userId } = await db.$transaction((tx) =>
      createLogin(tx, { email: "invitee@example.test", name: "Invitee", role: "CUSTOMER", resellerId: world.resellerA.id, customerId: world.customers.a.customer.id }),
    );
    const token = await resetLinkToken("invitee@example.test");
    expect((await post("/reset-password", { token, newPassword: "my-first-password" })).status).toBe(200);
    const { res } = await signIn("invitee@example.test", "my-first-password");
    expect(res.status).toBe(200);
    expect(await db.account.count({ where: { userId, providerId: "credential" } })).toBe(1);
  });
});
