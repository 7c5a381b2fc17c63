import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { providerFromBrand, providerSchema } from "../../../../server/domain/provider";

describe("providerFromBrand", () => {
  it("takes the brand's name and support address", () => {
    expect(providerFromBrand({ displayName: "Reseller One", supportEmail: "Help@Reseller-One.example" })).toEqual({ name: "Reseller One", supportEmail: "help@reseller-one.example" });
  });

  it("drops what the agent would refuse instead of sending it", () => {
    expect(providerFromBrand({ displayName: "Tidy", supportEmail: "not an address" })).toEqual({ name: "Tidy", supportEmail: null });
    expect(providerFromBrand({ displayName: "x".repeat(150), supportEmail: null })?.name).toHaveLength(100);
    expect(providerFromBrand({ displayName: " \u0007 ", supportEmail: null })).toBeNull();
    expect(providerFromBrand(null)).toBeNull();
  });

  it("always returns something the node spec's grammar accepts (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.option(fc.string({ maxLength: 300 })), (displayName, supportEmail) => {
        const provider = providerFromBrand({ displayName, supportEmail });
        return provider === null || providerSchema.safeParse(provider).success;
      }),
    );
  });
});
