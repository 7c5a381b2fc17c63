import { describe, expect, it } from "vitest";
import { contrastProblem, formatRatio, textOnColour } from "../../../../server/domain/brand-colours";

describe("textOnColour", () => {
  it("picks white on dark colours and near-black on light ones", () => {
    expect(textOnColour("#0f766e")).toMatchObject({ text: "#ffffff", readable: true });
    expect(textOnColour("#fbbf24")).toMatchObject({ text: "#111827", readable: true });
    expect(textOnColour("#000000").ratio).toBeCloseTo(21, 0);
  });

  it("finds mid-tones where neither reaches 4.5:1", () => {
    const grey = textOnColour("#808080");
    expect(grey.readable).toBe(false);
    expect(grey.whiteRatio).toBeLessThan(4.5);
    expect(grey.darkRatio).toBeLessThan(4.5);
  });
});

describe("contrastProblem", () => {
  it("is null for a readable colour and explains both ratios otherwise", () => {
    expect(contrastProblem("#1d4ed8")).toBeNull();
    expect(contrastProblem("#808080")).toMatch(/white text reaches 3\.94:1 and dark text 4\.\d\d:1/);
  });
});

describe("formatRatio", () => {
  it("rounds down so a failing ratio never reads as passing", () => {
    expect(formatRatio(4.4999)).toBe("4.49:1");
    expect(formatRatio(21)).toBe("21.00:1");
  });
});
