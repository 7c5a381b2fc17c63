import { describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { AppError } from "../../../server/errors";
import { createLogin } from "../../../server/auth/create-login";
import { verifyPassword } from "../../../server/auth/password";
import { makeWorld } from "../../helpers/fixtures";

describe("createLogin", () => {
  it("writes the user and a credential account with an argon2id hash", async () => {
    const world = await makeWorld();
    const { userId } = await db.$transaction((tx) =>
      createLogin(tx, {
        email: " New.Person@Example.test ",
        name: "New Person",
        role: "CUSTOMER",
        resellerId: world.resellerA.id,
        customerId: world.customers.a.customer.id,
        password: "correct horse battery",
      }),
    );
    const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
    expect(user.email).toBe("new.person@example.test");
    const accounts = await db.account.findMany({ where: { userId } });
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ providerId: "credential", accountId: userId });
    expect(accounts[0]!.password).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword({ hash: accounts[0]!.password!, password: "correct horse battery" })).toBe(true);
    expect(await db.mailMessage.count()).toBe(0);
  });

  it("without a password sends a branded set-password mail and stores only a hashed token", async () => {
    const world = await makeWorld();
    await db.brand.update({
      where: { resellerId: world.resellerA.id },
      data: { displayName: "Acme Hosting", emailSenderName: "Acme Support", supportEmail: "help@acme.test" },
    });
    await db.brandHostname.create({ data: { hostname: "panel.acme.test", resellerId: world.resellerA.id } });
    const { userId } = await db.$transaction((tx) =>
      createLogin(tx, { email: "invitee@example.test", name: "Invitee", role: "RESELLER", resellerId: world.resellerA.id }),
    );
    expect(await db.account.count({ where: { userId } })).toBe(0);
    const mail = await db.mailMessage.findFirstOrThrow({ where: { toAddress: "invitee@example.test" } });
    expect(mail).toMatchObject({ resellerId: world.resellerA.id, fromName: "Acme Support", fromAddress: "help@acme.test" });
    expect(mail.subject).toBe("Set your password");
    expect(mail.html).toContain("Acme Hosting");
    expect(mail.text).not.toMatch(/shoal/i);
    expect(mail.html).not.toMatch(/shoal/i);
    const token = /reset-password\/new\?token=([A-Za-z0-9]+)/.exec(mail.text)?.[1];
    expect(mail.text).toContain("http://panel.acme.test:3000/reset-password/new?token=");
    expect(token).toHaveLength(32);
    const verification = await db.verification.findFirstOrThrow({ where: { value: userId } });
    expect(verification.identifier).not.toContain(token!);
  });

  it("refuses a duplicate email on the email field and leaves nothing behind", async () => {
    const world = await makeWorld();
    const input = { email: "dup@example.test", name: "Dup", role: "ADMIN" as const, resellerId: world.platform.id };
    await db.$transaction((tx) => createLogin(tx, input));
    const err = await db
      .$transaction((tx) => createLogin(tx, { ...input, email: "DUP@example.test" }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "ALREADY_EXISTS", fieldErrors: { email: expect.any(String) } });
    expect(await db.user.count({ where: { email: "dup@example.test" } })).toBe(1);
    expect(await db.mailMessage.count({ where: { toAddress: "dup@example.test" } })).toBe(1);
  });

  it("rejects a customer login without its customer, and a short password, on their fields", async () => {
    const world = await makeWorld();
    await expect(
      db.$transaction((tx) => createLogin(tx, { email: "c@example.test", name: "C", role: "CUSTOMER", resellerId: world.resellerA.id })),
    ).rejects.toMatchObject({ code: "BAD_INPUT", fieldErrors: { customerId: expect.any(String) } });
    await expect(
      db.$transaction((tx) =>
        createLogin(tx, { email: "r@example.test", name: "R", role: "RESELLER", resellerId: world.resellerA.id, password: "short" }),
      ),
    ).rejects.toMatchObject({ code: "BAD_INPUT", fieldErrors: { password: expect.any(String) } });
    expect(await db.user.count({ where: { email: { in: ["c@example.test", "r@example.test"] } } })).toBe(0);
  });
});
