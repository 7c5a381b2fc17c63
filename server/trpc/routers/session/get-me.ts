import { procedure } from "../../init";
import { getMeInput, getMeOutput } from "./get-me.schema";

/** Who is signed in (or null): read straight from the request's verified auth state. */
export const getMe = procedure
  .meta({ access: "public" })
  .input(getMeInput)
  .output(getMeOutput)
  .query(({ ctx }) => {
    if (!ctx.auth) return null;
    const { id, email, name, role, twoFactorEnabled } = ctx.auth.user;
    return {
      user: { id, email, name, role, twoFactorEnabled },
      impersonator: ctx.auth.impersonator,
      needsTwoFactorSetup: ctx.auth.needsTwoFactorSetup,
    };
  });
