import { describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../../server/auth/password";
import { makeWorld } from "../../helpers/fixtures";
import { makeLogin, PASSWORD, post, signIn } from "./http";

// better-auth's own endpoints (profile update, password change and reset) must apply the same
// rules as the panel's create-login: a name of 1-120 characters without line breaks or NUL, and
// a password of MIN_PASSWORD_LENGTH to MAX_PASSWORD_LENGTH characters.

async function customerSignedIn() {
  const world = await makeWorld();
  const login = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
  const { jar } = await signIn(login.email);
  return { ...login, jar };
}

async function messageOf(res: Response): Promise<string> {
  return ((await res.json()) as { message?: string }).message ?? "";
}

describe("better-auth endpoints apply the panel's rules", () => {
  const badNames: Array<[string, string]> = [
    ["empty", "   "],
    ["too long", "x".repeat(121)],
    ["a line break", "Eve\r\nBcc: someone"],
    ["a NUL byte", "Eve\u0000"],
  ];
  for (const [what, name] of badNames) {
    it(`update-user refuses a name that is ${what}, changing nothing`, async () => {
      const c = await customerSignedIn();
      const before = await db.user.findUniqueOrThrow({ where: { id: c.userId }, select: { name: true } });
      const res = await post("/update-user", { name }, c.jar);
      expect(res.status).toBe(400);
      expect(await messageOf(res)).not.toBe("");
      expect(await db.user.findUniqueOrThrow({ where: { id: c.userId }, select: { name: true } })).toEqual(before);
    });
  }

  it("update-user takes a good name, trimmed as create-login trims it", async () => {
    const c = await customerSignedIn();
    const res = await post("/update-user", { name: "  Ada Lovelace " }, c.jar);
    expect(res.status).toBe(200);
    expect((await db.user.findUniqueOrThrow({ where: { id: c.userId } })).name).toBe("Ada Lovelace");
  });

  const badPasswords: Array<[string, string]> = [
    ["too short", "x".repeat(MIN_PASSWORD_LENGTH - 1)],
    ["too long", "x".repeat(MAX_PASSWORD_LENGTH + 1)],
  ];
  for (const [what, newPassword] of badPasswords) {
    it(`change-password refuses a password that is ${what}; the old one still works`, async () => {
      const c = await customerSignedIn();
      const res = await post("/change-password", { currentPassword: PASSWORD, newPassword }, c.jar);
      expect(res.status).toBe(400);
      expect(await messageOf(res)).toMatch(/characters/);
      expect((await signIn(c.email)).res.status).toBe(200);
    });

    it(`reset-password refuses a password that is ${what}; the link still works`, async () => {
      const c = await customerSignedIn();
      await post("/request-password-reset", { email: c.email });
      const mail = await db.mailMessage.findFirstOrThrow({ where: { toAddress: c.email }, orderBy: { createdAt: "desc" } });
      const token = /reset-password\/new\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1]!;
      const res = await post("/reset-password", { token, newPassword });
      expect(res.status).toBe(400);
      expect(await messageOf(res)).toMatch(/characters/);
      expect((await post("/reset-password", { token, newPassword: "a-good-new-password" })).status).toBe(200);
    });
  }
});
