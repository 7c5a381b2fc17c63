import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { POST, GET } from "@/app/api/trpc/[trpc]/route";
import { db } from "../../../server/db";
import { makeWorld } from "../../helpers/fixtures";
import { enrolTotp, headersFor, makeLogin, signIn } from "./http";

// A cross-site request forgery through the panel's real tRPC route: the victim's session cookie
// rides on a JSON POST sent from another site's page. The change is refused and nothing is saved;
// the same POST from the panel's own page (same Origin) goes through; reads are unaffected.

async function resellerSession() {
  const world = await makeWorld();
  const login = await makeLogin("RESELLER", world.resellerA.id);
  const { jar } = await signIn(login.email);
  await enrolTotp(jar, login.userId);
  return { world, jar };
}

function trpcPost(path: string, input: unknown, headers: Headers) {
  headers.set("content-type", "application/json");
  return POST(new Request(`http://localhost:3000/api/trpc/${path}`, { method: "POST", headers, body: JSON.stringify(superjson.serialize(input)) }));
}

describe("cross-site changes", () => {
  it("a POST carrying the victim's cookie from another site's page changes nothing; from the panel's own page it works", async () => {
    const { world, jar } = await resellerSession();
    const name = `Forged ${Date.now()}`;
    const update = { id: world.customers.a.customer.id, company: name };

    for (const origin of ["http://evil.test", "http://localhost:3001", "https://localhost:3000.evil.test", "null"]) {
      const headers = headersFor(jar);
      headers.set("origin", origin);
      const res = await trpcPost("customer.update", update, headers);
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as { error: { json: { message: string } } }).error.json.message).toBe("This change was sent from another site's page and was not made.");
    }
    // No Origin, and the browser says the request is cross-site.
    const noOrigin = headersFor(jar);
    noOrigin.delete("origin");
    noOrigin.set("sec-fetch-site", "cross-site");
    expect((await trpcPost("customer.update", update, noOrigin)).status).toBe(403);
    expect((await db.customer.findUniqueOrThrow({ where: { id: update.id } })).company).not.toBe(name);

    const own = await trpcPost("customer.update", update, headersFor(jar));
    expect(own.status).toBe(200);
    expect((await db.customer.findUniqueOrThrow({ where: { id: update.id } })).company).toBe(name);
  });

  it("reads need no Origin (another site cannot read the answer)", async () => {
    const { jar } = await resellerSession();
    const headers = headersFor(jar);
    headers.delete("origin");
    const res = await GET(new Request(`http://localhost:3000/api/trpc/customer.list?input=${encodeURIComponent(JSON.stringify(superjson.serialize({})))}`, { headers }));
    expect(res.status).toBe(200);
  });
});
