import { describe, expect, it } from "vitest";
import { toFieldErrors } from "../../../../app/_components/use-field-errors";

describe("toFieldErrors", () => {
  it("is empty without an error", () => {
    expect(toFieldErrors(null)).toEqual({ fieldErrors: {}, formError: null });
  });

  it("puts an AppError.field message next to its field only", () => {
    const error = { message: "That name is taken.", data: { fieldErrors: { name: "That name is taken." } } };
    expect(toFieldErrors(error)).toEqual({ fieldErrors: { name: "That name is taken." }, formError: null });
  });

  it("keeps the zod summary as the form error beside the per-field messages", () => {
    const error = {
      message: "Please correct the highlighted fields.",
      data: { fieldErrors: { name: "Too long", "limits.diskMb": "Must be positive" } },
    };
    expect(toFieldErrors(error)).toEqual({
      fieldErrors: { name: "Too long", "limits.diskMb": "Must be positive" },
      formError: "Please correct the highlighted fields.",
    });
  });

  it("sends a path-less schema error and a plain error to the summary", () => {
    expect(toFieldErrors({ message: "Please correct the highlighted fields.", data: { fieldErrors: { _: "Pick one plan" } } })).toEqual({
      fieldErrors: {},
      formError: "Pick one plan",
    });
    expect(toFieldErrors({ message: "Customer not found", data: { fieldErrors: null } })).toEqual({
      fieldErrors: {},
      formError: "Customer not found",
    });
    expect(toFieldErrors(new Error("Failed to fetch"))).toEqual({ fieldErrors: {}, formError: "Failed to fetch" });
  });
});
