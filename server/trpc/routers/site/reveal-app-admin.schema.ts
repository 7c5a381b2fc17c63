import { z } from "zod";
import { idSchema } from "../operation/operation.schema";

export const revealAppAdminInput = z.object({ id: idSchema });

// Shown once, in a dialog; never cached or logged by the panel (the procedure is a mutation).
export const revealAppAdminOutput = z.object({
  username: z.string(),
  password: z.string(),
  loginUrl: z.string(),
});
