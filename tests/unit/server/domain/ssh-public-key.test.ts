import fc from "fast-check";
import { utils } from "ssh2";
import { describe, expect, it } from "vitest";
import { sftpAccountSchema } from "../../../../server/contract/node-spec";
import { parseSshPublicKey } from "../../../../server/domain/ssh-public-key";

const generate = (kind: string, opts: object) => (utils.generateKeyPairSync as unknown as (k: string, o: object) => { public: string })(kind, opts).public;

describe("parseSshPublicKey", () => {
  it("never throws, and whatever it accepts is a canonical line the node spec accepts", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `ssh-ed25519 ${s}`), fc.base64String().map((s) => `ssh-rsa ${s}`)), (input) => {
        const result = parseSshPublicKey(input);
        if (result.ok) expect(sftpAccountSchema.shape.keys.element.safeParse(result.value.publicKey).success).toBe(true);
        else expect(result.error.length).toBeGreaterThan(0);
      }),
    );
  });

  it("accepts real keys of each kind, with the fingerprint ssh-keygen prints, whatever the comment and spacing", () => {
    const kinds = [["ed25519", {}], ["ecdsa", { bits: 256 }], ["rsa", { bits: 2048 }]] as const;
    for (const [kind, opts] of kinds) {
      // ssh2's generator sometimes drops a leading zero byte (a malformed key): draw again.
      let line = generate(kind, opts);
      while (utils.parseKey(line) instanceof Error) line = generate(kind, opts);
      fc.assert(
        fc.property(fc.stringMatching(/^[ \t]{0,3}$/), fc.stringMatching(/^[a-z@. ]{0,20}$/), (pad, comment) => {
          const result = parseSshPublicKey(`${pad}${line.split(" ").slice(0, 2).join(" ")} ${comment}${pad}`);
          expect(result.ok).toBe(true);
          if (result.ok) {
            expect(result.value.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
            expect(result.value.publicKey).toBe(line.split(" ").slice(0, 2).join(" "));
          }
        }),
        { numRuns: 20 },
      );
    }
  });

  it("refuses a key whose type word does not match its data", () => {
    const [, blob] = utils.generateKeyPairSync("rsa", { bits: 2048 }).public.split(" ");
    expect(parseSshPublicKey(`ssh-ed25519 ${blob}`)).toMatchObject({ ok: false });
  });
});
